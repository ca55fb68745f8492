import type { CartCommand } from '../domain/cart-model';
import type { Command } from '../domain/model';

export interface OutgoingCommand {
  /** Service Bus session id: the inventory id (or `cart:<cartId>`), so one item's (one cart's) commands are applied in order. */
  sessionId: string;
  /** The command id: queue duplicate detection drops a resend with the same id. */
  messageId: string;
  body: Command | CartCommand;
  /** Deliver no earlier than this (ExpireHold at the hold's expiry). */
  scheduledEnqueueTime?: Date;
  /** Trace context and other string properties carried to the consumer. */
  applicationProperties?: Record<string, string>;
}

/**
 * The producer side of the command queue. `send` resolves only when every message is durable
 * (that is what a 202 promises). Scheduled messages are written before immediate ones, so a failure
 * part-way can leave at most a stray ExpireHold, which is a no-op when its hold does not exist.
 */
export interface CommandQueue {
  send(messages: readonly OutgoingCommand[]): Promise<void>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Whether a failed send may still have been accepted: `not-accepted` when nothing of it can ever be
 * delivered (refused, or written and then undone durably); `unknown` when part of it may be on disk or
 * at the broker, so a caller must keep its Idempotency-Key and must not claim that nothing happened.
 */
export type SendOutcome = 'not-accepted' | 'unknown';

/** The queue refused or could not be reached: the HTTP caller gets 503 with Retry-After. */
export class QueueUnavailableError extends Error {
  readonly outcome: SendOutcome;

  constructor(
    message: string,
    readonly retryAfterSeconds = 5,
    options?: { cause?: unknown; outcome?: SendOutcome },
  ) {
    super(message, options);
    this.name = 'QueueUnavailableError';
    this.outcome = options?.outcome ?? 'not-accepted';
  }
}
