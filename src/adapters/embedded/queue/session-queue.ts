import type Database from 'better-sqlite3';
import type { CommandQueue, OutgoingCommand } from '../../../ports/queue';
import type { SessionReceiver } from '../../../ports/sessions';
import { QueueCore, type EmbeddedQueueOptions, type QueueCounts } from './core';
import type { DeadLetteredMessage } from './message-table';

/**
 * Embedded, durable stand-in for a Service Bus queue with sessions, stored in SQLite: the producer
 * (`CommandQueue`) and the session consumer. FIFO per session, session locks that expire, delivery
 * counts, dead-lettering, scheduled messages and duplicate detection.
 *
 * `send` resolves once its messages are committed and, in WAL mode, the log is fsynced: the file runs
 * synchronous=NORMAL (see database.ts), so a commit alone is not durable, and the queue fsyncs the WAL
 * itself off the event loop. Sends arriving together share one transaction and one fsync.
 */
export class EmbeddedSessionQueue implements CommandQueue {
  private readonly core: QueueCore;

  constructor(db: Database.Database, options: EmbeddedQueueOptions = {}) {
    this.core = new QueueCore(db, options);
  }

  send(messages: readonly OutgoingCommand[]): Promise<void> {
    return this.core.send(messages);
  }

  /**
   * Accepts the session whose oldest deliverable message is oldest among sessions nobody holds (or whose
   * lock expired); waits up to timeoutMs (default 0) for one; null if none, on abort or on close.
   */
  acceptNextSession(options?: { timeoutMs?: number; signal?: AbortSignal }): Promise<SessionReceiver | null> {
    return this.core.acceptNextSession(options);
  }

  deadLetters(sessionId?: string): DeadLetteredMessage[] {
    return this.core.deadLetters(sessionId);
  }

  counts(): QueueCounts {
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
