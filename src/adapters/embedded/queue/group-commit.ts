import { QueueUnavailableError, type OutgoingCommand, type SendOutcome } from '../../../ports/queue';
import type { WalSync } from '../wal-sync';
import { DISK_FULL_RETRY_SECONDS, isStorageFailure, type WriteHealth } from '../write-health';
import type { Inserted, MessageTable, PendingRow } from './message-table';

interface PendingSend {
  rows: PendingRow[];
  resolve(): void;
  reject(error: unknown): void;
}

export interface GroupCommitDeps {
  table: MessageTable;
  wal: WalSync;
  health: WriteHealth;
  now(): number;
  /** Makes committed messages deliverable: called only once they are durable (or their outcome unknown). */
  publish(inserted: Inserted, now: number): void;
}

/**
 * The accept path. Sends arriving in the same tick share one transaction and one fsync of the WAL; a
 * send resolves only once its rows are on disk, and only then can a consumer see them.
 */
export class GroupCommit {
  private pending: PendingSend[] = [];
  private flushHandle: NodeJS.Immediate | undefined;

  constructor(private readonly deps: GroupCommitDeps) {}

  send(messages: readonly OutgoingCommand[]): Promise<void> {
    let rows: PendingRow[];
    try {
      rows = messages.map(toRow);
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    if (rows.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ rows, resolve, reject });
      this.flushHandle ??= setImmediate(() => this.flush());
    });
  }

  /** Writes the sends waiting for their tick now (on close, while the db is still open). */
  flushNow(): void {
    if (this.flushHandle) clearImmediate(this.flushHandle);
    this.flush();
  }

  private flush(): void {
    this.flushHandle = undefined;
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    const { table, wal, health } = this.deps;
    const reject = (outcome: SendOutcome, error: unknown) => {
      const failure = unavailable(outcome, error);
      for (const send of batch) send.reject(failure);
    };
    let inserted: Inserted;
    try {
      inserted = table.insert(batch, () => this.deps.now());
      health.noteSuccess();
    } catch (error) {
      health.noteFailure(error);
      reject('not-accepted', error);
      return;
    }
    // Durable before anyone hears "accepted", and deliverable only then: a message the consumer could
    // apply must never be one whose sender was told 503. The WAL is fsynced on the thread pool, so the
    // event loop keeps serving while the disk works, and one fsync covers every commit written before it.
    wal.sync().then(
      () => {
        this.deps.publish(inserted, inserted.now);
        for (const send of batch) send.resolve();
      },
      (error: unknown) => void this.undoUnsynced(inserted, inserted.now, error, reject),
    );
  }

  /**
   * The fsync after a commit failed: the rows may or may not reach the disk. Delete them (and their
   * duplicate-detection records, so a retry with the same ids is accepted) and make that durable; only
   * then is "nothing was accepted" true. If that fails too, the outcome is unknown and the caller is told
   * so (and keeps its Idempotency-Key): rows the undo could not delete stay deliverable; rows it deleted
   * are not delivered now, and reach a consumer only if a crash loses the undo but keeps the insert.
   */
  private async undoUnsynced(
    inserted: Inserted,
    now: number,
    error: unknown,
    reject: (outcome: SendOutcome, error: unknown) => void,
  ): Promise<void> {
    let undone = false;
    try {
      // Only what this batch inserted: a resend dropped as a duplicate belongs to an earlier, durable send.
      this.deps.table.undo(inserted);
      undone = true;
      await this.deps.wal.sync();
      reject('not-accepted', error);
    } catch {
      // Deliverable only while the file still holds them: after an undo that committed, it does not.
      if (!undone) this.deps.publish(inserted, now);
      reject('unknown', error);
    }
  }
}

function unavailable(outcome: SendOutcome, error: unknown): QueueUnavailableError {
  return new QueueUnavailableError(
    outcome === 'not-accepted'
      ? 'The embedded queue could not store the messages; nothing was accepted'
      : 'The embedded queue could not make the messages durable; they may still be delivered',
    isStorageFailure(error) ? DISK_FULL_RETRY_SECONDS : 5,
    { cause: error, outcome },
  );
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
