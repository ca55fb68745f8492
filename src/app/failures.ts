import type { Command } from '../domain/model';
import { MAX_DELIVERY_COUNT_EXCEEDED } from '../ports/sessions';
import type { DocumentStore, StoredDocument } from '../ports/store';
import { parseCommandMessage } from './command-schema';
import type { IncomingMessage } from './handle-messages';
import type { Logger } from './logger';

/** Why a command was given up on: the queue dead-letters it after MAX_DELIVERY_COUNT deliveries. */
export const FAILURE_REASONS = [MAX_DELIVERY_COUNT_EXCEEDED] as const;

/**
 * A command the service gave up on, kept in its item's partition so its status URL answers `failed`
 * with the reason instead of `pending`. A later decision (after the message is resubmitted) wins.
 */
export interface FailureRecord extends StoredDocument {
  type: 'failure';
  /** The item the command was for (whose partition holds this record). */
  inventoryId: string;
  commandId: string;
  commandType: Command['type'];
  reservationId: string | null;
  reason: (typeof FAILURE_REASONS)[number];
  description: string;
  deliveryCount: number;
  failedAt: string;
}

/** The id a status URL names: the reservation id for a Reserve, the command id otherwise. */
export function failureId(statusId: string): string {
  return `failure-${statusId}`;
}

function statusIdOf(command: Command): string {
  return command.type === 'Reserve' ? command.reservationId : command.commandId;
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
    const parsed = parseCommandMessage(message.body);
    if (!parsed.ok) continue; // poison is recorded as such when it is handled
    const { command } = parsed;
    const record: FailureRecord = {
      type: 'failure',
      id: failureId(statusIdOf(command)),
      inventoryId: command.inventoryId,
      commandId: command.commandId,
      commandType: command.type,
      reservationId: 'reservationId' in command ? command.reservationId : null,
      reason: MAX_DELIVERY_COUNT_EXCEEDED,
      description,
      deliveryCount: message.deliveryCount,
      failedAt: now.toISOString(),
    };
    try {
      const written = await store.create(command.inventoryId, record);
      if (!written.ok && written.failure !== 'duplicate') {
        log.warn('could not record a failed command', {
          commandId: command.commandId,
          failure: written.failure,
        });
      }
    } catch (writeError) {
      log.warn('could not record a failed command', {
        commandId: command.commandId,
        error: writeError instanceof Error ? writeError.message : String(writeError),
      });
    }
  }
}
