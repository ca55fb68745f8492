import { cartIdOfSession } from '../domain/cart-model';
import type { Command } from '../domain/model';
import type { CommandQueue } from '../ports/queue';
import type { DocumentStore } from '../ports/store';
import { parseCommandMessage } from './command-schema';
import { silentLogger } from './logger';
import type { IncomingMessage, Settlement } from './messages';
import { recordPoison } from './poison';

export type { IncomingMessage, Settlement } from './messages';
import { processCommands, type ProcessorDeps } from './process-commands';
import { handleCartMessages } from './process-cart';
import { lineReports } from './report-lines';
import { expiryMessages } from './schedule-expiries';

/**
 * Handles messages of one session in order. Poison messages (unparseable, schema violations, a command
 * whose inventory id is not its session id) are recorded in the store with their reason and dead-lettered:
 * they never block the session. Business rejections complete normally; only transient failures throw.
 */
export async function handleSessionMessages(
  messages: readonly IncomingMessage[],
  deps: ProcessorDeps & { store: DocumentStore; queue: CommandQueue },
): Promise<Settlement[]> {
  const cartId = cartIdOfSession(messages[0]?.sessionId ?? '');
  if (cartId !== null) return handleCartMessages(cartId, messages, deps);
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
    // What follows the commit goes in one send: the holds' expiries and the carts' line reports.
    const follow = [
      ...expiryMessages(commands, outcomes),
      ...(await lineReports(deps.store, inventoryId, commands, deps.clock.now())),
    ];
    if (follow.length > 0) await deps.queue.send(follow);
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
