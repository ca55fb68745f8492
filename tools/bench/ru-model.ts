/**
 * A request-unit (RU) model of Cosmos DB for NoSQL: what each store operation would be charged, by document
 * size and the container's indexing policy. Pure: no I/O, no SDK. The figures and where they come from are
 * listed in RU_SOURCES and rendered into docs/BENCHMARKS.md ("Request-unit model") by ru-report.ts.
 *
 * Main source: "Understand request units consumption in Azure Cosmos DB"
 * (https://learn.microsoft.com/azure/cosmos-db/understand-request-unit-consumption): read and write charges by
 * document size, 0.2 RU per indexed term written or removed, a replace as a delete plus an insert.
 */

import { PARTITION_KEY_PROPERTY } from '../../src/adapters/cosmos/partition';

/** The container's indexing policy, as infra/modules/cosmos.bicep declares it (top-level paths only). */
export interface IndexingPolicy {
  /** Included scalar paths, by property name (`/type/?` is `type`). */
  includedPaths: readonly string[];
  /** Composite indexes, each by the property names it spans. */
  compositeIndexes: readonly (readonly string[])[];
}

/** infra/modules/cosmos.bicep: `/type/?`, `/status/?`, `/seq/?`, `/pk/?`, `/userId/?`, `/*` excluded, (seq, id). */
export const CONTAINER_POLICY: IndexingPolicy = {
  includedPaths: ['type', 'status', 'seq', 'pk', 'userId'],
  compositeIndexes: [['seq', 'id']],
};

/**
 * Indexed whatever the policy says in consistent mode
 * (https://learn.microsoft.com/azure/cosmos-db/index-policy: "the system properties id and _ts are
 * automatically indexed"). `_ts` is the service's last-modified time, so every write changes it.
 */
export const SYSTEM_INDEXED_PATHS = ['id', '_ts'] as const;

/** RU per indexed term added or removed (the page's worked examples: "0.2 × 10 (indexing)"). */
export const RU_PER_INDEX_TERM = 0.2;

/** Maximum RU/s of one logical (and physical) partition (https://learn.microsoft.com/azure/cosmos-db/concepts-limits). */
export const PARTITION_RU_PER_SECOND = 10_000;

/**
 * Per-page charge of a query before its results: Microsoft publishes no rate; 2.8 RU is the page charge its
 * "Measure query cost" module shows for pages of 25 small items
 * (https://learn.microsoft.com/training/modules/measure-index-azure-cosmos-db-sql-api/4-measure-query-cost).
 */
export const QUERY_PAGE_RU = 2.8;

/**
 * A request that changes nothing (404 read, 409/412 write, the failing operation of a batch). The service
 * charges failed requests too (the SDKs expose `requestCharge` on errors) but publishes no figure; we charge
 * the 1 KB point read it must do to find the document or compare its ETag.
 */
export const REFUSED_RU = 1;

/** Published charge by document size, session or eventual consistency, one region: [KB, read RU, write RU]. */
export const SIZE_TABLE: readonly (readonly [number, number, number])[] = [
  [1, 1.0, 4.95],
  [2, 1.04, 6.29],
  [4, 1.14, 6.67],
  [8, 1.33, 7.04],
  [16, 1.67, 9.52],
  [32, 2.19, 11.23],
  [64, 4.76, 22.67],
  [128, 9.95, 48.19],
  [256, 20.28, 98.29],
  [512, 40.95, 184.57],
  [1024, 145.9, 625.0],
  [2048, 291.8, 1250.0],
];

/**
 * The charge of `column` (1: read, 2: write) for a document of `bytes`: the 1 KB row for anything up to
 * 1 KB, linear between published rows, and in proportion to the last row beyond 2 MB (the item size limit).
 */
function bySize(bytes: number, column: 1 | 2): number {
  if (!Number.isFinite(bytes) || bytes < 0) throw new RangeError(`document size must be >= 0, got ${bytes}`);
  const kb = bytes / 1024;
  let lower = SIZE_TABLE[0];
  if (!lower) throw new Error('empty size table');
  if (kb <= lower[0]) return lower[column];
  for (const row of SIZE_TABLE.slice(1)) {
    if (kb <= row[0]) {
      const share = (kb - lower[0]) / (row[0] - lower[0]);
      return lower[column] + share * (row[column] - lower[column]);
    }
    lower = row;
  }
  return (lower[column] * kb) / lower[0];
}

/** A point read of a document of `bytes`. */
export const readCharge = (bytes: number): number => bySize(bytes, 1);

/** The size-based part of writing (or deleting) a document of `bytes`, before its index terms. */
export const writeSizeCharge = (bytes: number): number => bySize(bytes, 2);

/**
 * Index terms every document carries: each explicitly included path has a value in the index even when
 * the document lacks the property (index-policy page: "a value is added to the index to indicate that the
 * path is undefined"), plus id and _ts, plus one term per composite index (our assumption: no published figure).
 */
export function indexTermCount(policy: IndexingPolicy = CONTAINER_POLICY): number {
  return policy.includedPaths.length + SYSTEM_INDEXED_PATHS.length + policy.compositeIndexes.length;
}

/** The indexed values of a stored document, to tell which terms a replace changes. */
export type IndexValues = readonly unknown[];

/**
 * The values of `doc` (stored under `partitionKey`, which the adapter writes as `pk`) at the included paths
 * and id: primitives as they are, objects as their JSON, so equal values compare equal.
 */
export function indexValues(
  doc: object,
  partitionKey: string,
  policy: IndexingPolicy = CONTAINER_POLICY,
): IndexValues {
  return [...policy.includedPaths, 'id'].map((p): unknown => {
    if (p === PARTITION_KEY_PROPERTY) return partitionKey;
    const value: unknown = Object.getOwnPropertyDescriptor(doc, p)?.value;
    return typeof value === 'object' && value !== null ? JSON.stringify(value) : value;
  });
}

/**
 * Index terms a replace changes: the included paths and id whose values differ, _ts always, and each
 * composite index one of whose paths changed. Without the previous values, all of them (an upper bound).
 */
export function modifiedTermCount(
  before: IndexValues | null,
  after: IndexValues,
  policy: IndexingPolicy = CONTAINER_POLICY,
): number {
  if (!before) return indexTermCount(policy);
  const paths = [...policy.includedPaths, 'id'];
  const changed = new Set(paths.filter((_, i) => !Object.is(before[i], after[i])));
  const composites = policy.compositeIndexes.filter((c) => c.some((p) => changed.has(p))).length;
  return changed.size + 1 + composites;
}

/** JSON bytes of `{ ...doc, pk }`, what the Cosmos adapter stores (system properties not counted). */
export function documentBytes(partitionKey: string, doc: object): number {
  const body = Buffer.byteLength(JSON.stringify(doc));
  // `,"pk":` plus the key's JSON, inserted before the closing brace of a non-empty object.
  return body + 6 + Buffer.byteLength(JSON.stringify(partitionKey));
}

/** One operation to charge, with what the charge depends on. */
export type ChargedOperation =
  | { kind: 'read'; bytes: number }
  | { kind: 'create'; bytes: number }
  | { kind: 'replace'; bytes: number; previousBytes: number; modifiedTerms: number }
  /** An upsert is a create when nothing was there, otherwise a replace. */
  | { kind: 'upsert'; bytes: number; previous: { bytes: number; modifiedTerms: number } | null }
  | { kind: 'delete'; previousBytes: number }
  | { kind: 'queryPage'; resultBytes: readonly number[] }
  | { kind: 'refused' };

/** RU of one operation under `policy`. */
export function chargeOperation(op: ChargedOperation, policy: IndexingPolicy = CONTAINER_POLICY): number {
  const terms = indexTermCount(policy);
  switch (op.kind) {
    case 'read':
      return readCharge(op.bytes);
    case 'create':
      return writeSizeCharge(op.bytes) + RU_PER_INDEX_TERM * terms;
    case 'replace':
      // Delete the old version, insert the new one, remove and add each changed term.
      return (
        writeSizeCharge(op.previousBytes) +
        writeSizeCharge(op.bytes) +
        2 * RU_PER_INDEX_TERM * op.modifiedTerms
      );
    case 'upsert':
      return op.previous
        ? chargeOperation(
            {
              kind: 'replace',
              bytes: op.bytes,
              previousBytes: op.previous.bytes,
              modifiedTerms: op.previous.modifiedTerms,
            },
            policy,
          )
        : chargeOperation({ kind: 'create', bytes: op.bytes }, policy);
    case 'delete':
      return writeSizeCharge(op.previousBytes) + RU_PER_INDEX_TERM * terms;
    case 'queryPage':
      // A feed or query processes each result about as a point read of it does ("Feed operations").
      return op.resultBytes.reduce((sum, b) => sum + readCharge(b), QUERY_PAGE_RU);
    case 'refused':
      return REFUSED_RU;
  }
}

/**
 * A transactional batch is one request of point operations, charged as the sum of its operations: the
 * service answers a `requestCharge` per operation (@azure/cosmos `OperationResponse.requestCharge`,
 * dist/commonjs/utils/batch.d.ts) and the batch's charge is their total.
 */
export function chargeBatch(
  ops: readonly ChargedOperation[],
  policy: IndexingPolicy = CONTAINER_POLICY,
): number {
  return ops.reduce((sum, op) => sum + chargeOperation(op, policy), 0);
}

/** Decisions per second one logical partition sustains at `ruPerDecision`: the hot-item ceiling. */
export function partitionCeiling(ruPerDecision: number): number {
  return ruPerDecision > 0 ? PARTITION_RU_PER_SECOND / ruPerDecision : Number.POSITIVE_INFINITY;
}
