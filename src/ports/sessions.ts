/**
 * The consumer side of a session queue, as the local dispatcher uses it: take the next free session, read
 * its messages in order, settle each. The embedded queue implements it, and so does the Service Bus
 * session source the local host uses against a real namespace (on Azure the Functions host does this).
 */

export interface ReceivedMessage {
  messageId: string;
  sessionId: string;
  /** The JSON-parsed body as sent. */
  body: unknown;
  subject: string | undefined;
  applicationProperties: Record<string, string>;
  /** 1 on first delivery. */
  deliveryCount: number;
  /** For a scheduled message, the time it became deliverable (as Service Bus reports it). */
  enqueuedTimeUtc: Date;
  sequenceNumber: number;
  lockToken: string;
}

export interface SessionReceiver {
  readonly sessionId: string;
  lockedUntil(): Date;
  /** Up to `max` next messages of this session, in order, that are not already delivered-and-unsettled on this receiver. Empty array when none is deliverable now. */
  receiveMessages(max: number): Promise<ReceivedMessage[]>;
  /** Deletes the message. */
  complete(message: ReceivedMessage): Promise<void>;
  /** Makes it deliverable again at its place (redelivered next); dead-letters it once it has been delivered maxDeliveryCount times. */
  abandon(message: ReceivedMessage): Promise<void>;
  deadLetter(message: ReceivedMessage, reason: string, description?: string): Promise<void>;
  renewLock(): Promise<Date>;
  /** Releases the session; unsettled messages become deliverable again (their delivery already counted). */
  close(): Promise<void>;
}

/** The session lock expired (or the queue closed): another consumer may hold the session now. */
export class SessionLockLostError extends Error {
  constructor(sessionId: string) {
    super(`The session lock of '${sessionId}' was lost; another consumer may hold the session`);
    this.name = 'SessionLockLostError';
  }
}

/**
 * Deliveries before a message is dead-lettered: the queue's maxDeliveryCount on Service Bus
 * (infra/modules/servicebus.bicep) and the embedded queue's default, and the count at which the trigger
 * records a command as failed.
 */
export const MAX_DELIVERY_COUNT = 10;
/** The dead-letter reason for a message delivered MAX_DELIVERY_COUNT times without being completed. */
export const MAX_DELIVERY_COUNT_EXCEEDED = 'MaxDeliveryCountExceeded';

/** Where a dispatcher takes sessions from. */
export interface SessionSource {
  acceptNextSession(options?: { timeoutMs?: number; signal?: AbortSignal }): Promise<SessionReceiver | null>;
}
