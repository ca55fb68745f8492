import type { RejectionReason } from '../../domain/model';

export type CommandOutcome =
  | {
      status: 'applied' | 'rejected';
      reason: RejectionReason | null;
      commandId: string;
      reservationId: string | null;
    }
  /** Nothing to write (an ExpireHold for a hold that already ended). */
  | { status: 'noop'; reason: null; commandId: string; reservationId: string | null }
  /** Already applied by an earlier delivery: the 409 of the reservation or command marker said so. */
  | { status: 'duplicate'; reason: null; commandId: string; reservationId: string | null };

/** The ETag kept changing under us: let the message be redelivered rather than spin. */
export class ConflictRetriesExhaustedError extends Error {
  constructor(inventoryId: string, attempts: number) {
    super(`inventory ${inventoryId}: ETag conflict persisted over ${attempts} attempts`);
    this.name = 'ConflictRetriesExhaustedError';
  }
}

/** A write failed in a way no retry can fix (e.g. a document too large): a bug or corrupt data. */
export class UnexpectedWriteError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnexpectedWriteError';
  }
}
