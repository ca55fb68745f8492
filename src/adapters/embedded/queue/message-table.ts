import type Database from 'better-sqlite3';
import type { DeadLetter } from '../../../ports/dead-letters';
import {
  parseProperties,
  prepareStatements,
  SCHEMA,
  type DeadLetterRow,
  type MessageRow,
  type QueueStatements,
} from './schema';
import { newEntry, type Entry } from './session-state';
import { UNGATED, type Gate } from '../write-gate';

/** A message as accepted, ready to insert. */
export interface PendingRow {
  messageId: string;
  sessionId: string;
  body: string;
  subject: string | null;
  properties: string | null;
  scheduledAt: number | null;
}

/** What one group commit wrote: the new entries, and the message ids whose duplicate records it created. */
export interface Inserted {
  entries: Entry[];
  messageIds: string[];
  /** The row of each entry, in the same order. */
  rows: MessageRow[];
  /** The time the commit took as now. */
  now: number;
}

/** Rows of recent accepts kept in memory: most are delivered within a second, without reading them back. */
const RECENT_ROWS = 20_000;

type Tx<F extends (...args: never[]) => unknown> = Database.Transaction<F>;
type DeadLetterTx = (seq: number, reason: string, description: string, count: number, at: number) => void;

/** The queue's durable side: every write to its tables, each one transaction. SQLite is the source of truth. */
export class MessageTable {
  private readonly sql: QueueStatements;
  // Run .immediate: another connection may write the file too (the host's accept thread, through the
  // gate; a backup, on busy_timeout), and a transaction that takes the write lock first never fails on a
  // stale snapshot.
  private readonly insertTx: Tx<(batch: readonly { rows: readonly PendingRow[] }[], now: number) => Inserted>;
  private readonly deleteTx: Tx<(seqs: readonly number[]) => void>;
  private readonly undoTx: Tx<(inserted: Inserted) => void>;
  private readonly countsTx: Tx<(entries: readonly Entry[]) => void>;
  private readonly deadLetterTx: Tx<DeadLetterTx>;
  private lastDedupPurge = 0;
  /** Committed rows by sequence number, oldest first; a row is dropped once settled or past RECENT_ROWS. */
  private readonly recent = new Map<number, MessageRow>();
  /** Kept in memory so counts() never scans the table. */
  deadLettered: number;

  private readonly recentRows: number;
  private readonly gate: Gate;

  /**
   * `recentRows` 0 keeps none: a connection that only writes accepts (the host's accept thread) hands its
   * rows to the consumer's table instead (`remember`). `gate` is shared with the process's other threads
   * that write the file (write-gate.ts).
   */
  constructor(
    db: Database.Database,
    private readonly dedupWindowMs: number,
    options: { recentRows?: number; gate?: Gate } = {},
  ) {
    this.recentRows = options.recentRows ?? RECENT_ROWS;
    this.gate = options.gate ?? UNGATED;
    db.exec(SCHEMA);
    const sql = (this.sql = prepareStatements(db));
    this.insertTx = db.transaction((batch: readonly { rows: readonly PendingRow[] }[], now: number) =>
      this.insertRows(batch, now),
    );
    this.deleteTx = db.transaction((seqs: readonly number[]) => {
      for (const seq of seqs) sql.delete.run(seq);
    });
    this.undoTx = db.transaction((inserted: Inserted) => {
      for (const entry of inserted.entries) sql.delete.run(entry.seq);
      for (const id of inserted.messageIds) sql.forgetDedup.run(id);
    });
    this.countsTx = db.transaction((entries: readonly Entry[]) => {
      for (const entry of entries) sql.setDeliveryCount.run(entry.deliveryCount, entry.seq);
    });
    this.deadLetterTx = db.transaction(
      (seq: number, reason: string, description: string, count: number, at: number) => {
        sql.moveToDeadLetter.run(count, reason, description, at, seq);
        sql.delete.run(seq);
      },
    );
    this.deadLettered = sql.countDeadLetters.get()?.n ?? 0;
  }

  /**
   * Inserts every send's rows in one transaction, dropping duplicates within the window. The time is read
   * once this thread's turn to write has come (`clock`), so that on every thread writing the file a later
   * sequence number never gets an earlier time: delivery order (availableAt, seq) is commit order.
   */
  insert(batch: readonly { rows: readonly PendingRow[] }[], clock: () => number): Inserted {
    const inserted = this.gate.run(() => this.insertTx.immediate(batch, clock()));
    // Only once committed: a transaction that threw left nothing to remember.
    this.remember(inserted);
    return inserted;
  }

  /** Keeps committed rows (this connection's, or another's that the file now holds) to read without SQLite. */
  remember({ entries, rows }: Pick<Inserted, 'entries' | 'rows'>): void {
    if (this.recentRows === 0) return;
    entries.forEach((entry, i) => {
      const row = rows[i];
      if (row) this.recent.set(entry.seq, row);
    });
    for (const seq of this.recent.keys()) {
      if (this.recent.size <= this.recentRows) break;
      this.recent.delete(seq);
    }
  }

  /** Deletes what `insert` wrote, and its duplicate records, so a retry with the same ids is accepted. */
  undo(inserted: Inserted): void {
    this.gate.run(() => this.undoTx.immediate(inserted));
    for (const entry of inserted.entries) this.recent.delete(entry.seq);
  }

  delete(seqs: readonly number[]): void {
    this.gate.run(() => this.deleteTx.immediate(seqs));
    for (const seq of seqs) this.recent.delete(seq);
  }

  saveDeliveryCounts(entries: readonly Entry[]): void {
    this.gate.run(() => this.countsTx.immediate(entries));
  }

  saveDeliveryCount(entry: Entry): void {
    this.gate.run(() => this.sql.setDeliveryCount.run(entry.deliveryCount, entry.seq));
  }

  moveToDeadLetters(entry: Entry, reason: string, description: string, at: number): void {
    this.gate.run(() => this.deadLetterTx.immediate(entry.seq, reason, description, entry.deliveryCount, at));
    this.recent.delete(entry.seq);
    this.deadLettered++;
  }

  read(seq: number): MessageRow | undefined {
    return this.recent.get(seq) ?? this.sql.read.get(seq);
  }

  /** Every stored message in delivery order, to rebuild the in-memory index on start. */
  *entries(): Generator<Entry> {
    for (const row of this.sql.index.iterate()) {
      yield newEntry(row.seq, row.session_id, row.available_at, row.delivery_count);
    }
  }

  deadLetters(sessionId?: string): DeadLetter[] {
    const rows = sessionId === undefined ? this.sql.deadLetters.all() : this.sql.deadLettersOf.all(sessionId);
    return rows.map(toDeadLetter);
  }

  /** Up to `limit` dead letters after sequence number `after`, oldest first. */
  deadLettersAfter(after: number, limit: number): DeadLetter[] {
    return this.sql.deadLettersAfter.all(after, limit).map(toDeadLetter);
  }

  /** The oldest dead letter with this message id, if any. */
  deadLetterOf(messageId: string): DeadLetter | undefined {
    const row = this.sql.deadLetterOf.get(messageId);
    return row && toDeadLetter(row);
  }

  /** One dead letter by its sequence number. */
  deadLetterRow(seq: number): DeadLetter | undefined {
    const row = this.sql.deadLetterBySeq.get(seq);
    return row && toDeadLetter(row);
  }

  /** Takes one dead letter out (it was resubmitted); false if it was already gone. */
  removeDeadLetter(seq: number): boolean {
    const removed = this.gate.run(() => this.sql.deleteDeadLetter.run(seq).changes > 0);
    if (removed) this.deadLettered--;
    return removed;
  }

  ping(): void {
    this.sql.ping.get();
  }

  private insertRows(batch: readonly { rows: readonly PendingRow[] }[], now: number): Inserted {
    const sql = this.sql;
    if (now - this.lastDedupPurge >= Math.min(this.dedupWindowMs, 60_000)) {
      sql.purgeDedup.run(now - this.dedupWindowMs);
      this.lastDedupPurge = now;
    }
    const inserted: Inserted = { entries: [], messageIds: [], rows: [], now };
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
        const seq = Number(lastInsertRowid);
        inserted.messageIds.push(row.messageId);
        inserted.entries.push(newEntry(seq, row.sessionId, availableAt, 0));
        inserted.rows.push({
          message_id: row.messageId,
          session_id: row.sessionId,
          body: row.body,
          subject: row.subject,
          properties: row.properties,
          available_at: availableAt,
        });
      }
    }
    return inserted;
  }
}

function toDeadLetter(row: DeadLetterRow): DeadLetter {
  return {
    messageId: row.message_id,
    sessionId: row.session_id,
    body: JSON.parse(row.body) as unknown,
    subject: row.subject,
    applicationProperties: parseProperties(row.properties),
    reason: row.reason,
    description: row.description,
    deliveryCount: row.delivery_count,
    enqueuedAt: new Date(row.enqueued_at),
    deadLetteredAt: new Date(row.dead_lettered_at),
    sequenceNumber: String(row.seq),
  };
}
