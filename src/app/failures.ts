import { cartIdOfSession, cartPartition, type CartCommand } from '../domain/cart-model';
import type { Command } from '../domain/model';
import type { DeadLetter } from '../ports/dead-letters';
import { MAX_DELIVERY_COUNT_EXCEEDED } from '../ports/sessions';
import type { DocumentStore, StoredDocument } from '../ports/store';
import { parseCartMessage } from './cart-command-schema';
import { parseCommandMessage } from './command-schema';
import type { IncomingMessage } from './handle-messages';
import type { Logger } from './logger';

/**
 * Why a command was given up on: the queue dead-letters it after MAX_DELIVERY_COUNT deliveries; `DeadLettered`
 * for any other reason the broker gives (a message's time to live ran out, say), named in the detail.
 */
export const FAILURE_REASONS = [MAX_DELIVERY_COUNT_EXCEEDED, 'DeadLettered'] as const;

/**
 * A command the service gave up on, kept in its item's (or its cart's) partition so its status URL answers
 * `failed` with the reason instead of `pending`. A later decision wins; a resubmit deletes the record.
 */
export interface FailureRecord extends StoredDocument {
  type: 'failure';
  /** The item the command was for (whose partition holds this record); null for a cart's command. */
  inventoryId: string | null;
  cartId?: string;
  commandId: string;
  commandType: Command['type'] | CartCommand['type'];
  reservationId: string | null;
  reason: (typeof FAILURE_REASONS)[number];
  description: string;
  deliveryCount: number;
  failedAt: string;
}

/** The id a status URL names: the reservation id for a Reserve, the cart id for a PlaceCart, else the command id. */
export function failureId(statusId: string): string {
  return `failure-${statusId}`;
}

/** Where a command's failure record lives: the partition its status URL reads, under the id it names. */
export function failureLocation(command: Command | CartCommand): { partitionKey: string; id: string } {
  if ('inventoryId' in command) {
    const statusId = command.type === 'Reserve' ? command.reservationId : command.commandId;
    return { partitionKey: command.inventoryId, id: failureId(statusId) };
  }
  const statusId = command.type === 'PlaceCart' ? command.cartId : command.commandId;
  return { partitionKey: cartPartition(command.cartId), id: failureId(statusId) };
}

/**
 * Called when a delivery fails for the last time (its delivery count has reached the queue's maximum):
 * records each command of it as failed, before the error is rethrown and the queue dead-letters it.
 * Best effort: if the store is what is failing, the record cannot be written either, and the status
 * stays `pending` until the command is resubmitted from the dead-letter queue.
 */
export async function recordFailures(
  store: DocumentStore,
  messages: readonly IncomingMessage[],
  error: unknown,
  now: Date,
  log: Logger,
): Promise<void> {
  const description = (error instanceof Error ? error.message : String(error)).slice(0, 1_000);
  for (const message of messages) {
    const record = failureOf(message, description, now);
    if (record === null) continue; // poison is recorded as such when it is handled
    try {
      // Upsert: a command resubmitted and failing again replaces its earlier record.
      const written = await store.batch(record.partitionKey, [{ op: 'upsert', doc: record.doc }]);
      if (!written.ok) warn(log, record.doc.commandId, written.failure);
    } catch (writeError) {
      warn(log, record.doc.commandId, writeError instanceof Error ? writeError.message : String(writeError));
    }
  }
}

/**
 * A message the queue dead-lettered because its deliveries ran out without any handler seeing it fail (locks
 * lost, restarts). Kept only if no record exists: the trigger's record, with the real error, says more.
 */
export function recordExhausted(
  store: DocumentStore,
  message: IncomingMessage,
  now: Date,
  log: Logger,
): Promise<void> {
  const description = `delivered ${message.deliveryCount} times without being settled (lock lost or host stopped)`;
  return recordIfAbsent(store, failureOf(message, description, now), log);
}

/** A dead letter found in the queue's dead-letter sub-queue, recorded unless a record exists already. */
export function recordDeadLetter(
  store: DocumentStore,
  letter: DeadLetter,
  now: Date,
  log: Logger,
): Promise<void> {
  const exhausted = letter.reason === MAX_DELIVERY_COUNT_EXCEEDED;
  const description = `dead-lettered by the queue: ${letter.reason}${letter.description ? `: ${letter.description}` : ''}`;
  const record = failureOf(
    letter,
    description.slice(0, 1_000),
    now,
    exhausted ? MAX_DELIVERY_COUNT_EXCEEDED : 'DeadLettered',
  );
  return recordIfAbsent(store, record, log);
}

async function recordIfAbsent(
  store: DocumentStore,
  record: { partitionKey: string; doc: FailureRecord } | null,
  log: Logger,
): Promise<void> {
  if (record === null) return;
  try {
    // A point read first: a sweep finds the same dead letters again and again, and a refused create costs more.
    if (await store.read(record.partitionKey, record.doc.id)) return;
    const written = await store.create(record.partitionKey, record.doc);
    if (!written.ok && written.failure !== 'duplicate') warn(log, record.doc.commandId, written.failure);
  } catch (writeError) {
    warn(log, record.doc.commandId, writeError instanceof Error ? writeError.message : String(writeError));
  }
}

function warn(log: Logger, commandId: string, failure: string): void {
  log.warn('could not record a failed command', { commandId, failure });
}

function failureOf(
  message: Pick<IncomingMessage, 'sessionId' | 'body' | 'deliveryCount'>,
  description: string,
  now: Date,
  reason: FailureRecord['reason'] = MAX_DELIVERY_COUNT_EXCEEDED,
): { partitionKey: string; doc: FailureRecord } | null {
  const command = commandOf(message);
  if (command === null) return null;
  const { partitionKey, id } = failureLocation(command);
  const doc: FailureRecord = {
    type: 'failure',
    id,
    inventoryId: 'inventoryId' in command ? command.inventoryId : null,
    ...('cartId' in command && command.cartId !== undefined ? { cartId: command.cartId } : {}),
    commandId: command.commandId,
    commandType: command.type,
    reservationId: 'reservationId' in command ? command.reservationId : null,
    reason,
    description,
    deliveryCount: message.deliveryCount,
    failedAt: now.toISOString(),
  };
  return { partitionKey, doc };
}

/** A message's body parsed as the kind of command its session holds: an item's, or a cart's. */
export function parseSessionMessage(message: Pick<IncomingMessage, 'sessionId' | 'body'>) {
  return cartIdOfSession(message.sessionId) === null
    ? parseCommandMessage(message.body)
    : parseCartMessage(message.body);
}

function commandOf(message: Pick<IncomingMessage, 'sessionId' | 'body'>): Command | CartCommand | null {
  const parsed = parseSessionMessage(message);
  return parsed.ok ? parsed.command : null;
}
