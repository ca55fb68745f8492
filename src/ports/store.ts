/**
 * The document store the use cases need: the subset of Cosmos DB for NoSQL semantics we rely on.
 * Every adapter (embedded SQLite, Cosmos DB) passes the same contract suite (test/contract).
 *
 * Documents are grouped by a partition key that every call names explicitly (an item's id for its
 * item, reservations, ledger events, markers and tallies; a partition of its own for other records).
 * The key is the store's business, not the document's: it is kept beside the document (Cosmos DB: the
 * container partition key path `/pk`, a property the adapter adds on write and strips on read), so a
 * document carries no storage field and is read back exactly as it was written.
 */
export interface StoredDocument {
  /** Unique within its partition. */
  id: string;
  type: string;
  /** Optional per-document time to live in seconds, as Cosmos DB's `ttl`. */
  ttl?: number;
}

export interface Versioned<T> {
  doc: T;
  etag: string;
}

/** The typed outcomes a write can end in; anything else is transient (thrown) or a bug. */
export type WriteFailure = 'conflict' | 'duplicate' | 'notFound' | 'tooLarge';

export type WriteResult = { ok: true; etag: string } | { ok: false; failure: WriteFailure };

export type BatchOperation =
  | { op: 'create'; doc: StoredDocument }
  | { op: 'replace'; doc: StoredDocument; ifMatch?: string }
  | { op: 'upsert'; doc: StoredDocument }
  | { op: 'delete'; id: string; ifMatch?: string };

/** A failed batch wrote nothing; `index` is the operation that failed. */
export type BatchResult =
  { ok: true; etags: (string | null)[] } | { ok: false; failure: WriteFailure; index: number };

export const MAX_BATCH_OPERATIONS = 100;

export interface QuerySpec {
  type: 'reservation' | 'event' | 'ledger-page' | 'tally';
  /** Only documents whose `status` equals this value. */
  status?: string;
  /** Only documents whose `userId` equals this value. */
  userId?: string;
  orderBy: 'id' | 'seq';
}

/**
 * The one listing across partitions: every item document (one per partition), for operations tools such as
 * the audit. On Cosmos DB a cross-partition query, so never on a request's hot path.
 */
export interface CrossPartitionSpec {
  type: 'inventory';
}

export interface PageRequest {
  limit: number;
  continuation?: string;
}

export interface Page<T> {
  items: T[];
  /** Opaque; null when there is nothing more. */
  continuation: string | null;
}

export interface DocumentStore {
  read<T extends StoredDocument>(partitionKey: string, id: string): Promise<Versioned<T> | null>;
  /** Create a document in the partition `partitionKey`; `duplicate` if its id is taken there. */
  create(partitionKey: string, doc: StoredDocument): Promise<WriteResult>;
  /**
   * Replace an existing document of the partition `partitionKey`; with `ifMatch`, only if its ETag is
   * still that value.
   */
  replace(partitionKey: string, doc: StoredDocument, ifMatch?: string): Promise<WriteResult>;
  /**
   * All operations in the partition `partitionKey`, applied atomically; at most MAX_BATCH_OPERATIONS.
   * Every document written lands in that partition.
   */
  batch(partitionKey: string, operations: readonly BatchOperation[]): Promise<BatchResult>;
  query<T extends StoredDocument>(partitionKey: string, spec: QuerySpec, page: PageRequest): Promise<Page<T>>;
  /**
   * Documents of one type across every partition, each exactly once over the pages, in an order of the
   * store's own that stays put while paging (embedded: by partition key and id; Cosmos DB: the service's).
   */
  queryAcrossPartitions<T extends StoredDocument>(
    spec: CrossPartitionSpec,
    page: PageRequest,
  ): Promise<Page<T>>;
  /**
   * Resolves once every write this store acknowledged before the call survives a power loss (Cosmos DB:
   * at once, an acknowledged write is durable). Rejects with TransientStoreError when it cannot.
   */
  sync(): Promise<void>;
  /** Resolves when the store answers; rejects otherwise (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Throttling (429) or unavailability: the caller should retry later; a consumer throws to redeliver. */
export class TransientStoreError extends Error {
  constructor(
    readonly kind: 'throttled' | 'unavailable',
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'TransientStoreError';
  }
}

/** An empty batch or one over the operation limit: a programming error, refused before any write. */
export class BatchLimitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BatchLimitError';
  }
}

/** A continuation token that this store did not issue. */
export class InvalidContinuationError extends Error {
  constructor() {
    super('continuation token is not valid');
    this.name = 'InvalidContinuationError';
  }
}

/**
 * The shape every store refuses before writing anything: empty or over the limit. (A batch cannot span
 * partitions: it names its one partition, and the documents carry none of their own.)
 */
export function assertBatchShape(operations: readonly BatchOperation[]): void {
  if (operations.length === 0) throw new BatchLimitError('a batch needs at least one operation');
  if (operations.length > MAX_BATCH_OPERATIONS) {
    throw new BatchLimitError(
      `a batch holds at most ${MAX_BATCH_OPERATIONS} operations, got ${operations.length}`,
    );
  }
}
