import type Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { systemClock, type Clock } from '../../../ports/clock';
import type { DeadLetter } from '../../../ports/dead-letters';
import { QueueUnavailableError, type OutgoingCommand } from '../../../ports/queue';
import {
  MAX_DELIVERY_COUNT,
  SessionLockLostError,
  type ReceivedMessage,
  type SessionReceiver,
} from '../../../ports/sessions';
import type { Fsync } from '../wal-sync';
import type { Gate } from '../write-gate';
import { EmbeddedAcceptWriter, type CommittedMessages } from './accept-writer';
import { MessageTable } from './message-table';
import { Receiver, type SessionLocks } from './receiver';
import { parseProperties, type MessageRow } from './schema';
import { SessionIndex } from './session-index';
import { newEntry, type Entry, type Holder, type SessionState } from './session-state';
import { Settlement } from './settlement';
import { SessionWaiters } from './waiters';

export interface EmbeddedQueueOptions {
  /** Every time decision (locks, schedules, duplicate window) uses this clock, so tests can fake it. */
  clock?: Clock;
  lockDurationMs?: number;
  maxDeliveryCount?: number;
  duplicateDetectionWindowMs?: number;
  /** How the write-ahead log is flushed to disk before sends resolve (default: fs.fsync on the thread pool). */
  fsync?: Fsync;
  /** Shared with the other threads of this process that write the file (write-gate.ts). */
  gate?: Gate;
  /** Awaited before completed messages are deleted: makes the decisions they completed durable. */
  beforeComplete?: () => Promise<void>;
  /**
   * Told of a message dead-lettered because its deliveries ran out without a settlement (locks lost,
   * restarts): nobody's handler saw it fail, so the host records it as failed.
   */
  onExhausted?: (message: ExhaustedMessage) => void;
}

export interface ExhaustedMessage {
  messageId: string;
  sessionId: string;
  body: unknown;
  deliveryCount: number;
}

export interface QueueCounts {
  active: number;
  scheduled: number;
  deadLettered: number;
  lockedSessions: number;
}

/**
 * Wires the parts together and owns the session locks and delivery; the exported queue exposes only
 * the queue API, the receivers call the rest.
 */
export class QueueCore implements SessionLocks {
  private readonly clock: Clock;
  private readonly table: MessageTable;
  private readonly index: SessionIndex;
  private readonly settlement: Settlement;
  private readonly waiters: SessionWaiters;
  private readonly accepts: EmbeddedAcceptWriter;
  private closed = false;

  constructor(
    private readonly db: Database.Database,
    options: EmbeddedQueueOptions = {},
  ) {
    this.clock = options.clock ?? systemClock;
    this.table = new MessageTable(this.db, options.duplicateDetectionWindowMs ?? 600_000, {
      ...(options.gate ? { gate: options.gate } : {}),
    });
    this.index = new SessionIndex(options.lockDurationMs ?? 60_000, (unsettled) => {
      this.waiters.notify();
      if (unsettled.length > 0) this.table.saveDeliveryCounts(unsettled);
    });
    this.settlement = new Settlement(
      this.table,
      this.index,
      options.maxDeliveryCount ?? MAX_DELIVERY_COUNT,
      options.beforeComplete ?? (() => Promise.resolve()),
      (seq) => {
        const row = options.onExhausted && this.table.deadLetterRow(seq);
        if (row) options.onExhausted?.(row);
      },
    );
    this.waiters = new SessionWaiters({
      take: (now) => this.take(now),
      nextChange: () => this.index.nextChange(),
      now: () => this.now(),
      closed: () => this.closed,
    });
    this.accepts = new EmbeddedAcceptWriter(this.db, {
      clock: this.clock,
      table: this.table,
      ...(options.fsync ? { fsync: options.fsync } : {}),
      publish: (inserted, now) => this.admit(inserted.entries, now),
    });
    const now = this.now();
    for (const entry of this.table.entries()) this.index.add(entry, now);
  }

  send(messages: readonly OutgoingCommand[]): Promise<void> {
    return this.accepts.send(messages);
  }

  /**
   * Messages another connection committed to this file and made durable (the host's accept thread):
   * deliverable from now on, read from `rows` rather than the file. Ignored once closed: the rows stay on
   * disk and are loaded on the next start.
   */
  admitCommitted(committed: CommittedMessages): void {
    if (this.closed) return;
    const entries = committed.seqs.map((seq, i) => {
      const row = committed.rows[i];
      if (!row) throw new Error(`committed message ${seq} came without its row`);
      return newEntry(seq, row.session_id, row.available_at, 0);
    });
    this.table.remember({ entries, rows: committed.rows });
    this.admit(entries, this.now());
  }

  acceptNextSession(
    options: { timeoutMs?: number; signal?: AbortSignal } = {},
  ): Promise<SessionReceiver | null> {
    if (this.closed || options.signal?.aborted) return Promise.resolve(null);
    const receiver = this.take(this.now());
    const timeoutMs = options.timeoutMs ?? 0;
    if (receiver || timeoutMs <= 0) return Promise.resolve(receiver);
    return this.waiters.wait(timeoutMs, options.signal);
  }

  deadLetters(sessionId?: string): DeadLetter[] {
    return this.table.deadLetters(sessionId);
  }

  /** The dead-letter table, for the queue's operator side (session-queue.ts). */
  get deadLetterTable(): Pick<MessageTable, 'deadLettersAfter' | 'deadLetterOf' | 'removeDeadLetter'> {
    if (this.closed) throw new QueueUnavailableError('The embedded queue is closed');
    return this.table;
  }

  counts(): QueueCounts {
    if (!this.closed) this.index.advance(this.now());
    const { active, scheduled, lockedSessions } = this.index.counts();
    return { active, scheduled, deadLettered: this.table.deadLettered, lockedSessions };
  }

  ping(): Promise<void> {
    return this.accepts.ping();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    // Sends accepted before close are still written, while the caller's db is open.
    const accepted = this.accepts.close();
    this.closed = true;
    await this.settlement.close();
    await accepted;
    this.waiters.close();
    for (const session of this.index.held()) {
      try {
        this.index.release(session);
      } catch {
        // The db is already closed: the counts of in-flight deliveries are lost, as on a crash.
      }
    }
  }

  checkLock(holder: Holder, session: SessionState): number {
    if (this.closed || !holder.active) throw new SessionLockLostError(session.id);
    const now = this.now();
    this.index.advance(now);
    if (!holder.active) throw new SessionLockLostError(session.id);
    return now;
  }

  deliver(holder: Holder, session: SessionState, max: number, now: number): ReceivedMessage[] {
    const out: ReceivedMessage[] = [];
    if (!(max >= 1)) return out;
    const exhausted: Entry[] = [];
    for (const entry of session.deliverable()) {
      if (this.settlement.exhausted(entry)) {
        exhausted.push(entry);
        continue;
      }
      const row = this.table.read(entry.seq);
      if (!row) continue;
      entry.deliveryCount++;
      entry.holder = holder;
      entry.lockToken = randomUUID();
      holder.inflight.set(entry.seq, entry);
      out.push(toReceived(row, entry));
      if (out.length >= max) break;
    }
    for (const entry of exhausted) this.settlement.deadLetterExhausted(session, entry, now);
    return out;
  }

  renew(session: SessionState, holder: Holder, now: number): number {
    return this.index.renew(session, holder, now);
  }

  release(session: SessionState): void {
    this.index.release(session);
  }

  private admit(entries: readonly Entry[], now: number): void {
    for (const entry of entries) this.index.add(entry, now);
    this.waiters.notify();
  }

  private take(now: number): Receiver | null {
    return this.index.take(now, (session) => new Receiver(this, this.settlement, session));
  }

  private now(): number {
    return this.clock.now().getTime();
  }
}

function toReceived(row: MessageRow, entry: Entry): ReceivedMessage {
  return {
    messageId: row.message_id,
    sessionId: row.session_id,
    body: JSON.parse(row.body) as unknown,
    subject: row.subject ?? undefined,
    applicationProperties: parseProperties(row.properties),
    deliveryCount: entry.deliveryCount,
    enqueuedTimeUtc: new Date(row.available_at),
    sequenceNumber: entry.seq,
    lockToken: entry.lockToken,
  };
}
