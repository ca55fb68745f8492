import type { BatchOperation, BatchResult, StoredDocument } from '../../src/ports/store';
import {
  chargeOperation,
  CONTAINER_POLICY,
  documentBytes,
  indexValues,
  modifiedTermCount,
  type ChargedOperation,
  type IndexingPolicy,
} from './ru-model';

/** Request units a run was charged, by what they paid for. */
export interface RequestUnitCounts {
  /** Point reads. */
  read: number;
  /** Writes that committed: creates, replaces, upserts and deletes, alone or in a batch. */
  write: number;
  /** Query pages. */
  query: number;
  /** Requests that changed nothing: 404 reads, 409/412 writes, failed batches (their operations included). */
  failed: number;
  /** Documents written or deleted by committed writes. */
  documentsWritten: number;
}

export function zeroRequestUnits(): RequestUnitCounts {
  return { read: 0, write: 0, query: 0, failed: 0, documentsWritten: 0 };
}

export function totalRequestUnits(ru: RequestUnitCounts): number {
  return ru.read + ru.write + ru.query + ru.failed;
}

/**
 * What the meter last saw of a document: enough to charge replacing or deleting it. The document itself is
 * kept (a reference, not a copy) and its indexed values computed only when a replace needs them.
 */
interface Known {
  bytes: number;
  doc: StoredDocument;
}

/**
 * Charges store calls through the RU model and adds them up. It remembers the size and last version of
 * every document it has seen go through (reads, writes, query results), so a replace is charged for the
 * terms it really changes; a document it has not seen is charged as if every term changed.
 */
export class RequestUnitMeter {
  readonly counts: RequestUnitCounts = zeroRequestUnits();
  private readonly known = new Map<string, Known>();

  constructor(private readonly policy: IndexingPolicy = CONTAINER_POLICY) {}

  read(partitionKey: string, doc: StoredDocument | null): void {
    if (!doc) {
      this.counts.failed += this.charge({ kind: 'refused' });
      return;
    }
    const seen = this.remember(partitionKey, doc);
    this.counts.read += this.charge({ kind: 'read', bytes: seen.bytes });
  }

  /** A single create, replace or upsert; `ok` is whether the store took it. */
  write(partitionKey: string, op: BatchOperation, ok: boolean): void {
    if (!ok) {
      this.counts.failed += this.charge({ kind: 'refused' });
      return;
    }
    const staged = new Map<string, Known | null>();
    this.counts.write += this.charge(this.describe(partitionKey, op, staged));
    this.counts.documentsWritten += 1;
    this.commit(staged);
  }

  /**
   * A transactional batch: the sum of its operations when it commits. When it fails, the operations before
   * the failing one ran and were rolled back (charged in full) and the failing one is charged as refused.
   */
  batch(partitionKey: string, operations: readonly BatchOperation[], result: BatchResult): void {
    const staged = new Map<string, Known | null>();
    const upTo = result.ok ? operations.length : result.index;
    let ru = 0;
    for (const op of operations.slice(0, upTo)) ru += this.charge(this.describe(partitionKey, op, staged));
    if (result.ok) {
      this.counts.write += ru;
      this.counts.documentsWritten += operations.length;
      this.commit(staged);
    } else {
      this.counts.failed += ru + this.charge({ kind: 'refused' });
    }
  }

  /** One page of a query; `partitionKey` null for a cross-partition one (nothing remembered). */
  queryPage(partitionKey: string | null, docs: readonly StoredDocument[]): void {
    // Across partitions only item documents are listed, each in the partition named by its id.
    const bytes = docs.map((doc) =>
      partitionKey === null ? documentBytes(doc.id, doc) : this.remember(partitionKey, doc).bytes,
    );
    this.counts.query += this.charge({ kind: 'queryPage', resultBytes: bytes });
  }

  private charge(op: ChargedOperation): number {
    return chargeOperation(op, this.policy);
  }

  /** The charged form of `op`, given what is known and what earlier operations of the same batch staged. */
  private describe(
    partitionKey: string,
    op: BatchOperation,
    staged: Map<string, Known | null>,
  ): ChargedOperation {
    const id = op.op === 'delete' ? op.id : op.doc.id;
    const key = keyOf(partitionKey, id);
    const before = staged.has(key) ? (staged.get(key) ?? null) : (this.known.get(key) ?? null);
    if (op.op === 'delete') {
      staged.set(key, null);
      // An unseen document is charged as a 1 KB one (the smallest the size table charges).
      return { kind: 'delete', previousBytes: before?.bytes ?? 0 };
    }
    const after = this.measure(partitionKey, op.doc);
    staged.set(key, after);
    if (op.op === 'create') return { kind: 'create', bytes: after.bytes };
    const modifiedTerms = modifiedTermCount(
      before ? indexValues(before.doc, partitionKey, this.policy) : null,
      indexValues(op.doc, partitionKey, this.policy),
      this.policy,
    );
    switch (op.op) {
      case 'replace':
        return {
          kind: 'replace',
          bytes: after.bytes,
          previousBytes: before?.bytes ?? after.bytes,
          modifiedTerms,
        };
      case 'upsert':
        return {
          kind: 'upsert',
          bytes: after.bytes,
          previous: before ? { bytes: before.bytes, modifiedTerms } : null,
        };
    }
  }

  private commit(staged: ReadonlyMap<string, Known | null>): void {
    for (const [key, value] of staged) {
      if (value) this.learn(key, value);
      else this.known.delete(key);
    }
  }

  /** Most recently seen last; past the capacity the longest unseen is forgotten (and charged as unseen). */
  private learn(key: string, value: Known): void {
    this.known.delete(key);
    this.known.set(key, value);
    if (this.known.size > KNOWN_CAPACITY) {
      const oldest = this.known.keys().next();
      if (!oldest.done) this.known.delete(oldest.value);
    }
  }

  private measure(partitionKey: string, doc: StoredDocument): Known {
    return { bytes: documentBytes(partitionKey, doc), doc };
  }

  private remember(partitionKey: string, doc: StoredDocument): Known {
    const seen = this.measure(partitionKey, doc);
    this.learn(keyOf(partitionKey, doc.id), seen);
    return seen;
  }
}

/** Documents remembered at most: bounds the memory of a long run (a million commands write two million). */
const KNOWN_CAPACITY = 200_000;

const keyOf = (partitionKey: string, id: string) => `${partitionKey}\u0000${id}`;
