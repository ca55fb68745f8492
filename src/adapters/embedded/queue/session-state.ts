/** A message the in-memory index knows about. Its place in its session is (availableAt, seq), as on restart. */
export interface Entry {
  seq: number;
  sessionId: string;
  availableAt: number;
  deliveryCount: number;
  /** The receiver it is delivered to and unsettled on. */
  holder: Holder | null;
  lockToken: string;
  settled: boolean;
}

/** What holds a session lock (a receiver), as the index sees it. */
export interface Holder {
  /** False once the lock is released or expired: every later call on the receiver fails. */
  active: boolean;
  /** Its delivered, unsettled messages by sequence number. */
  readonly inflight: Map<number, Entry>;
}

/** A message not yet delivered: no holder, no lock token. */
export function newEntry(seq: number, sessionId: string, availableAt: number, deliveryCount: number): Entry {
  return { seq, sessionId, availableAt, deliveryCount, holder: null, lockToken: '', settled: false };
}

/** Delivery order: by availability, then by the order the queue accepted them. */
export const before = (
  a: { availableAt: number; seq: number },
  b: { availableAt: number; seq: number },
): boolean => a.availableAt < b.availableAt || (a.availableAt === b.availableAt && a.seq < b.seq);

/** One session's messages in delivery order, and who holds its lock until when. */
export class SessionState {
  /** Deliverable and in-flight messages in delivery order; settled ones are skipped and compacted away. */
  private readonly queue: Entry[] = [];
  private head = 0;
  holder: Holder | null = null;
  lockedUntil = 0;

  constructor(readonly id: string) {}

  first(): Entry | undefined {
    while (this.head < this.queue.length && this.queue[this.head]!.settled) this.head++;
    // Compact rarely so a long-lived hot session does not keep every settled entry.
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    return this.queue[this.head];
  }

  /** Inserts in (availableAt, seq) order; nearly always an append. Returns true if it became the head. */
  insert(entry: Entry): boolean {
    let i = this.queue.length;
    while (i > this.head && before(entry, this.queue[i - 1]!)) i--;
    if (i === this.queue.length) this.queue.push(entry);
    else this.queue.splice(i, 0, entry);
    return this.first() === entry;
  }

  /** The next messages in order that are neither settled nor in flight. */
  *deliverable(): Generator<Entry> {
    this.first();
    for (let i = this.head; i < this.queue.length; i++) {
      const entry = this.queue[i]!;
      if (!entry.settled && entry.holder === null) yield entry;
    }
  }
}
