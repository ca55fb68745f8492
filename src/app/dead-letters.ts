import { cartIdOfSession, type CartCommand } from '../domain/cart-model';
import type { Command } from '../domain/model';
import type { DeadLetter, DeadLetterQueue } from '../ports/dead-letters';
import type { CommandQueue, OutgoingCommand } from '../ports/queue';
import type { Clock } from '../ports/clock';
import type { DocumentStore, PageRequest } from '../ports/store';
import { failureLocation, parseSessionMessage, recordDeadLetter } from './failures';
import type { Logger } from './logger';

/** One dead-lettered command as an operator sees it. */
export interface DeadLetterView {
  messageId: string;
  sequenceNumber: string;
  /** The item whose session it was in, or null for a cart's session. */
  inventoryId: string | null;
  cartId: string | null;
  /** The command's type when its body is a command, else null (poison). */
  commandType: string | null;
  commandId: string | null;
  reservationId: string | null;
  reason: string;
  description: string;
  deliveryCount: number;
  enqueuedAt: string;
  deadLetteredAt: string | null;
}

export type ResubmitResult =
  | { kind: 'resubmitted'; messageId: string; resubmittedAs: string; sessionId: string }
  | { kind: 'not-found' }
  /** Its body is not a command of its session: sent again it would only be dead-lettered again. */
  | { kind: 'not-a-command'; reason: string; description: string };

/** What operators do with failed commands: list them, send one back. Both hosts serve it. */
export interface DeadLetterAdmin {
  list(page: PageRequest): Promise<{ items: DeadLetterView[]; continuation: string | null }>;
  resubmit(messageId: string): Promise<ResubmitResult>;
  /** Removes a dead letter for good (poison, or a command nobody wants applied): its status stays `failed`. */
  discard(messageId: string): Promise<'discarded' | 'not-found'>;
}

export interface DeadLetterDeps {
  deadLetters: DeadLetterQueue;
  queue: CommandQueue;
  store: DocumentStore;
}

export function deadLetterAdmin(deps: DeadLetterDeps): DeadLetterAdmin {
  return {
    async list(page) {
      const { items, continuation } = await deps.deadLetters.listDeadLetters(page);
      return { items: items.map(viewOf), continuation };
    },
    resubmit: (messageId) => resubmit(deps, messageId),
    discard: async (messageId) => {
      const found = await deps.deadLetters.withDeadLetter(messageId, () =>
        Promise.resolve('remove' as const),
      );
      return found ? 'discarded' : 'not-found';
    },
  };
}

async function resubmit(deps: DeadLetterDeps, messageId: string): Promise<ResubmitResult> {
  let result: ResubmitResult = { kind: 'not-found' };
  await deps.deadLetters.withDeadLetter(messageId, async (letter) => {
    const command = commandOf(letter);
    if (!command.ok) {
      // Nothing is sent: the dead letter stays where it is.
      result = { kind: 'not-a-command', reason: command.reason, description: command.description };
      return 'keep';
    }
    const copy = copyOf(letter, command.command);
    // The copy carries the same command id, so a command that was in fact applied is absorbed as a
    // duplicate; its message id is new, or the queue's duplicate detection would drop it within its window.
    await deps.queue.send([copy]);
    await clearFailure(deps.store, command.command);
    result = { kind: 'resubmitted', messageId, resubmittedAs: copy.messageId, sessionId: letter.sessionId };
    return 'remove';
  });
  return result;
}

/** `<original id>~resubmit-<dead-letter sequence number>`: one copy per dead letter, however often asked. */
function resubmittedMessageId(letter: Pick<DeadLetter, 'messageId' | 'sequenceNumber'>): string {
  const original = letter.messageId.split('~resubmit-')[0] ?? letter.messageId;
  return `${original}~resubmit-${letter.sequenceNumber}`;
}

function copyOf(letter: DeadLetter, body: Command | CartCommand): OutgoingCommand {
  return {
    sessionId: letter.sessionId,
    messageId: resubmittedMessageId(letter),
    body,
    applicationProperties: letter.applicationProperties,
  };
}

type Parsed =
  { ok: true; command: Command | CartCommand } | { ok: false; reason: string; description: string };

function commandOf(letter: DeadLetter): Parsed {
  const cartId = cartIdOfSession(letter.sessionId);
  const parsed = parseSessionMessage(letter);
  if (!parsed.ok) return parsed;
  const session = 'inventoryId' in parsed.command ? parsed.command.inventoryId : parsed.command.cartId;
  if (session !== (cartId ?? letter.sessionId)) {
    return {
      ok: false,
      reason: 'SessionMismatch',
      description: `the command is for "${session}" but was in session "${letter.sessionId}"`,
    };
  }
  return parsed;
}

/** The command is pending again: its status must stop answering `failed`. */
async function clearFailure(store: DocumentStore, command: Command | CartCommand): Promise<void> {
  const { partitionKey, id } = failureLocation(command);
  const result = await store.batch(partitionKey, [{ op: 'delete', id }]);
  if (!result.ok && result.failure !== 'notFound') {
    throw new Error(`could not clear the failure record ${id}: ${result.failure}`);
  }
}

function viewOf(letter: DeadLetter): DeadLetterView {
  const parsed = commandOf(letter);
  const command = parsed.ok ? parsed.command : null;
  const cartId = cartIdOfSession(letter.sessionId);
  return {
    messageId: letter.messageId,
    sequenceNumber: letter.sequenceNumber,
    inventoryId: cartId === null ? letter.sessionId : null,
    cartId: cartId ?? (command && 'cartId' in command ? (command.cartId ?? null) : null),
    commandType: command?.type ?? null,
    commandId: command?.commandId ?? null,
    reservationId: command && 'reservationId' in command ? command.reservationId : null,
    reason: letter.reason,
    description: letter.description,
    deliveryCount: letter.deliveryCount,
    enqueuedAt: letter.enqueuedAt.toISOString(),
    deadLetteredAt: letter.deadLetteredAt?.toISOString() ?? null,
  };
}

/**
 * Gives every dead letter without a failure record one, so its status answers `failed`: on Azure a message
 * can reach the dead-letter queue without the trigger seeing its last delivery fail (a function timeout, a
 * host stopped mid-delivery, an expired time to live). A timer runs it; at most `maxLetters` per run.
 */
export async function recordDeadLetters(
  deps: { deadLetters: DeadLetterQueue; store: DocumentStore; clock: Clock; log: Logger },
  maxLetters = 1_000,
): Promise<number> {
  let seen = 0;
  let continuation: string | undefined;
  do {
    // The rest in one request: an adapter pages internally, and on Service Bus each request opens a receiver.
    const page = await deps.deadLetters.listDeadLetters({
      limit: maxLetters - seen,
      ...(continuation !== undefined ? { continuation } : {}),
    });
    for (const letter of page.items) await recordDeadLetter(deps.store, letter, deps.clock.now(), deps.log);
    seen += page.items.length;
    continuation = page.continuation ?? undefined;
  } while (continuation !== undefined && seen < maxLetters);
  return seen;
}
