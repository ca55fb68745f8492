import type {
  Container,
  FeedOptions,
  JSONObject,
  OperationInput,
  OperationResponse,
  SqlParameter,
  SqlQuerySpec,
} from '@azure/cosmos';
import {
  assertBatchShape,
  InvalidContinuationError,
  type BatchOperation,
  type BatchResult,
  type CrossPartitionSpec,
  type DocumentStore,
  type Page,
  type PageRequest,
  type QuerySpec,
  type StoredDocument,
  type Versioned,
  type WriteResult,
} from '../../ports/store';
import {
  decodeAcrossContinuation,
  decodeContinuation,
  encodeAcrossContinuation,
  encodeContinuation,
  type Cursor,
} from './continuation';
import { statusOf, transientErrorOf, translateError, writeFailureForStatus, writeFailureOf } from './errors';
import { PARTITION_KEY_PROPERTY } from './partition';

/** Properties Cosmos DB adds to every item; never handed to the use cases. */
export const SYSTEM_PROPERTIES = ['_rid', '_self', '_etag', '_attachments', '_ts'] as const;

/** A transactional batch answers 424 Failed Dependency for every operation it did not get to apply. */
const FAILED_DEPENDENCY = 424;

/** Something the store can release on close: the CosmosClient it owns, or its share of a shared one. */
export interface Disposable {
  dispose(): void;
}

export interface CosmosStoreOptions {
  /** Disposed by close(). Leave unset when the caller owns the client (close then leaves it alone). */
  owned?: Disposable;
}

type CosmosItem = Record<string, unknown>;

/**
 * The DocumentStore over one Cosmos DB for NoSQL container (partition key path `/pk`), through the
 * @azure/cosmos v4 SDK. Point reads and writes, conditional replace (IfMatch), transactional batches with
 * `ifMatch` on each operation, and one-partition queries with opaque continuation tokens. Every item is
 * stored as the document plus `pk` (the partition key the caller named); reads hand the document back
 * without it, as without Cosmos DB's system properties. SDK errors are translated once, in ./errors; the
 * SDK's own retries (429, 449, session, endpoint failover) stay on.
 */
export class CosmosStore implements DocumentStore {
  private closed = false;

  constructor(
    readonly container: Container,
    private readonly options: CosmosStoreOptions = {},
  ) {}

  async read<T extends StoredDocument>(partitionKey: string, id: string): Promise<Versioned<T> | null> {
    let response;
    try {
      response = await this.container.item(id, partitionKey).read<CosmosItem>();
    } catch (error) {
      if (writeFailureOf(error) === 'notFound') return null;
      throw translateError(error);
    }
    if (response.statusCode === 404 || response.resource === undefined) {
      if (writeFailureForStatus(404, response.substatus) === 'notFound') return null;
      throw translateError(
        Object.assign(new Error(`Cosmos DB answered 404/${response.substatus} reading "${id}"`), {
          code: 404,
          substatus: response.substatus,
        }),
      );
    }
    const etag = etagOf(response.resource, response.etag);
    return { doc: stripSystemProperties(response.resource) as unknown as T, etag };
  }

  async create(partitionKey: string, doc: StoredDocument): Promise<WriteResult> {
    try {
      const response = await this.container.items.create<CosmosItem>(toItem(partitionKey, doc));
      return { ok: true, etag: etagOf(response.resource, response.etag) };
    } catch (error) {
      return writeFailed(error);
    }
  }

  async replace(partitionKey: string, doc: StoredDocument, ifMatch?: string): Promise<WriteResult> {
    try {
      const response = await this.container
        .item(doc.id, partitionKey)
        .replace<CosmosItem>(
          toItem(partitionKey, doc),
          ifMatch === undefined ? {} : { accessCondition: { type: 'IfMatch', condition: ifMatch } },
        );
      return { ok: true, etag: etagOf(response.resource, response.etag) };
    } catch (error) {
      return writeFailed(error);
    }
  }

  async batch(partitionKey: string, operations: readonly BatchOperation[]): Promise<BatchResult> {
    assertBatchShape(operations);
    let response;
    try {
      response = await this.container.items.batch(
        operations.map((op) => toOperationInput(partitionKey, op)),
        partitionKey,
      );
    } catch (error) {
      // The request as a whole failed (throttled, unavailable, rejected): nothing was applied.
      throw translateError(error);
    }
    const results: OperationResponse[] = response.result ?? [];
    if (results.length !== operations.length) {
      throw new Error(
        `Cosmos DB answered a batch of ${operations.length} operations with ${results.length} results`,
      );
    }
    // A failed batch resolves: the operation that failed carries its own status, the others 424.
    const failedAt = results.findIndex((r) => !isSuccess(r.statusCode) && r.statusCode !== FAILED_DEPENDENCY);
    if (failedAt >= 0) {
      const status = results[failedAt]?.statusCode ?? 0;
      const failure = writeFailureForStatus(status);
      if (failure) return { ok: false, failure, index: failedAt };
      throw translateError(
        Object.assign(new Error(`batch operation ${failedAt} failed with status ${status}`), {
          code: status,
        }),
      );
    }
    if (results.some((r) => !isSuccess(r.statusCode))) {
      // Only 424s and no culprit: the service failed the batch without naming an operation.
      throw new Error(
        `Cosmos DB failed a batch without naming the failing operation (status ${response.code})`,
      );
    }
    const etags = results.map((r, i) => {
      if (operations[i]?.op === 'delete') return null;
      const etag =
        r.eTag ?? (typeof r.resourceBody?.['_etag'] === 'string' ? r.resourceBody['_etag'] : undefined);
      if (etag === undefined) throw new Error(`batch operation ${i} returned no ETag`);
      return etag;
    });
    return { ok: true, etags };
  }

  async query<T extends StoredDocument>(
    partitionKey: string,
    spec: QuerySpec,
    page: PageRequest,
  ): Promise<Page<T>> {
    const cursor: Cursor = {
      p: partitionKey,
      t: spec.type,
      s: spec.status ?? null,
      u: spec.userId ?? null,
      o: spec.orderBy,
    };
    const sdkToken =
      page.continuation === undefined ? undefined : decodeContinuation(page.continuation, cursor);
    const limit = Math.max(1, Math.floor(page.limit));
    // The partition filter repeats the partitionKey option: free on Cosmos DB (the query is routed to that one
    // partition either way), and needed by @vercel/cosmosdb-server, which ignores the partition key of a query.
    const parameters: SqlParameter[] = [
      { name: '@pk', value: partitionKey },
      { name: '@type', value: spec.type },
    ];
    let where = `c.${PARTITION_KEY_PROPERTY} = @pk AND c.type = @type`;
    if (spec.status !== undefined) {
      where += ' AND c.status = @status';
      parameters.push({ name: '@status', value: spec.status });
    }
    if (spec.userId !== undefined) {
      where += ' AND c.userId = @userId';
      parameters.push({ name: '@userId', value: spec.userId });
    }
    const orderBy = spec.orderBy === 'seq' ? 'c.seq' : 'c.id';
    const { items, next } = await this.fetchPage<T>(
      { query: `SELECT * FROM c WHERE ${where} ORDER BY ${orderBy}`, parameters },
      { partitionKey, maxItemCount: limit },
      sdkToken,
    );
    return { items, continuation: next === null ? null : encodeContinuation({ ...cursor, c: next }) };
  }

  /**
   * A cross-partition query (no partition key): the service fans it out over the physical partitions and the
   * SDK's continuation token carries where each one stands. No ORDER BY: the order is the service's, each
   * document comes once, and `type` is an indexed path.
   */
  async queryAcrossPartitions<T extends StoredDocument>(
    spec: CrossPartitionSpec,
    page: PageRequest,
  ): Promise<Page<T>> {
    const sdkToken =
      page.continuation === undefined ? undefined : decodeAcrossContinuation(page.continuation, spec);
    const { items, next } = await this.fetchPage<T>(
      { query: 'SELECT * FROM c WHERE c.type = @type', parameters: [{ name: '@type', value: spec.type }] },
      { maxItemCount: Math.max(1, Math.floor(page.limit)) },
      sdkToken,
    );
    return { items, continuation: next === null ? null : encodeAcrossContinuation(spec, next) };
  }

  /** One page of a query, stripped of Cosmos DB's own fields; `next` is the SDK's token, null at the end. */
  private async fetchPage<T>(
    query: SqlQuerySpec,
    options: FeedOptions,
    sdkToken: string | undefined,
  ): Promise<{ items: T[]; next: string | null }> {
    let response;
    try {
      response = await this.container.items
        .query<CosmosItem>(query, {
          ...options,
          ...(sdkToken === undefined ? {} : { continuationToken: sdkToken }),
        })
        .fetchNext();
    } catch (error) {
      if (sdkToken !== undefined && isContinuationRejection(error)) throw new InvalidContinuationError();
      throw translateError(error);
    }
    const items = response.resources.map((item) => stripSystemProperties(item) as unknown as T);
    const next = response.continuationToken;
    const more = response.hasMoreResults && typeof next === 'string' && next !== '';
    return { items, next: more ? next : null };
  }

  /** An acknowledged Cosmos DB write is already durable (written to a quorum of replicas). */
  sync(): Promise<void> {
    return Promise.resolve();
  }

  async ping(): Promise<void> {
    try {
      await this.container.read();
    } catch (error) {
      throw translateError(error);
    }
  }

  close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.options.owned?.dispose();
    }
    return Promise.resolve();
  }
}

/** The document as written: the item without Cosmos DB's system properties and without its `pk`. */
export function stripSystemProperties(item: CosmosItem): CosmosItem {
  const copy: CosmosItem = { ...item };
  for (const key of SYSTEM_PROPERTIES) delete copy[key];
  delete copy[PARTITION_KEY_PROPERTY];
  return copy;
}

function etagOf(resource: CosmosItem | undefined, headerEtag: string | undefined): string {
  const etag = typeof resource?.['_etag'] === 'string' ? resource['_etag'] : headerEtag;
  if (typeof etag !== 'string' || etag === '') throw new Error('Cosmos DB returned no ETag');
  return etag;
}

/**
 * The item stored for a document: a shallow copy (so the SDK never decorates the caller's object) with the
 * partition key under `pk`, which is where the container's partition key path points.
 */
function toItem(partitionKey: string, doc: StoredDocument): JSONObject {
  return { ...doc, [PARTITION_KEY_PROPERTY]: partitionKey };
}

function writeFailed(error: unknown): WriteResult {
  const failure = writeFailureOf(error);
  if (failure) return { ok: false, failure };
  throw translateError(error);
}

/**
 * A continuation token refused: the service answers 400 Bad Request; the SDK's own query pipeline (ORDER BY
 * across ranges) throws a status-less parse error before sending anything.
 */
function isContinuationRejection(error: unknown): boolean {
  const status = statusOf(error);
  if (status !== undefined) return status === 400;
  if (transientErrorOf(error)) return false;
  return error instanceof SyntaxError || (error instanceof Error && /continuation/i.test(error.message));
}

function isSuccess(status: number): boolean {
  return status >= 200 && status <= 299;
}

/**
 * `accessCondition` does not apply inside a batch: the precondition goes on each operation as `ifMatch`.
 * Every operation names the partition key too (the batch request carries it once; the per-operation value
 * is what some emulators read).
 */
function toOperationInput(partitionKey: string, op: BatchOperation): OperationInput {
  const ifMatch = 'ifMatch' in op && op.ifMatch !== undefined ? { ifMatch: op.ifMatch } : {};
  switch (op.op) {
    case 'create':
      return { operationType: 'Create', partitionKey, resourceBody: toItem(partitionKey, op.doc) };
    case 'upsert':
      return { operationType: 'Upsert', partitionKey, resourceBody: toItem(partitionKey, op.doc) };
    case 'replace':
      return {
        operationType: 'Replace',
        partitionKey,
        id: op.doc.id,
        resourceBody: toItem(partitionKey, op.doc),
        ...ifMatch,
      };
    case 'delete':
      // The typings leave ifMatch off DeleteOperationInput; the service honours it on every operation.
      return { operationType: 'Delete', partitionKey, id: op.id, ...ifMatch };
  }
}
