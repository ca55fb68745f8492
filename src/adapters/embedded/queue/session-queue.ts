import type Database from 'better-sqlite3';
import type {
  DeadLetter,
  DeadLetterFate,
  DeadLetterPage,
  DeadLetterQueue,
} from '../../../ports/dead-letters';
import type { CommandQueue, OutgoingCommand } from '../../../ports/queue';
import { InvalidContinuationError, type PageRequest } from '../../../ports/store';
import type { SessionReceiver } from '../../../ports/sessions';
import type { CommittedMessages } from './accept-writer';
import { QueueCore, type EmbeddedQueueOptions, type QueueCounts } from './core';

/**
 * Embedded, durable stand-in for a Service Bus queue with sessions, stored in SQLite: the producer
 * (`CommandQueue`) and the session consumer. FIFO per session, session locks that expire, delivery
 * counts, dead-lettering, scheduled messages and duplicate detection.
 *
 * `send` resolves once its messages are committed and, in WAL mode, the log is fsynced: the file runs
 * synchronous=NORMAL (see database.ts), so a commit alone is not durable, and the queue fsyncs the WAL
 * itself off the event loop. Sends arriving together share one transaction and one fsync.
 */
export class EmbeddedSessionQueue implements CommandQueue, DeadLetterQueue {
  private readonly core: QueueCore;

  constructor(db: Database.Database, options: EmbeddedQueueOptions = {}) {
    this.core = new QueueCore(db, options);
  }

  send(messages: readonly OutgoingCommand[]): Promise<void> {
    return this.core.send(messages);
  }

  /** Delivers what an `EmbeddedAcceptWriter` on the same file committed (see QueueCore.admitCommitted). */
  admitCommitted(committed: CommittedMessages): void {
    this.core.admitCommitted(committed);
  }

  /**
   * Accepts the session whose oldest deliverable message is oldest among sessions nobody holds (or whose
   * lock expired); waits up to timeoutMs (default 0) for one; null if none, on abort or on close.
   */
  acceptNextSession(options?: { timeoutMs?: number; signal?: AbortSignal }): Promise<SessionReceiver | null> {
    return this.core.acceptNextSession(options);
  }

  deadLetters(sessionId?: string): DeadLetter[] {
    return this.core.deadLetters(sessionId);
  }

  listDeadLetters(page: PageRequest): Promise<DeadLetterPage> {
    const after = page.continuation === undefined ? 0 : decodeCursor(page.continuation);
    const items = this.core.deadLetterTable.deadLettersAfter(after, page.limit);
    const last = items.at(-1);
    const continuation =
      items.length === page.limit && last ? encodeCursor(Number(last.sequenceNumber)) : null;
    return Promise.resolve({ items, continuation });
  }

  /** The copy goes through `send` (durable before it resolves), then the dead letter is deleted. */
  async withDeadLetter(
    messageId: string,
    handle: (letter: DeadLetter) => Promise<DeadLetterFate>,
  ): Promise<boolean> {
    const letter = this.core.deadLetterTable.deadLetterOf(messageId);
    if (!letter) return false;
    if ((await handle(letter)) === 'keep') return true;
    // A concurrent resubmit of the same letter may have removed it first: its copy had the same id.
    this.core.deadLetterTable.removeDeadLetter(Number(letter.sequenceNumber));
    return true;
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

function encodeCursor(seq: number): string {
  return Buffer.from(JSON.stringify({ deadLetterAfter: seq })).toString('base64url');
}

function decodeCursor(token: string): number {
  try {
    const value: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (typeof value === 'object' && value !== null && 'deadLetterAfter' in value) {
      const seq = value.deadLetterAfter;
      if (typeof seq === 'number' && Number.isSafeInteger(seq) && seq >= 0) return seq;
    }
  } catch {
    // fall through: not ours
  }
  throw new InvalidContinuationError();
}
