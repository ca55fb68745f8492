import type Database from 'better-sqlite3';
import { systemClock, type Clock } from '../../../ports/clock';
import { QueueUnavailableError, type CommandQueue, type OutgoingCommand } from '../../../ports/queue';
import { WalSync, type Fsync } from '../wal-sync';
import type { Gate } from '../write-gate';
import { WriteHealth } from '../write-health';
import type { CommittedMessages } from './core';
import { checkWritable, GroupCommit } from './group-commit';
import { MessageTable } from './message-table';

export interface AcceptWriterOptions {
  clock?: Clock;
  duplicateDetectionWindowMs?: number;
  fsync?: Fsync;
  /** Shared with the consumer thread, which writes the same file (write-gate.ts). */
  gate?: Gate;
  /**
   * Told of every group commit once it is durable (or its outcome unknown), in commit order: the queue
   * that delivers them (`EmbeddedSessionQueue.admitCommitted`) must hear of each exactly once.
   */
  onCommitted: (committed: CommittedMessages) => void;
}

/**
 * The accept side of the embedded queue on a connection of its own: the same group commit, duplicate
 * detection and fsync-before-resolve as `EmbeddedSessionQueue.send`, for a thread that only accepts
 * while another thread's queue, on the same file, delivers. Its accepts then never wait behind the
 * deliveries' work on one event loop; SQLite serialises the two connections' writes (busy_timeout).
 */
export class EmbeddedAcceptWriter implements Pick<CommandQueue, 'send' | 'ping' | 'close'> {
  private readonly clock: Clock;
  private readonly table: MessageTable;
  private readonly wal: WalSync;
  private readonly health: WriteHealth;
  private readonly accepts: GroupCommit;
  private closed = false;

  constructor(db: Database.Database, options: AcceptWriterOptions) {
    this.clock = options.clock ?? systemClock;
    // No rows kept here: the delivering queue keeps them, from what onCommitted hands it.
    this.table = new MessageTable(db, options.duplicateDetectionWindowMs ?? 600_000, {
      recentRows: 0,
      ...(options.gate ? { gate: options.gate } : {}),
    });
    this.wal = new WalSync(db, options.fsync);
    this.health = new WriteHealth(db);
    this.accepts = new GroupCommit({
      table: this.table,
      wal: this.wal,
      health: this.health,
      now: () => this.clock.now().getTime(),
      publish: ({ entries, rows }) => options.onCommitted({ seqs: entries.map((e) => e.seq), rows }),
    });
  }

  send(messages: readonly OutgoingCommand[]): Promise<void> {
    if (this.closed) return Promise.reject(new QueueUnavailableError('The embedded queue is closed'));
    return this.accepts.send(messages);
  }

  async ping(): Promise<void> {
    checkWritable(this.closed, this.table, this.health);
  }

  /** Writes the sends already queued and waits for their fsync; the db stays open. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.accepts.flushNow();
    this.closed = true;
    await this.wal.close();
  }
}
