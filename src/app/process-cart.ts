import { decideCart, outstanding, type LineCommand } from '../domain/cart';
import { cartPartition, type Cart, type CartCommand } from '../domain/cart-model';
import type { CommandQueue } from '../ports/queue';
import type { DocumentStore, Versioned } from '../ports/store';
import { parseCartMessage } from './cart-command-schema';
import { silentLogger } from './logger';
import type { IncomingMessage, Settlement } from './messages';
import { measure } from './metrics';
import { recordPoison } from './poison';
import type { ProcessorDeps } from './process-commands';
import { withConflictRetry, type Attempt } from './processing/conflict-retry';
import type { CommandOutcome } from './processing/outcome';

type Deps = ProcessorDeps & { store: DocumentStore; queue: CommandQueue };

/**
 * Handles messages of one cart's session in order, like an item's: load the cart, decide each command
 * (pure), write the cart under its ETag (a conflict reloads and decides again), then send the line
 * commands the decisions call for. A redelivery, or a message that changed nothing, sends again what the
 * cart's goal still needs: a crash between the write and the send must not strand the lines.
 */
export async function handleCartMessages(
  cartId: string,
  messages: readonly IncomingMessage[],
  deps: Deps,
): Promise<Settlement[]> {
  const settlements: Settlement[] = [];
  const valid: { index: number; command: CartCommand }[] = [];
  for (const [index, message] of messages.entries()) {
    const parsed = cartCommandOf(cartId, message);
    if ('command' in parsed) valid.push({ index, command: parsed.command });
    else {
      await recordPoison(deps.store, message, parsed, deps.clock.now(), deps.log ?? silentLogger);
      settlements[index] = { action: 'deadLetter', ...parsed };
    }
  }
  const commands = valid.map((v) => v.command);
  const decided = await withConflictRetry(
    cartPartition(cartId),
    deps.maxConflictRetries ?? 5,
    () => decideAndWrite(cartId, commands, deps),
    async () => undefined, // every attempt reads the cart afresh
  );
  commands.forEach((command, i) => measure.decided(command.type, decided.outcomes[i]?.status ?? 'unknown'));
  // A message that changed nothing may be one whose decision was saved before its send was lost (a
  // redelivery, or a retry after an ambiguous store error): send again what the cart's goal still needs.
  const again =
    messages.some((m) => m.deliveryCount > 1) || decided.outcomes.some((o) => o.status === 'noop');
  const send = again && decided.cart ? outstanding(decided.cart, deps.clock.now().toISOString()) : [];
  await sendLines(deps.queue, [...decided.send, ...send]);
  valid.forEach(({ index }, i) => {
    const outcome = decided.outcomes[i];
    if (outcome) settlements[index] = { action: 'complete', outcome };
  });
  return messages.map((m, i) => {
    const settlement = settlements[i];
    if (!settlement) throw new Error(`message ${m.messageId} was not settled`);
    return settlement;
  });
}

interface Decided {
  cart: Cart | null;
  send: LineCommand[];
  outcomes: CommandOutcome[];
}

async function decideAndWrite(
  cartId: string,
  commands: readonly CartCommand[],
  deps: Deps,
): Promise<Attempt<Decided>> {
  const partition = cartPartition(cartId);
  const stored = await deps.store.read<Cart>(partition, cartId);
  const now = deps.clock.now().toISOString();
  let cart = stored?.doc ?? null;
  const send: LineCommand[] = [];
  const outcomes = commands.map((command): CommandOutcome => {
    const decision = decideCart(cart, command, now);
    cart = decision.cart ?? cart;
    send.push(...decision.send);
    const status = decision.cart ? 'applied' : 'noop';
    return { status, reason: null, commandId: command.commandId, reservationId: null };
  });
  if (cart && cart !== stored?.doc) {
    const written = await write(deps.store, partition, cart, stored);
    if (!written.ok) return { kind: 'conflict', failure: written.failure };
  }
  return { kind: 'done', value: { cart, send, outcomes } };
}

function write(store: DocumentStore, partition: string, cart: Cart, stored: Versioned<Cart> | null) {
  return stored ? store.replace(partition, cart, stored.etag) : store.create(partition, cart);
}

async function sendLines(queue: CommandQueue, lines: readonly LineCommand[]): Promise<void> {
  const unique = new Map(lines.map((line) => [line.commandId, line]));
  if (unique.size === 0) return;
  await queue.send(
    [...unique.values()].map((line) => ({
      sessionId: line.inventoryId,
      messageId: line.commandId,
      body: line,
    })),
  );
}

/** The cart command a message carries, or why it is poison. */
function cartCommandOf(
  cartId: string,
  message: IncomingMessage,
): { command: CartCommand } | { reason: string; description: string } {
  const parsed = parseCartMessage(message.body);
  if (!parsed.ok) return { reason: parsed.reason, description: parsed.description };
  if (parsed.command.cartId !== cartId) {
    return {
      reason: 'SessionMismatch',
      description: `command for cart "${parsed.command.cartId}" arrived in session "${message.sessionId}"`,
    };
  }
  return { command: parsed.command };
}
