import { createHash } from 'node:crypto';
import { isValidId } from '../domain/ids';
import type { Command } from '../domain/model';
import type { CommandQueue } from '../ports/queue';
import type { DocumentStore, StoredDocument } from '../ports/store';
import { parseCommandMessage } from './command-schema';
import { silentLogger, type Logger } from './logger';
import { processCommands, type ProcessorDeps } from './process-commands';
import type { CommandOutcome } from './processing/outcome';
import { scheduleExpiries } from './schedule-expiries';

export interface IncomingMessage {
  body: unknown;
  messageId: string;
  sessionId: string;
  deliveryCount: number;
}

export type Settlement =
  | { action: 'complete'; outcome: CommandOutcome }
  | { action: 'deadLetter'; reason: string; description: string };

/**
 * A message that could not be applied, kept with its reason in its session's partition (the item's), or in
 * POISON_PARTITION when the session id is not a valid inventory id.
 */
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
): Promise<Settlement[]> {
  const log = deps.log ?? silentLogger;
  const settlements = new Map<number, Settlement>();
  const valid: { index: number; command: Command }[] = [];
  for (const [index, message] of messages.entries()) {
    const parsed = commandOf(message);
    if ('command' in parsed) {
      valid.push({ index, command: parsed.command });
      continue;
    }
    await recordPoison(deps.store, message, parsed, deps.clock.now(), log);
    settlements.set(index, { action: 'deadLetter', ...parsed });
  }
  const inventoryId = messages[0]?.sessionId;
  if (valid.length > 0 && inventoryId !== undefined) {
    const commands = valid.map((v) => v.command);
    const outcomes = await processCommands(inventoryId, commands, deps);
    for (const outcome of outcomes) log.debug('command decided', { inventoryId, ...outcome });
    await scheduleExpiries(deps.queue, commands, outcomes);
    outcomes.forEach((outcome, i) => {
      const target = valid[i];
      if (target) settlements.set(target.index, { action: 'complete', outcome });
    });
  }
  return messages.map((message, i) => {
    const settlement = settlements.get(i);
    if (!settlement) throw new Error(`message ${message.messageId} was not settled`);
    return settlement;
  });
}

/** The command a message carries, or why it is poison. */
function commandOf(message: IncomingMessage): { command: Command } | { reason: string; description: string } {
  const parsed = parseCommandMessage(message.body);
  if (!parsed.ok) return { reason: parsed.reason, description: parsed.description };
  if (parsed.command.inventoryId !== message.sessionId) {
    return {
      reason: 'SessionMismatch',
      description: `command for "${parsed.command.inventoryId}" arrived in session "${message.sessionId}"`,
    };
  }
  return { command: parsed.command };
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
    messageId: message.messageId,
    sessionId: message.sessionId,
    reason: poison.reason,
    description: poison.description,
    body: body.slice(0, 16_384),
    deliveryCount: message.deliveryCount,
    recordedAt: now.toISOString(),
  };
  const result = await store.create(partition, record);
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
