import type { PageRequest } from './store';

/** A message the queue gave up on, as its dead-letter sub-queue holds it. */
export interface DeadLetter {
  messageId: string;
  sessionId: string;
  /** The JSON-parsed body as sent (whatever it is: poison is dead-lettered too). */
  body: unknown;
  subject: string | null;
  applicationProperties: Record<string, string>;
  reason: string;
  description: string;
  deliveryCount: number;
  enqueuedAt: Date;
  /** When it was dead-lettered; null where the broker does not say (Service Bus does not). */
  deadLetteredAt: Date | null;
  /** The broker's order; a string because Service Bus sequence numbers are 64-bit. */
  sequenceNumber: string;
}

export interface DeadLetterPage {
  items: DeadLetter[];
  /** Opaque; null when there is nothing more. */
  continuation: string | null;
}

/**
 * The dead-letter sub-queue of the command queue, for operators: Service Bus (`<queue>/$DeadLetterQueue`)
 * or the embedded queue's dead-letter table. Failures reaching the queue leave as QueueUnavailableError.
 */
/** What becomes of a dead letter once it has been handled. */
export type DeadLetterFate = 'remove' | 'keep';

export interface DeadLetterQueue {
  /** Oldest first; a continuation this queue did not issue throws InvalidContinuationError. */
  listDeadLetters(page: PageRequest): Promise<DeadLetterPage>;
  /**
   * Holds the dead letter with this message id while `handle` runs, and removes it when that answers
   * `remove`; on `keep`, or if `handle` throws, the dead letter stays where it is (the error propagates).
   * False when no dead letter has this id.
   */
  withDeadLetter(
    messageId: string,
    handle: (letter: DeadLetter) => Promise<DeadLetterFate>,
  ): Promise<boolean>;
}

/** The dead letter exists but lies beyond what the queue can reach in one go (Service Bus: 2,000 older ones). */
export class DeadLetterOutOfReachError extends Error {
  constructor(
    readonly messageId: string,
    readonly depth: number,
  ) {
    super(
      `dead letter ${messageId} is not among the first ${depth} in the dead-letter queue; resubmit or discard older ones first`,
    );
    this.name = 'DeadLetterOutOfReachError';
  }
}
