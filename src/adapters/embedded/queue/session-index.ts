import { MinHeap } from './heap';
import { before, SessionState, type Entry, type Holder } from './session-state';

interface AvailableSession {
  availableAt: number;
  seq: number;
  session: SessionState;
}

interface LockExpiry {
  until: number;
  session: SessionState;
  holder: Holder;
}

/**
 * The in-memory index over the message table, rebuilt from it on start: per-session FIFOs, a heap of
 * scheduled messages, a heap of sessions nobody holds, and the session locks. Accepting a session never
 * scans the table. Locks live here only: a restart releases them, like an expired lock.
 */
export class SessionIndex {
  private readonly sessions = new Map<string, SessionState>();
  private readonly scheduled = new MinHeap<Entry>(before);
  private readonly available = new MinHeap<AvailableSession>(before);
  private readonly locks = new MinHeap<LockExpiry>((a, b) => a.until < b.until);
  private heldSessions = 0;
  private activeCount = 0;

  constructor(
    private readonly lockDurationMs: number,
    /** Told of every released lock, with the messages it left unsettled (their delivery counted). */
    private readonly onRelease: (unsettled: Entry[]) => void,
  ) {}

  add(entry: Entry, now: number): void {
    if (entry.availableAt > now) this.scheduled.push(entry);
    else this.enqueue(entry);
  }

  /** Activates due scheduled messages and releases expired locks. */
  advance(now: number): void {
    for (let top = this.scheduled.peek(); top && top.availableAt <= now; top = this.scheduled.peek()) {
      this.scheduled.pop();
      this.enqueue(top);
    }
    for (let top = this.locks.peek(); top && top.until <= now; top = this.locks.peek()) {
      this.locks.pop();
      const { session, holder, until } = top;
      if (session.holder === holder && session.lockedUntil === until) this.release(session);
    }
  }

  /** Locks the unheld session whose first deliverable message is oldest, for the holder `open` makes. */
  take<H extends Holder>(now: number, open: (session: SessionState) => H): H | null {
    this.advance(now);
    for (let top = this.available.pop(); top; top = this.available.pop()) {
      const session = top.session;
      // Entries are pushed lazily and never removed: skip those no longer true.
      if (this.sessions.get(session.id) !== session || session.holder) continue;
      if (session.first()?.seq !== top.seq) continue;
      const holder = open(session);
      session.holder = holder;
      session.lockedUntil = now + this.lockDurationMs;
      this.locks.push({ until: session.lockedUntil, session, holder });
      this.heldSessions++;
      return holder;
    }
    return null;
  }

  renew(session: SessionState, holder: Holder, now: number): number {
    session.lockedUntil = now + this.lockDurationMs;
    this.locks.push({ until: session.lockedUntil, session, holder });
    return session.lockedUntil;
  }

  /** Ends the current holder's lock; its unsettled messages become deliverable again. */
  release(session: SessionState): void {
    const holder = session.holder;
    if (!holder) return;
    session.holder = null;
    this.heldSessions--;
    holder.active = false;
    const unsettled = [...holder.inflight.values()];
    holder.inflight.clear();
    for (const entry of unsettled) entry.holder = null;
    const head = session.first();
    if (head) this.available.push({ availableAt: head.availableAt, seq: head.seq, session });
    else this.sessions.delete(session.id);
    this.onRelease(unsettled);
  }

  /** Takes a settled (completed or dead-lettered) message out of its session. */
  remove(session: SessionState, entry: Entry): void {
    entry.holder?.inflight.delete(entry.seq);
    entry.holder = null;
    entry.settled = true;
    this.activeCount--;
    session.first();
  }

  /** The sessions someone holds, to release them on close. */
  held(): SessionState[] {
    return [...this.sessions.values()].filter((session) => session.holder !== null);
  }

  /** When the next scheduled message becomes due or the next lock expires; Infinity if never. */
  nextChange(): number {
    return Math.min(this.scheduled.peek()?.availableAt ?? Infinity, this.locks.peek()?.until ?? Infinity);
  }

  counts(): { active: number; scheduled: number; lockedSessions: number } {
    return { active: this.activeCount, scheduled: this.scheduled.size, lockedSessions: this.heldSessions };
  }

  private enqueue(entry: Entry): void {
    let session = this.sessions.get(entry.sessionId);
    if (!session) {
      session = new SessionState(entry.sessionId);
      this.sessions.set(entry.sessionId, session);
    }
    this.activeCount++;
    if (session.insert(entry) && !session.holder) {
      this.available.push({ availableAt: entry.availableAt, seq: entry.seq, session });
    }
  }
}
