import type Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { systemClock, type Clock } from '../../ports/clock';
import {
  decodeAcrossContinuation,
  decodeContinuation,
  encodeAcrossContinuation,
  encodeContinuation,
} from './continuation';
import {
  acrossQuery,
  pageQuery,
  overSizeLimit,
  prepareStoreStatements,
  queryColumns,
  type ListedRow,
  type Row,
  type StoreStatements,
} from './store-schema';
import { WalSync, type Fsync } from './wal-sync';
import { UNGATED, type Gate } from './write-gate';
import { DISK_FULL_RETRY_SECONDS, isStorageFailure, WriteHealth } from './write-health';
import {
  assertBatchShape,
  type BatchOperation,
  type BatchResult,
  type CrossPartitionSpec,
  type DocumentStore,
  type Page,
  type PageRequest,
  type QuerySpec,
  type StoredDocument,
  type Versioned,
  type WriteFailure,
  type WriteResult,
  TransientStoreError,
} from '../../ports/store';

/** Expired documents removed per purge pass (once a second while writes happen). */
const PURGE_BATCH = 2_000;

interface PendingBatch {
  partitionKey: string;
  operations: readonly BatchOperation[];
  resolve: (result: BatchResult) => void;
  reject: (error: Error) => void;
}

class BatchAbort extends Error {
  constructor(
    readonly failure: WriteFailure,
    readonly index: number,
  ) {
    super(failure);
  }
}

/**
 * SQLite stand-in for the Cosmos DB container: documents grouped by partition key, an ETag that
 * changes on every write, conditional replace, create-only, atomic batches of at most 100 operations in
 * one partition, per-document TTL, and one-partition queries with continuation tokens.
 */
export class EmbeddedStore implements DocumentStore {
  private readonly bootId = randomBytes(4).toString('hex');
  private etagCounter = 0;
  private readonly statements: StoreStatements;
  /** Listing statements by their SQL: a handful of shapes, each prepared once. */
  private readonly queries = new Map<string, Database.Statement<(string | number)[], ListedRow>>();
  private readonly wal: WalSync;
  private readonly health: WriteHealth;
  private lastPurge = 0;
  private pending: PendingBatch[] = [];
  private flushHandle: NodeJS.Immediate | undefined;
  private readonly runGroup: Database.Transaction<(work: PendingBatch[], results: BatchResult[]) => void>;
  /** One transaction function, built once: a throw inside rolls the whole batch back (a savepoint when nested). */
  private readonly runBatch: Database.Transaction<
    (pk: string, operations: readonly BatchOperation[], etags: (string | null)[]) => void
  >;

  constructor(
    private readonly db: Database.Database,
    private readonly clock: Clock = systemClock,
    /** How the log is flushed to disk (tests inject a failing fsync). */
    fsync?: Fsync,
    /** Shared with the other threads of this process that write the file (write-gate.ts). */
    private readonly gate: Gate = UNGATED,
  ) {
    this.statements = prepareStoreStatements(db);
    this.runBatch = db.transaction(
      (pk: string, operations: readonly BatchOperation[], etags: (string | null)[]) => {
        operations.forEach((op, index) => {
          const outcome = this.apply(pk, op);
          if (typeof outcome !== 'string' && outcome !== null) throw new BatchAbort(outcome.failure, index);
          etags.push(outcome);
        });
      },
    );
    this.wal = new WalSync(db, fsync);
    this.health = new WriteHealth(db);
    this.runGroup = db.transaction((work: PendingBatch[], results: BatchResult[]) => {
      this.purgeSometimes();
      for (const item of work) {
        const etags: (string | null)[] = [];
        try {
          this.runBatch(item.partitionKey, item.operations, etags);
          results.push({ ok: true, etags });
        } catch (error) {
          if (!(error instanceof BatchAbort)) throw error;
          results.push({ ok: false, failure: error.failure, index: error.index });
        }
      }
    });
  }

  read<T extends StoredDocument>(partitionKey: string, id: string): Promise<Versioned<T> | null> {
    try {
      const row = this.live(partitionKey, id);
      return Promise.resolve(row ? { doc: JSON.parse(row.body) as T, etag: row.etag } : null);
    } catch (error) {
      // A file the disk cannot read (I/O error, gone) is an outage: 503, not 500.
      return Promise.reject(this.storageError(error));
    }
  }

  /** A batch of one: it shares its tick's transaction with every other write (see batch). */
  create(partitionKey: string, doc: StoredDocument): Promise<WriteResult> {
    return this.single(partitionKey, { op: 'create', doc });
  }

  replace(partitionKey: string, doc: StoredDocument, ifMatch?: string): Promise<WriteResult> {
    return this.single(
      partitionKey,
      ifMatch === undefined ? { op: 'replace', doc } : { op: 'replace', doc, ifMatch },
    );
  }

  /**
   * Batches arriving in the same tick (one per session being processed) are committed in one SQLite
   * transaction, each inside its own savepoint: every batch is still all-or-nothing on its own, and the
   * per-commit cost is paid once per tick instead of once per batch. Results are given after the commit.
   */
  batch(partitionKey: string, operations: readonly BatchOperation[]): Promise<BatchResult> {
    try {
      assertBatchShape(operations);
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    return new Promise<BatchResult>((resolve, reject) => {
      this.pending.push({ partitionKey, operations, resolve, reject });
      this.flushHandle ??= setImmediate(() => this.flushBatches());
    });
  }

  private flushBatches(): void {
    this.flushHandle = undefined;
    const work = this.pending;
    this.pending = [];
    const results: BatchResult[] = [];
    try {
      // IMMEDIATE: take the write lock up front, so a second connection to the file (the host's accept
      // and consumer threads take turns through the gate; other processes wait on busy_timeout) can never
      // fail a read-then-write upgrade.
      this.gate.run(() => this.runGroup.immediate(work, results));
      this.health.noteSuccess();
    } catch (error) {
      const failure = this.storageError(error);
      for (const item of work) item.reject(failure);
      return;
    }
    work.forEach((item, i) => {
      const result = results[i];
      if (result) item.resolve(result);
      else item.reject(new Error('batch result missing'));
    });
  }

  /** At most once a second, inside a write transaction already paying for its commit. */
  private purgeSometimes(): void {
    const now = this.clock.now().getTime();
    if (now - this.lastPurge < 1_000) return;
    this.lastPurge = now;
    this.statements.purgeExpired.run(now, PURGE_BATCH);
  }

  /** A disk that refuses reads or writes (full, I/O error) is a transient outage for callers: 503, not 500. */
  private storageError(error: unknown): Error {
    this.health.noteFailure(error);
    if (!isStorageFailure(error)) return error instanceof Error ? error : new Error(String(error));
    const detail = error instanceof Error ? error.message : String(error);
    return new TransientStoreError(
      'unavailable',
      `the store cannot use its file: ${detail}`,
      DISK_FULL_RETRY_SECONDS * 1000,
    );
  }

  async query<T extends StoredDocument>(
    partitionKey: string,
    spec: QuerySpec,
    page: PageRequest,
  ): Promise<Page<T>> {
    await Promise.resolve();
    const after =
      page.continuation === undefined ? undefined : decodeContinuation(page.continuation, spec.orderBy);
    const limit = Math.max(1, Math.floor(page.limit));
    const { sql, params } = pageQuery(partitionKey, spec, after, this.clock.now().getTime(), limit);
    const rows = this.listRows(sql, params);
    const items = rows.slice(0, limit);
    const last = items[items.length - 1];
    const continuation =
      rows.length > limit && last
        ? encodeContinuation({ id: last.id, seq: last.seq, by: spec.orderBy })
        : null;
    return { items: items.map((r) => JSON.parse(r.body) as T), continuation };
  }

  /** Item documents across partitions, through their own partial index, in (partition key, id) order. */
  async queryAcrossPartitions<T extends StoredDocument>(
    spec: CrossPartitionSpec,
    page: PageRequest,
  ): Promise<Page<T>> {
    await Promise.resolve();
    const after =
      page.continuation === undefined ? undefined : decodeAcrossContinuation(page.continuation, spec);
    const limit = Math.max(1, Math.floor(page.limit));
    const { sql, params } = acrossQuery(spec, after, this.clock.now().getTime(), limit);
    const rows = this.listRows(sql, params);
    const items = rows.slice(0, limit);
    const last = items[items.length - 1];
    const continuation =
      rows.length > limit && last
        ? encodeAcrossContinuation({ pk: last.pk ?? '', id: last.id, by: `across:${spec.type}` })
        : null;
    return { items: items.map((r) => JSON.parse(r.body) as T), continuation };
  }

  /** Runs a listing statement (each SQL shape prepared once); a disk that fails it is an outage. */
  private listRows(sql: string, params: (string | number)[]): ListedRow[] {
    let statement = this.queries.get(sql);
    if (!statement) {
      statement = this.db.prepare<(string | number)[], ListedRow>(sql);
      this.queries.set(sql, statement);
    }
    try {
      return statement.all(...params);
    } catch (error) {
      throw this.storageError(error);
    }
  }

  ping(): Promise<void> {
    this.statements.ping.get();
    try {
      this.health.check();
    } catch (error) {
      return Promise.reject(this.storageError(error));
    }
    return Promise.resolve();
  }

  /** Resolves once every write acknowledged so far is on disk (the file's log is fsynced off-thread). */
  sync(): Promise<void> {
    return this.wal.sync().catch((error: unknown) => {
      throw new TransientStoreError(
        'unavailable',
        `the store could not make its writes durable: ${error instanceof Error ? error.message : String(error)}`,
      );
    });
  }

  /** Commits batches still waiting for their tick, so nothing handed to the store is dropped. */
  async close(): Promise<void> {
    if (this.flushHandle) {
      clearImmediate(this.flushHandle);
      this.flushBatches();
    }
    await this.wal.close();
  }

  private async single(partitionKey: string, op: BatchOperation): Promise<WriteResult> {
    const result = await this.batch(partitionKey, [op]);
    if (!result.ok) return { ok: false, failure: result.failure };
    const etag = result.etags[0];
    if (typeof etag !== 'string') throw new Error('a write returned no ETag');
    return { ok: true, etag };
  }

  /** Applies one operation inside the running transaction: the new ETag, null for a delete, or a failure. */
  private apply(pk: string, op: BatchOperation): string | null | { failure: WriteFailure } {
    if (op.op === 'delete') {
      const current = this.live(pk, op.id);
      if (!current) return { failure: 'notFound' };
      if (op.ifMatch !== undefined && op.ifMatch !== current.etag) return { failure: 'conflict' };
      this.statements.delete.run(pk, op.id);
      return null;
    }
    const { id } = op.doc;
    const body = JSON.stringify(op.doc);
    if (overSizeLimit(body)) return { failure: 'tooLarge' };
    const now = this.clock.now().getTime();
    const { type, status, seq, expiresAt } = queryColumns(op.doc, now);
    const etag = this.nextEtag();
    if (op.op === 'create') {
      // No read first: the insert itself refuses a live document with this id (0 rows changed) and
      // takes the place of an expired one.
      const { changes } = this.statements.create.run(pk, id, type, status, seq, body, etag, expiresAt, now);
      return changes === 0 ? { failure: 'duplicate' } : etag;
    }
    const current = this.live(pk, id);
    if (op.op === 'replace') {
      if (!current) return { failure: 'notFound' };
      if (op.ifMatch !== undefined && op.ifMatch !== current.etag) return { failure: 'conflict' };
    }
    const indexedAsBefore =
      current?.type === type &&
      current.status === status &&
      current.seq === seq &&
      current.expires_at === null &&
      expiresAt === null;
    if (indexedAsBefore) this.statements.updateBody.run(body, etag, pk, id);
    else if (current) this.statements.update.run(type, status, seq, body, etag, expiresAt, pk, id);
    else this.statements.insert.run(pk, id, type, status, seq, body, etag, expiresAt);
    return etag;
  }

  /** The row if it exists and its TTL has not run out (an expired document is as good as deleted). */
  private live(pk: string, id: string): Row | undefined {
    const row = this.statements.read.get(pk, id);
    if (!row) return undefined;
    if (row.expires_at !== null && row.expires_at <= this.clock.now().getTime()) return undefined;
    return row;
  }

  private nextEtag(): string {
    this.etagCounter += 1;
    return `"${this.bootId}-${this.etagCounter.toString(36)}"`;
  }
}
