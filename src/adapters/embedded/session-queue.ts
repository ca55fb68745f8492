import type Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { systemClock, type Clock } from '../../ports/clock';
import {
  QueueUnavailableError,
  type CommandQueue,
  type OutgoingCommand,
  type SendOutcome,
} from '../../ports/queue';
import {
  MAX_DELIVERY_COUNT,
  MAX_DELIVERY_COUNT_EXCEEDED,
  SessionLockLostError,
  type ReceivedMessage,
  type SessionReceiver,
} from '../../ports/sessions';
import { WalSync, type Fsync } from './wal-sync';
import { DISK_FULL_RETRY_SECONDS, isStorageFailure, WriteHealth } from './write-health';

/**
 * Embedded, durable stand-in for a Service Bus queue with sessions, stored in the SQLite file shared
 * with the embedded store. SQLite is the source of truth; an in-memory index (per-session FIFO, a heap
 * of scheduled messages, a heap of sessions nobody holds, the lock table) is rebuilt from it on start,
 * so accepting a session never scans the message table. Locks live in memory only: a restart releases
 * them, like an expired lock.
 */

export interface EmbeddedQueueOptions {
  /** Every time decision (locks, schedules, duplicate window) uses this clock, so tests can fake it. */
  clock?: Clock;
  lockDurationMs?: number;
  maxDeliveryCount?: number;
  duplicateDetectionWindowMs?: number;
  /** How the write-ahead log is flushed to disk before sends resolve (default: fs.fsync on the thread pool). */
  fsync?: Fsync;
  /** Awaited before completed messages are deleted: makes the decisions they completed durable. */
  beforeComplete?: () => Promise<void>;
}

export interface DeadLetteredMessage {
  messageId: string;
  sessionId: string;
  body: unknown;
  reason: string;
  description: string;
  deliveryCount: number;
  deadLetteredAt: Date;
  sequenceNumber: number;
}

const MAX_TIMER_MS = 2 ** 31 - 1;

// ---------------------------------------------------------------------------------------------------------
// In-memory index

/** A message the index knows about. Position in its session is (availableAt, seq), as on restart. */
interface Entry {
  seq: number;
  sessionId: string;
  availableAt: number;
  deliveryCount: number;
  /** The receiver it is delivered to and unsettled on. */
  holder: Receiver | null;
  lockToken: string;
  settled: boolean;
}

/** What one group commit wrote: the new entries, and the message ids whose duplicate records it created. */
interface Inserted {
  entries: Entry[];
  messageIds: string[];
}

const before = (a: { availableAt: number; seq: number }, b: { availableAt: number; seq: number }): boolean =>
  a.availableAt < b.availableAt || (a.availableAt === b.availableAt && a.seq < b.seq);

class MinHeap<T> {
  private readonly items: T[] = [];
  constructor(private readonly less: (a: T, b: T) => boolean) {}

  get size(): number {
    return this.items.length;
  }

  peek(): T | undefined {
    return this.items[0];
  }

  push(item: T): void {
    const items = this.items;
    items.push(item);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(items[i]!, items[parent]!)) break;
      [items[i], items[parent]] = [items[parent]!, items[i]!];
      i = parent;
    }
  }

  pop(): T | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length > 0 && last !== undefined) {
      items[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < items.length && this.less(items[l]!, items[m]!)) m = l;
        if (r < items.length && this.less(items[r]!, items[m]!)) m = r;
        if (m === i) break;
        [items[i], items[m]] = [items[m]!, items[i]!];
        i = m;
      }
    }
    return top;
  }
}

class SessionState {
  /** Deliverable and in-flight messages in delivery order; settled ones are skipped and compacted away. */
  private readonly queue: Entry[] = [];
  private head = 0;
  live = 0;
  holder: Receiver | null = null;
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
    this.live++;
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

interface AvailableSession {
  availableAt: number;
  seq: number;
  session: SessionState;
}

interface LockExpiry {
  until: number;
  session: SessionState;
  receiver: Receiver;
}

interface Waiter {
  resolve(receiver: SessionReceiver | null): void;
}

// ---------------------------------------------------------------------------------------------------------
// SQLite rows

interface PendingRow {
  messageId: string;
  sessionId: string;
  body: string;
  subject: string | null;
  properties: string | null;
  scheduledAt: number | null;
}

interface PendingSend {
  rows: PendingRow[];
  resolve(): void;
  reject(error: unknown): void;
}

interface IndexRow {
  seq: number;
  session_id: string;
  available_at: number;
  delivery_count: number;
}

interface MessageRow {
  message_id: string;
  session_id: string;
  body: string;
  subject: string | null;
  properties: string | null;
  available_at: number;
}

interface DeadLetterRow {
  seq: number;
  message_id: string;
  session_id: string;
  body: string;
  reason: string;
  description: string;
  delivery_count: number;
  dead_lettered_at: number;
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS queue_messages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id TEXT NOT NULL,
    session_id TEXT NOT NULL,
    body TEXT NOT NULL,
    subject TEXT,
    properties TEXT,
    enqueued_at INTEGER NOT NULL,
    available_at INTEGER NOT NULL,
    delivery_count INTEGER NOT NULL DEFAULT 0
  );
  CREATE TABLE IF NOT EXISTS queue_dead_letters (
    seq INTEGER PRIMARY KEY,
    message_id TEXT NOT NULL,
    session_id TEXT NOT NULL,
    body TEXT NOT NULL,
    subject TEXT,
    properties TEXT,
    enqueued_at INTEGER NOT NULL,
    available_at INTEGER NOT NULL,
    delivery_count INTEGER NOT NULL,
    reason TEXT NOT NULL,
    description TEXT NOT NULL,
    dead_lettered_at INTEGER NOT NULL
  );
  CREATE INDEX IF NOT EXISTS queue_dead_letters_by_session ON queue_dead_letters (session_id, seq);
  CREATE TABLE IF NOT EXISTS queue_dedup (
    message_id TEXT PRIMARY KEY,
    accepted_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS queue_dedup_by_time ON queue_dedup (accepted_at);
`;

function prepareStatements(db: Database.Database) {
  return {
    // Inserts or refreshes the record only when no live record exists: 0 changes means a duplicate.
    dedup: db.prepare<[string, number, number]>(
      `INSERT INTO queue_dedup (message_id, accepted_at) VALUES (?, ?)
       ON CONFLICT (message_id) DO UPDATE SET accepted_at = excluded.accepted_at WHERE accepted_at <= ?`,
    ),
    purgeDedup: db.prepare<[number]>('DELETE FROM queue_dedup WHERE accepted_at <= ?'),
    forgetDedup: db.prepare<[string]>('DELETE FROM queue_dedup WHERE message_id = ?'),
    insert: db.prepare<[string, string, string, string | null, string | null, number, number]>(
      `INSERT INTO queue_messages (message_id, session_id, body, subject, properties, enqueued_at, available_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ),
    index: db.prepare<[], IndexRow>(
      'SELECT seq, session_id, available_at, delivery_count FROM queue_messages ORDER BY available_at, seq',
    ),
    read: db.prepare<[number], MessageRow>(
      'SELECT message_id, session_id, body, subject, properties, available_at FROM queue_messages WHERE seq = ?',
    ),
    delete: db.prepare<[number]>('DELETE FROM queue_messages WHERE seq = ?'),
    setDeliveryCount: db.prepare<[number, number]>(
      'UPDATE queue_messages SET delivery_count = ? WHERE seq = ?',
    ),
    moveToDeadLetter: db.prepare<[number, string, string, number, number]>(
      `INSERT INTO queue_dead_letters (seq, message_id, session_id, body, subject, properties, enqueued_at,
         available_at, delivery_count, reason, description, dead_lettered_at)
       SELECT seq, message_id, session_id, body, subject, properties, enqueued_at, available_at, ?, ?, ?, ?
       FROM queue_messages WHERE seq = ?`,
    ),
    deadLetters: db.prepare<[], DeadLetterRow>('SELECT * FROM queue_dead_letters ORDER BY seq'),
    deadLettersOf: db.prepare<[string], DeadLetterRow>(
      'SELECT * FROM queue_dead_letters WHERE session_id = ? ORDER BY seq',
    ),
    countDeadLetters: db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM queue_dead_letters'),
    ping: db.prepare('SELECT 1'),
  };
}

// ---------------------------------------------------------------------------------------------------------

/** All state and logic; the exported class exposes only the queue API, the receivers call the rest. */
class QueueCore {
  private readonly clock: Clock;
  private readonly lockDurationMs: number;
  private readonly maxDeliveryCount: number;
  private readonly dedupWindowMs: number;
  private readonly sql: ReturnType<typeof prepareStatements>;
  private readonly insertBatch: (batch: PendingSend[], now: number) => Inserted;
  private readonly persistCounts: (entries: Entry[]) => void;
  private readonly deadLetterTx: (
    seq: number,
    reason: string,
    description: string,
    count: number,
    at: number,
  ) => void;

  private readonly sessions = new Map<string, SessionState>();
  private readonly scheduled = new MinHeap<Entry>(before);
  private readonly available = new MinHeap<AvailableSession>(before);
  private readonly locks = new MinHeap<LockExpiry>((a, b) => a.until < b.until);
  private readonly waiters: Waiter[] = [];
  private heldSessions = 0;
  private activeCount = 0;
  private deadLetterCount: number;

  private pending: PendingSend[] = [];
  private flushHandle: NodeJS.Immediate | undefined;
  private readonly wal: WalSync;
  private readonly health: WriteHealth;
  private readonly beforeDelete: () => Promise<void>;
  private deleting: Promise<void> = Promise.resolve();
  private pendingDeletes: number[] = [];
  private deleteHandle: NodeJS.Immediate | undefined;
  private readonly deleteMany: (seqs: number[]) => void;
  private readonly undoBatch: (seqs: number[], messageIds: string[]) => void;
  private wakeTimer: NodeJS.Timeout | undefined;
  private serveQueued = false;
  private lastDedupPurge = 0;
  private closed = false;
  flushCount = 0;

  constructor(
    private readonly db: Database.Database,
    options: EmbeddedQueueOptions = {},
  ) {
    this.clock = options.clock ?? systemClock;
    this.lockDurationMs = options.lockDurationMs ?? 60_000;
    this.maxDeliveryCount = options.maxDeliveryCount ?? MAX_DELIVERY_COUNT;
    this.dedupWindowMs = options.duplicateDetectionWindowMs ?? 600_000;
    this.wal = new WalSync(db, options.fsync);
    this.health = new WriteHealth(db);
    this.beforeDelete = options.beforeComplete ?? (() => Promise.resolve());
    db.exec(SCHEMA);
    const sql = (this.sql = prepareStatements(db));

    this.insertBatch = db.transaction((batch: PendingSend[], now: number): Inserted => {
      if (now - this.lastDedupPurge >= Math.min(this.dedupWindowMs, 60_000)) {
        sql.purgeDedup.run(now - this.dedupWindowMs);
        this.lastDedupPurge = now;
      }
      const accepted: Entry[] = [];
      const messageIds: string[] = [];
      for (const send of batch) {
        for (const row of send.rows) {
          // Within the window a resend is dropped silently, as Service Bus does; also within one batch.
          if (sql.dedup.run(row.messageId, now, now - this.dedupWindowMs).changes === 0) continue;
          const availableAt = Math.max(now, row.scheduledAt ?? now);
          const { lastInsertRowid } = sql.insert.run(
            row.messageId,
            row.sessionId,
            row.body,
            row.subject,
            row.properties,
            now,
            availableAt,
          );
          messageIds.push(row.messageId);
          accepted.push({
            seq: Number(lastInsertRowid),
            sessionId: row.sessionId,
            availableAt,
            deliveryCount: 0,
            holder: null,
            lockToken: '',
            settled: false,
          });
        }
      }
      return { entries: accepted, messageIds };
    });
    this.deleteMany = db.transaction((seqs: number[]) => {
      for (const seq of seqs) this.sql.delete.run(seq);
    });
    this.undoBatch = db.transaction((seqs: number[], messageIds: string[]) => {
      for (const seq of seqs) this.sql.delete.run(seq);
      for (const id of messageIds) this.sql.forgetDedup.run(id);
    });
    this.persistCounts = db.transaction((entries: Entry[]) => {
      for (const entry of entries) sql.setDeliveryCount.run(entry.deliveryCount, entry.seq);
    });
    this.deadLetterTx = db.transaction(
      (seq: number, reason: string, description: string, count: number, at: number) => {
        sql.moveToDeadLetter.run(count, reason, description, at, seq);
        sql.delete.run(seq);
      },
    );

    this.deadLetterCount = sql.countDeadLetters.get()?.n ?? 0;
    const now = this.now();
    for (const row of sql.index.iterate()) {
      this.index(
        {
          seq: row.seq,
          sessionId: row.session_id,
          availableAt: row.available_at,
          deliveryCount: row.delivery_count,
          holder: null,
          lockToken: '',
          settled: false,
        },
        now,
      );
    }
  }

  // ------------------------------------------------------------------------------------------------------
  // Producer

  send(messages: readonly OutgoingCommand[]): Promise<void> {
    if (this.closed) return Promise.reject(new QueueUnavailableError('The embedded queue is closed'));
    let rows: PendingRow[];
    try {
      rows = messages.map(toRow);
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    if (rows.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ rows, resolve, reject });
      // Group commit: every send that arrives before the flush shares its one fsync.
      this.flushHandle ??= setImmediate(() => this.flush());
    });
  }

  private flush(): void {
    this.flushHandle = undefined;
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    const now = this.now();
    const reject = (outcome: SendOutcome, error: unknown) => {
      const full = isStorageFailure(error);
      const failure = new QueueUnavailableError(
        outcome === 'not-accepted'
          ? 'The embedded queue could not store the messages; nothing was accepted'
          : 'The embedded queue could not make the messages durable; they may still be delivered',
        full ? DISK_FULL_RETRY_SECONDS : 5,
        { cause: error, outcome },
      );
      for (const send of batch) send.reject(failure);
    };
    let inserted: Inserted;
    try {
      inserted = this.insertBatch(batch, now);
      this.health.noteSuccess();
    } catch (error) {
      this.health.noteFailure(error);
      reject('not-accepted', error);
      return;
    }
    this.flushCount++;
    // Durable before anyone hears "accepted", and deliverable only then: a message the consumer could
    // apply must never be one whose sender was told 503. The WAL is fsynced on the thread pool, so the
    // event loop keeps serving while the disk works, and one fsync covers every commit written before it.
    this.wal.sync().then(
      () => {
        for (const entry of inserted.entries) this.index(entry, now);
        this.notify();
        for (const send of batch) send.resolve();
      },
      (error: unknown) => void this.undoUnsynced(inserted, now, error, reject),
    );
  }

  /**
   * The fsync after a commit failed: the rows may or may not reach the disk. Delete them (and their
   * duplicate-detection records, so a retry with the same ids is accepted) and make that durable; only
   * then is "nothing was accepted" true. If that fails too, the outcome is unknown: the rows stay on
   * disk and deliverable, and the caller is told so (and keeps its Idempotency-Key).
   */
  private async undoUnsynced(
    inserted: Inserted,
    now: number,
    error: unknown,
    reject: (outcome: SendOutcome, error: unknown) => void,
  ): Promise<void> {
    try {
      // Only what this batch inserted: a resend dropped as a duplicate belongs to an earlier, durable send.
      this.undoBatch(
        inserted.entries.map((entry) => entry.seq),
        inserted.messageIds,
      );
      await this.wal.sync();
      reject('not-accepted', error);
    } catch {
      for (const entry of inserted.entries) this.index(entry, now);
      this.notify();
      reject('unknown', error);
    }
  }

  // ------------------------------------------------------------------------------------------------------
  // Consumer

  acceptNextSession(
    options: { timeoutMs?: number; signal?: AbortSignal } = {},
  ): Promise<SessionReceiver | null> {
    if (this.closed || options.signal?.aborted) return Promise.resolve(null);
    const receiver = this.take(this.now());
    const timeoutMs = options.timeoutMs ?? 0;
    if (receiver || timeoutMs <= 0) return Promise.resolve(receiver);
    return new Promise((resolve) => {
      const signal = options.signal;
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

  deadLetters(sessionId?: string): DeadLetteredMessage[] {
    const rows = sessionId === undefined ? this.sql.deadLetters.all() : this.sql.deadLettersOf.all(sessionId);
    return rows.map((row) => ({
      messageId: row.message_id,
      sessionId: row.session_id,
      body: JSON.parse(row.body) as unknown,
      reason: row.reason,
      description: row.description,
      deliveryCount: row.delivery_count,
      deadLetteredAt: new Date(row.dead_lettered_at),
      sequenceNumber: row.seq,
    }));
  }

  counts(): { active: number; scheduled: number; deadLettered: number; lockedSessions: number } {
    if (!this.closed) this.advance(this.now());
    return {
      active: this.activeCount,
      scheduled: this.scheduled.size,
      deadLettered: this.deadLetterCount,
      lockedSessions: this.heldSessions,
    };
  }

  async ping(): Promise<void> {
    if (this.closed) throw new QueueUnavailableError('The embedded queue is closed');
    try {
      this.sql.ping.get();
      this.health.check();
    } catch (error) {
      throw new QueueUnavailableError('The embedded queue cannot read or write its database', 5, {
        cause: error,
      });
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    // Sends accepted before close are still written, while the caller's db is open.
    if (this.flushHandle) clearImmediate(this.flushHandle);
    this.flush();
    this.closed = true;
    if (this.deleteHandle) clearImmediate(this.deleteHandle);
    this.flushDeletes();
    await this.deleting;
    await this.wal.close();
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    this.wakeTimer = undefined;
    for (const waiter of [...this.waiters]) waiter.resolve(null);
    for (const session of [...this.sessions.values()]) {
      if (!session.holder) continue;
      try {
        this.release(session);
      } catch {
        // The db is already closed: the counts of in-flight deliveries are lost, as on a crash.
      }
    }
  }

  // ------------------------------------------------------------------------------------------------------
  // Index maintenance

  private now(): number {
    return this.clock.now().getTime();
  }

  private index(entry: Entry, now: number): void {
    if (entry.availableAt > now) this.scheduled.push(entry);
    else this.enqueue(entry);
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

  /** Activates due scheduled messages and releases expired locks. */
  private advance(now: number): void {
    for (let top = this.scheduled.peek(); top && top.availableAt <= now; top = this.scheduled.peek()) {
      this.scheduled.pop();
      this.enqueue(top);
    }
    for (let top = this.locks.peek(); top && top.until <= now; top = this.locks.peek()) {
      this.locks.pop();
      const { session, receiver, until } = top;
      if (session.holder === receiver && session.lockedUntil === until) this.release(session);
    }
  }

  /** Hands out the unheld session whose first deliverable message is oldest. */
  private take(now: number): Receiver | null {
    this.advance(now);
    for (let top = this.available.pop(); top; top = this.available.pop()) {
      const session = top.session;
      // Entries are pushed lazily and never removed: skip those no longer true.
      if (this.sessions.get(session.id) !== session || session.holder) continue;
      if (session.first()?.seq !== top.seq) continue;
      const receiver = new Receiver(this, session);
      session.holder = receiver;
      session.lockedUntil = now + this.lockDurationMs;
      this.locks.push({ until: session.lockedUntil, session, receiver });
      this.heldSessions++;
      return receiver;
    }
    return null;
  }

  /** Ends the current holder's lock; its unsettled messages become deliverable, their delivery counted. */
  release(session: SessionState): void {
    const receiver = session.holder;
    if (!receiver) return;
    session.holder = null;
    this.heldSessions--;
    receiver.active = false;
    const unsettled = [...receiver.inflight.values()];
    receiver.inflight.clear();
    for (const entry of unsettled) entry.holder = null;
    const head = session.first();
    if (head) this.available.push({ availableAt: head.availableAt, seq: head.seq, session });
    else this.sessions.delete(session.id);
    this.notify();
    if (unsettled.length > 0) this.persistCounts(unsettled);
  }

  renew(session: SessionState, receiver: Receiver, now: number): number {
    session.lockedUntil = now + this.lockDurationMs;
    this.locks.push({ until: session.lockedUntil, session, receiver });
    return session.lockedUntil;
  }

  /** Throws SessionLockLostError unless `receiver` still holds an unexpired lock. */
  checkLock(receiver: Receiver, session: SessionState): number {
    if (this.closed || !receiver.active) throw new SessionLockLostError(session.id);
    const now = this.now();
    this.advance(now);
    if (!receiver.active) throw new SessionLockLostError(session.id);
    return now;
  }

  deliver(receiver: Receiver, session: SessionState, max: number, now: number): ReceivedMessage[] {
    const out: ReceivedMessage[] = [];
    if (!(max >= 1)) return out;
    const exhausted: Entry[] = [];
    for (const entry of session.deliverable()) {
      // Counted deliveries include ones lost with a lock or a restart: never deliver beyond the maximum.
      if (entry.deliveryCount >= this.maxDeliveryCount) {
        exhausted.push(entry);
        continue;
      }
      const row = this.sql.read.get(entry.seq);
      if (!row) continue;
      entry.deliveryCount++;
      entry.holder = receiver;
      entry.lockToken = randomUUID();
      receiver.inflight.set(entry.seq, entry);
      out.push({
        messageId: row.message_id,
        sessionId: row.session_id,
        body: JSON.parse(row.body) as unknown,
        subject: row.subject ?? undefined,
        applicationProperties: row.properties ? (JSON.parse(row.properties) as Record<string, string>) : {},
        deliveryCount: entry.deliveryCount,
        enqueuedTimeUtc: new Date(row.available_at),
        sequenceNumber: entry.seq,
        lockToken: entry.lockToken,
      });
      if (out.length >= max) break;
    }
    for (const entry of exhausted) {
      this.deadLetterEntry(session, entry, MAX_DELIVERY_COUNT_EXCEEDED, this.exceeded(), now);
    }
    return out;
  }

  exceeded(): string {
    return `The message was delivered ${this.maxDeliveryCount} times without being completed`;
  }

  settleEntry(receiver: Receiver, message: ReceivedMessage): Entry {
    const entry = receiver.inflight.get(message.sequenceNumber);
    if (!entry || entry.lockToken !== message.lockToken) {
      throw new Error(`Message ${message.messageId} is not locked by this receiver (settled already?)`);
    }
    return entry;
  }

  completeEntry(session: SessionState, entry: Entry): void {
    this.remove(session, entry);
    // Deletes are written together once per tick. A completion lost to a crash only means a redelivery,
    // which the consumer detects as a duplicate; and it is always written after the decision it follows.
    this.pendingDeletes.push(entry.seq);
    this.deleteHandle ??= setImmediate(() => this.flushDeletes());
  }

  /**
   * Writes the deletes of completed messages, once what they completed is durable (the store's log is
   * synced first when it lives in another file): a power loss can then lose a decision only together
   * with its completion, and the message is redelivered.
   */
  private flushDeletes(): void {
    this.deleteHandle = undefined;
    if (this.pendingDeletes.length === 0) return;
    const seqs = this.pendingDeletes;
    this.pendingDeletes = [];
    this.deleting = this.deleting
      .then(() => this.beforeDelete())
      .then(() => this.deleteMany(seqs))
      .catch(() => {
        // Not deleted (store not synced, or the db closed): those messages are redelivered and found to
        // be duplicates, exactly as after a crash.
      });
  }

  abandonEntry(session: SessionState, entry: Entry, now: number): void {
    if (entry.deliveryCount >= this.maxDeliveryCount) {
      this.deadLetterEntry(session, entry, MAX_DELIVERY_COUNT_EXCEEDED, this.exceeded(), now);
      return;
    }
    this.sql.setDeliveryCount.run(entry.deliveryCount, entry.seq);
    entry.holder?.inflight.delete(entry.seq);
    entry.holder = null;
  }

  deadLetterEntry(
    session: SessionState,
    entry: Entry,
    reason: string,
    description: string,
    now: number,
  ): void {
    this.deadLetterTx(entry.seq, reason, description, entry.deliveryCount, now);
    this.deadLetterCount++;
    this.remove(session, entry);
  }

  private remove(session: SessionState, entry: Entry): void {
    entry.holder?.inflight.delete(entry.seq);
    entry.holder = null;
    entry.settled = true;
    session.live--;
    this.activeCount--;
    session.first();
  }

  // ------------------------------------------------------------------------------------------------------
  // Waiting without polling: wake on commit, on release, at the next schedule or lock expiry.

  private notify(): void {
    if (this.serveQueued || this.waiters.length === 0) return;
    this.serveQueued = true;
    queueMicrotask(() => {
      this.serveQueued = false;
      this.serveWaiters();
    });
  }

  private serveWaiters(): void {
    if (this.closed) return;
    const now = this.now();
    while (this.waiters.length > 0) {
      const receiver = this.take(now);
      if (!receiver) break;
      this.waiters[0]!.resolve(receiver);
    }
    this.scheduleWake();
  }

  private scheduleWake(): void {
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    this.wakeTimer = undefined;
    if (this.closed || this.waiters.length === 0) return;
    const next = Math.min(
      this.scheduled.peek()?.availableAt ?? Infinity,
      this.locks.peek()?.until ?? Infinity,
    );
    if (next === Infinity) return;
    const delay = Math.min(Math.max(next - this.now(), 1), MAX_TIMER_MS);
    this.wakeTimer = setTimeout(() => {
      this.wakeTimer = undefined;
      this.serveWaiters();
    }, delay);
    // Each waiter's own timeout keeps the process alive; this timer need not.
    this.wakeTimer.unref();
  }
}

/**
 * The embedded queue: producer (`CommandQueue`) and session consumer. `send` resolves once its
 * messages are committed with synchronous=FULL; sends arriving together share one transaction.
 */
export class EmbeddedSessionQueue implements CommandQueue {
  private readonly core: QueueCore;

  constructor(db: Database.Database, options: EmbeddedQueueOptions = {}) {
    this.core = new QueueCore(db, options);
  }

  /** Number of group-commit transactions written so far. */
  get flushCount(): number {
    return this.core.flushCount;
  }

  send(messages: readonly OutgoingCommand[]): Promise<void> {
    return this.core.send(messages);
  }

  /** Accepts the session whose oldest deliverable message is oldest among sessions nobody holds (or whose lock expired); waits up to timeoutMs (default 0) for one; null if none, on abort or on close. */
  acceptNextSession(options?: { timeoutMs?: number; signal?: AbortSignal }): Promise<SessionReceiver | null> {
    return this.core.acceptNextSession(options);
  }

  deadLetters(sessionId?: string): DeadLetteredMessage[] {
    return this.core.deadLetters(sessionId);
  }

  counts(): { active: number; scheduled: number; deadLettered: number; lockedSessions: number } {
    return this.core.counts();
  }

  ping(): Promise<void> {
    return this.core.ping();
  }

  /** Writes sends already queued, stops timers, wakes waiters with null and releases locks; the db stays open. */
  close(): Promise<void> {
    return this.core.close();
  }
}

class Receiver implements SessionReceiver {
  active = true;
  readonly inflight = new Map<number, Entry>();

  constructor(
    private readonly queue: QueueCore,
    private readonly session: SessionState,
  ) {}

  get sessionId(): string {
    return this.session.id;
  }

  lockedUntil(): Date {
    return new Date(this.session.lockedUntil);
  }

  async receiveMessages(max: number): Promise<ReceivedMessage[]> {
    const now = this.queue.checkLock(this, this.session);
    return this.queue.deliver(this, this.session, max, now);
  }

  async complete(message: ReceivedMessage): Promise<void> {
    this.queue.checkLock(this, this.session);
    this.queue.completeEntry(this.session, this.queue.settleEntry(this, message));
  }

  async abandon(message: ReceivedMessage): Promise<void> {
    const now = this.queue.checkLock(this, this.session);
    this.queue.abandonEntry(this.session, this.queue.settleEntry(this, message), now);
  }

  async deadLetter(message: ReceivedMessage, reason: string, description = ''): Promise<void> {
    const now = this.queue.checkLock(this, this.session);
    this.queue.deadLetterEntry(this.session, this.queue.settleEntry(this, message), reason, description, now);
  }

  async renewLock(): Promise<Date> {
    const now = this.queue.checkLock(this, this.session);
    return new Date(this.queue.renew(this.session, this, now));
  }

  async close(): Promise<void> {
    // Closing a receiver whose lock is already gone is a no-op, as it is for a Service Bus receiver.
    if (this.active) this.queue.release(this.session);
  }
}

function toRow(message: OutgoingCommand): PendingRow {
  if (typeof message.sessionId !== 'string' || message.sessionId.length === 0) {
    throw new TypeError('Every message needs a non-empty sessionId');
  }
  if (typeof message.messageId !== 'string' || message.messageId.length === 0) {
    throw new TypeError('Every message needs a non-empty messageId');
  }
  const body = JSON.stringify(message.body) as string | undefined;
  if (body === undefined) throw new TypeError(`Message ${message.messageId} has no JSON body`);
  const scheduledAt = message.scheduledEnqueueTime?.getTime() ?? null;
  if (scheduledAt !== null && Number.isNaN(scheduledAt)) {
    throw new TypeError(`Message ${message.messageId} has an invalid scheduledEnqueueTime`);
  }
  const type = (message.body as { type?: unknown } | null)?.type;
  return {
    messageId: message.messageId,
    sessionId: message.sessionId,
    body,
    subject: typeof type === 'string' ? type : null,
    properties: message.applicationProperties ? JSON.stringify(message.applicationProperties) : null,
    scheduledAt,
  };
}
