import { createHash } from 'node:crypto';
import { isValidId } from '../domain/ids';
import type { Command } from '../domain/model';
import type { CommandQueue } from '../ports/queue';
import type { DocumentStore, StoredDocument } from '../ports/store';
import { parseCommandMessage } from './command-schema';
import { silentLogger, type Logger } from './logger';
import { processCommands, type CommandOutcome, type ProcessorDeps } from './process-commands';
import { scheduleExpiries } from './schedule-expiries';

export interface IncomingMessage {
  body: unknown;
  messageId: string;
  sessionId: string;
  deliveryCount: number;
}

export type Settlement =
  | { action: 'complete'; outcome: CommandOutcome }
  | { action: 'deadLetter'; reason: string; description: string }
  /** Not settled because an earlier batch of the group failed: redeliver. */
  | { action: 'abandon' };

/** A message that could not be applied, kept with its reason in the item's partition. */
export interface PoisonRecord extends StoredDocument {
  type: 'poison';
  messageId: string;
  sessionId: string;
  reason: string;
  description: string;
  /** The body as received, cut at 16 KiB. */
  body: string;
  deliveryCount: number;
  recordedAt: string;
}

/** Where poison messages whose session id is not a valid inventory id are recorded. */
export const POISON_PARTITION = '~poison~';

/**
 * Handles messages of one session in order. Poison messages (unparseable, schema violations, a command
 * whose inventory id is not its session id) are recorded in the store with their reason and dead-lettered:
 * they never block the session. Business rejections complete normally; only transient failures throw.
 */
export async function handleSessionMessages(
  messages: readonly IncomingMessage[],
  deps: ProcessorDeps & { store: DocumentStore; queue: CommandQueue },
  onCommitted?: (settled: Map<number, Settlement>) => Promise<void> | void,
): Promise<Settlement[]> {
  const log = deps.log ?? silentLogger;
  const settlements: (Settlement | undefined)[] = new Array<Settlement | undefined>(messages.length);
  const valid: { index: number; command: Command }[] = [];
  for (const [index, message] of messages.entries()) {
    const parsed = parseCommandMessage(message.body);
    let poison: { reason: string; description: string } | null = null;
    if (!parsed.ok) poison = parsed;
    else if (parsed.command.inventoryId !== message.sessionId) {
      poison = {
        reason: 'SessionMismatch',
        description: `command for "${parsed.command.inventoryId}" arrived in session "${message.sessionId}"`,
      };
    }
    if (poison || !parsed.ok) {
      const p = poison ?? { reason: 'SchemaViolation', description: 'invalid message' };
      await recordPoison(deps.store, message, p, deps.clock.now(), log);
      settlements[index] = { action: 'deadLetter', ...p };
    } else valid.push({ index, command: parsed.command });
  }
  const inventoryId = messages[0]?.sessionId;
  if (valid.length > 0 && inventoryId !== undefined) {
    const complete = (outcome: CommandOutcome): Settlement => ({ action: 'complete', outcome });
    const outcomes = await processCommands(
      inventoryId,
      valid.map((v) => v.command),
      deps,
      {
        // Reports what each batch settled as soon as it commits (the dispatcher completes those first).
        onCommitted: async (indexes, committed) => {
          for (const outcome of committed) log.debug('command decided', { inventoryId, ...outcome });
          const settled = new Map<number, Settlement>();
          indexes.forEach((i, k) => {
            const target = valid[i];
            const outcome = committed[k];
            if (target && outcome) settled.set(target.index, complete(outcome));
          });
          await onCommitted?.(settled);
        },
      },
    );
    await scheduleExpiries(
      deps.queue,
      valid.map((v) => v.command),
      outcomes,
    );
    // Every valid command has an outcome here, including those settled without a write.
    outcomes.forEach((outcome, i) => {
      const target = valid[i];
      if (target) settlements[target.index] = complete(outcome);
    });
  }
  return settlements.map((s) => s ?? { action: 'abandon' });
}

async function recordPoison(
  store: DocumentStore,
  message: IncomingMessage,
  poison: { reason: string; description: string },
  now: Date,
  log: Logger,
): Promise<void> {
  const partition = isValidId(message.sessionId) ? message.sessionId : POISON_PARTITION;
  const id = `poison-${createHash('sha256').update(message.messageId).digest('hex').slice(0, 32)}`;
  const body = typeof message.body === 'string' ? message.body : safeJson(message.body);
  log.error('poison message', { sessionId: message.sessionId, messageId: message.messageId, ...poison });
  const record: PoisonRecord = {
    type: 'poison',
    id,
    inventoryId: partition,
    messageId: message.messageId,
    sessionId: message.sessionId,
    reason: poison.reason,
    description: poison.description,
    body: body.slice(0, 16_384),
    deliveryCount: message.deliveryCount,
    recordedAt: now.toISOString(),
  };
  const result = await store.create(record);
  if (!result.ok && result.failure !== 'duplicate') {
    log.warn('could not record poison message', { messageId: message.messageId, failure: result.failure });
  }
}

function safeJson(value: unknown): string {
  try {
    return Buffer.isBuffer(value) ? value.toString('utf8') : (JSON.stringify(value) ?? String(value));
  } catch {
    return String(value);
  }
}
