import type { ReceivedMessage, SessionReceiver } from '../../../ports/sessions';
import type { Settlement } from './settlement';
import type { Entry, Holder, SessionState } from './session-state';

/** The lock and delivery side of the queue, as a receiver calls it. */
export interface SessionLocks {
  /** The current time; throws SessionLockLostError unless `holder` still holds an unexpired lock. */
  checkLock(holder: Holder, session: SessionState): number;
  deliver(holder: Holder, session: SessionState, max: number, now: number): ReceivedMessage[];
  renew(session: SessionState, holder: Holder, now: number): number;
  release(session: SessionState): void;
}

/** One accepted session: every call checks the lock first, as a Service Bus session receiver does. */
export class Receiver implements SessionReceiver, Holder {
  active = true;
  readonly inflight = new Map<number, Entry>();

  constructor(
    private readonly locks: SessionLocks,
    private readonly settlement: Pick<Settlement, 'complete' | 'abandon' | 'deadLetter'>,
    private readonly session: SessionState,
  ) {}

  get sessionId(): string {
    return this.session.id;
  }

  lockedUntil(): Date {
    return new Date(this.session.lockedUntil);
  }

  async receiveMessages(max: number): Promise<ReceivedMessage[]> {
    const now = this.locks.checkLock(this, this.session);
    return this.locks.deliver(this, this.session, max, now);
  }

  async complete(message: ReceivedMessage): Promise<void> {
    this.locks.checkLock(this, this.session);
    this.settlement.complete(this.session, this.entryOf(message));
  }

  async abandon(message: ReceivedMessage): Promise<void> {
    const now = this.locks.checkLock(this, this.session);
    this.settlement.abandon(this.session, this.entryOf(message), now);
  }

  async deadLetter(message: ReceivedMessage, reason: string, description = ''): Promise<void> {
    const now = this.locks.checkLock(this, this.session);
    this.settlement.deadLetter(this.session, this.entryOf(message), reason, description, now);
  }

  async renewLock(): Promise<Date> {
    const now = this.locks.checkLock(this, this.session);
    return new Date(this.locks.renew(this.session, this, now));
  }

  async close(): Promise<void> {
    // Closing a receiver whose lock is already gone is a no-op, as it is for a Service Bus receiver.
    if (this.active) this.locks.release(this.session);
  }

  /** The in-flight entry a message stands for; its lock token proves this delivery, not an older one. */
  private entryOf(message: ReceivedMessage): Entry {
    const entry = this.inflight.get(message.sequenceNumber);
    if (!entry || entry.lockToken !== message.lockToken) {
      throw new Error(`Message ${message.messageId} is not locked by this receiver (settled already?)`);
    }
    return entry;
  }
}
