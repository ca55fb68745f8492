import type Database from 'better-sqlite3';
import { systemClock, type Clock } from '../../../ports/clock';
import { QueueUnavailableError, type CommandQueue, type OutgoingCommand } from '../../../ports/queue';
import { WalSync, type Fsync } from '../wal-sync';
import type { Gate } from '../write-gate';
import { WriteHealth } from '../write-health';
import { GroupCommit } from './group-commit';
import { MessageTable, type Inserted } from './message-table';

export interface AcceptWriterOptions {
  clock?: Clock;
  duplicateDetectionWindowMs?: number;
  fsync?: Fsync;
  /** Shared with the other threads of this process that write the file (write-gate.ts). */
  gate?: Gate;
  /** The table to write through (the delivering queue's own); by default one of its own, keeping no rows. */
  table?: MessageTable;
  /**
   * Told of every group commit once it is durable (or its outcome unknown), in commit order: the queue
   * that delivers them must hear of each exactly once (directly, or through `handOver` from another thread).
   */
  publish: (inserted: Inserted, now: number) => void;
}

/** Messages committed and made durable by another connection, as a thread hands them over (structured clone). */
export interface CommittedMessages {
  seqs: number[];
  rows: Inserted['rows'];
}

/** What a commit on the accept thread hands to the delivering queue. */
export function handOver({ entries, rows }: Inserted): CommittedMessages {
  return { seqs: entries.map((entry) => entry.seq), rows };
}

/**
 * The accept side of the embedded queue: group commit, duplicate detection and fsync-before-resolve. The
 * embedded queue accepts through one on its own connection; the host's accept thread runs one on a
 * connection of its own, so its accepts never wait behind the deliveries' work on one event loop, while
 * the queue on the consumer thread delivers what it hands over. The two connections take turns at the
 * file through the write gate.
 */
export class EmbeddedAcceptWriter implements Pick<CommandQueue, 'send' | 'ping' | 'close'> {
  private readonly table: MessageTable;
  private readonly wal: WalSync;
  private readonly health: WriteHealth;
  private readonly accepts: GroupCommit;
  private closed = false;

  constructor(db: Database.Database, options: AcceptWriterOptions) {
    const clock = options.clock ?? systemClock;
    this.table =
      options.table ??
      new MessageTable(db, options.duplicateDetectionWindowMs ?? 600_000, {
        recentRows: 0,
        ...(options.gate ? { gate: options.gate } : {}),
      });
    this.wal = new WalSync(db, options.fsync);
    this.health = new WriteHealth(db);
    this.accepts = new GroupCommit({
      table: this.table,
      wal: this.wal,
      health: this.health,
      now: () => clock.now().getTime(),
      publish: options.publish,
    });
  }

  send(messages: readonly OutgoingCommand[]): Promise<void> {
    if (this.closed) return Promise.reject(new QueueUnavailableError('The embedded queue is closed'));
    return this.accepts.send(messages);
  }

  /** Readiness: open, it reads, and writes commit again after the disk refused one. */
  async ping(): Promise<void> {
    if (this.closed) throw new QueueUnavailableError('The embedded queue is closed');
    try {
      this.table.ping();
      this.health.check();
    } catch (error) {
      throw new QueueUnavailableError('The embedded queue cannot read or write its database', 5, {
        cause: error,
      });
    }
  }

  /** Writes the sends already queued (while the db is open) and waits for their fsync; the db stays open. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.accepts.flushNow();
    this.closed = true;
    await this.wal.close();
  }
}
