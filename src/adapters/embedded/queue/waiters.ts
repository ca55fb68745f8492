import type { SessionReceiver } from '../../../ports/sessions';

/** Node's timers take at most a signed 32-bit delay. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

interface Waiter {
  resolve(receiver: SessionReceiver | null): void;
}

export interface WaiterSource {
  /** The next free session, locked for the caller, or null. */
  take(now: number): SessionReceiver | null;
  /** When a session may next become free (a schedule falls due, a lock expires); Infinity if never. */
  nextChange(): number;
  now(): number;
  closed(): boolean;
}

/**
 * Callers of acceptNextSession waiting for a session, served without polling: on a commit or a release
 * (notify), and by one timer at the next schedule or lock expiry.
 */
export class SessionWaiters {
  private readonly waiters: Waiter[] = [];
  private wakeTimer: NodeJS.Timeout | undefined;
  private serveQueued = false;

  constructor(private readonly source: WaiterSource) {}

  /** Resolves with a session once one is free; null after timeoutMs or on abort. */
  wait(timeoutMs: number, signal: AbortSignal | undefined): Promise<SessionReceiver | null> {
    return new Promise((resolve) => {
      const onAbort = () => waiter.resolve(null);
      const timer = setTimeout(() => waiter.resolve(null), Math.min(timeoutMs, MAX_TIMER_MS));
      const waiter: Waiter = {
        resolve: (value) => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          const i = this.waiters.indexOf(waiter);
          if (i >= 0) this.waiters.splice(i, 1);
          resolve(value);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
      this.scheduleWake();
    });
  }

  /** A session may have become free: serve the waiters once the current work is done. */
  notify(): void {
    if (this.serveQueued || this.waiters.length === 0) return;
    this.serveQueued = true;
    queueMicrotask(() => {
      this.serveQueued = false;
      this.serve();
    });
  }

  /** Stops the timer and answers every waiter with null. */
  close(): void {
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    this.wakeTimer = undefined;
    for (const waiter of [...this.waiters]) waiter.resolve(null);
  }

  private serve(): void {
    if (this.source.closed()) return;
    const now = this.source.now();
    while (this.waiters.length > 0) {
      const receiver = this.source.take(now);
      if (!receiver) break;
      this.waiters[0]!.resolve(receiver);
    }
    this.scheduleWake();
  }

  private scheduleWake(): void {
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    this.wakeTimer = undefined;
    if (this.source.closed() || this.waiters.length === 0) return;
    const next = this.source.nextChange();
    if (next === Infinity) return;
    const delay = Math.min(Math.max(next - this.source.now(), 1), MAX_TIMER_MS);
    this.wakeTimer = setTimeout(() => {
      this.wakeTimer = undefined;
      this.serve();
    }, delay);
    // Each waiter's own timeout keeps the process alive; this timer need not.
    this.wakeTimer.unref();
  }
}
