import type Database from 'better-sqlite3';
import type { CrossPartitionSpec, QuerySpec } from '../../ports/store';
import type { AcrossCursor, Cursor } from './continuation';

/**
 * One table for every document, keyed like the Cosmos DB container: (partition key, id). `pk` is the
 * partition key the write named; the body is the document as written, which carries none. `type`,
 * `status` and `seq` are copied out of the body only so one-partition listings can use an index; the item
 * documents (one per partition) have a small index of their own for the listing across partitions.
 *
 * The seq and status indexes hold only the documents that have one (events and ledger pages a seq,
 * reservations and carts a status). Full, they gave every reservation a seq entry and every ledger page
 * and command marker entries they are never listed by; without those the bench's embedded store decides
 * 8-10 % more per second (docs/LOADTEST.md, part 5). A data set made before gets the partial indexes,
 * and loses the full ones, once, on open.
 */
const SCHEMA = `
  CREATE TABLE IF NOT EXISTS store_docs (
    pk TEXT NOT NULL,
    id TEXT NOT NULL,
    type TEXT NOT NULL,
    status TEXT,
    seq INTEGER,
    body TEXT NOT NULL,
    etag TEXT NOT NULL,
    expires_at INTEGER,
    PRIMARY KEY (pk, id)
  ) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS store_docs_sequenced ON store_docs (pk, type, seq, id) WHERE seq IS NOT NULL;
  CREATE INDEX IF NOT EXISTS store_docs_with_status ON store_docs (pk, type, status, id) WHERE status IS NOT NULL;
  DROP INDEX IF EXISTS store_docs_by_seq;
  DROP INDEX IF EXISTS store_docs_by_status;
  CREATE INDEX IF NOT EXISTS store_docs_items ON store_docs (pk, id) WHERE type = 'inventory';
  CREATE INDEX IF NOT EXISTS store_docs_by_expiry ON store_docs (expires_at) WHERE expires_at IS NOT NULL;
`;

export interface Row {
  body: string;
  etag: string;
  expires_at: number | null;
  type: string;
  status: string | null;
  seq: number | null;
}

export interface ListedRow {
  body: string;
  id: string;
  seq: number | null;
  /** Selected by the listing across partitions only. */
  pk?: string;
}

export type StoreStatements = ReturnType<typeof prepareStoreStatements>;

/** Cosmos DB refuses documents over 2 MB; the embedded store does the same so tests see the same limit. */
const MAX_DOCUMENT_BYTES = 2 * 1024 * 1024;

/** Whether a document's JSON is past the limit. One UTF-16 unit is at most 3 UTF-8 bytes: shorter ones need no count. */
export function overSizeLimit(body: string): boolean {
  return body.length * 3 > MAX_DOCUMENT_BYTES && Buffer.byteLength(body) > MAX_DOCUMENT_BYTES;
}

/** The columns copied out of a document for the listings and the TTL purge. */
export function queryColumns(
  doc: { type: string; ttl?: number; status?: unknown; seq?: unknown },
  now: number,
) {
  // Item documents are never listed: with their query columns empty, replacing one (once per decision)
  // leaves the indexes as they were, and only its body is written.
  const listed = doc.type !== 'inventory';
  return {
    type: doc.type,
    status: listed && typeof doc.status === 'string' ? doc.status : null,
    seq: listed && typeof doc.seq === 'number' ? doc.seq : null,
    expiresAt: typeof doc.ttl === 'number' && doc.ttl > 0 ? now + doc.ttl * 1000 : null,
  };
}

/** Creates the table if needed and prepares the statements every write uses. */
export function prepareStoreStatements(db: Database.Database) {
  db.exec(SCHEMA);
  return {
    read: db.prepare<[string, string], Row>(
      'SELECT body, etag, expires_at, type, status, seq FROM store_docs WHERE pk = ? AND id = ?',
    ),
    // Also replaces an expired row, which counts as absent.
    insert: db.prepare(
      `INSERT INTO store_docs (pk, id, type, status, seq, body, etag, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (pk, id) DO UPDATE SET type = excluded.type, status = excluded.status, seq = excluded.seq,
         body = excluded.body, etag = excluded.etag, expires_at = excluded.expires_at`,
    ),
    // A create: refused (0 changes) when a live document has the id; an expired one is replaced.
    create: db.prepare<
      [string, string, string, string | null, number | null, string, string, number | null, number]
    >(
      `INSERT INTO store_docs (pk, id, type, status, seq, body, etag, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (pk, id) DO UPDATE SET type = excluded.type, status = excluded.status, seq = excluded.seq,
         body = excluded.body, etag = excluded.etag, expires_at = excluded.expires_at
       WHERE store_docs.expires_at IS NOT NULL AND store_docs.expires_at <= ?`,
    ),
    update: db.prepare(
      'UPDATE store_docs SET type = ?, status = ?, seq = ?, body = ?, etag = ?, expires_at = ? WHERE pk = ? AND id = ?',
    ),
    // A replace that leaves every indexed column as it was (an item, once per decision) names only the
    // body and ETag: SQLite then leaves the indexes alone, which spares the log a page or more per write.
    updateBody: db.prepare('UPDATE store_docs SET body = ?, etag = ? WHERE pk = ? AND id = ?'),
    delete: db.prepare('DELETE FROM store_docs WHERE pk = ? AND id = ?'),
    // Expired documents are removed in the background, as Cosmos DB's TTL does; bounded per pass.
    purgeExpired: db.prepare<[number, number]>(
      `DELETE FROM store_docs WHERE (pk, id) IN (
         SELECT pk, id FROM store_docs WHERE expires_at IS NOT NULL AND expires_at <= ? LIMIT ?)`,
    ),
    ping: db.prepare('SELECT 1'),
  };
}

/**
 * The SQL and parameters of one page of a one-partition listing: live documents of one type (and status),
 * after the cursor, in the listing's order, one row more than the page to tell whether another follows.
 */
export function pageQuery(
  partitionKey: string,
  spec: QuerySpec,
  after: Cursor | undefined,
  now: number,
  limit: number,
): { sql: string; params: (string | number)[] } {
  const clauses = ['pk = ?', 'type = ?', '(expires_at IS NULL OR expires_at > ?)'];
  const params: (string | number)[] = [partitionKey, spec.type, now];
  if (spec.status !== undefined) {
    clauses.push('status = ?');
    params.push(spec.status);
  }
  if (spec.userId !== undefined) {
    clauses.push("json_extract(body, '$.userId') = ?");
    params.push(spec.userId);
  }
  if (after) {
    if (spec.orderBy === 'seq') {
      clauses.push('(seq > ? OR (seq = ? AND id > ?))');
      params.push(after.seq ?? 0, after.seq ?? 0, after.id);
    } else {
      clauses.push('id > ?');
      params.push(after.id);
    }
  }
  // Stated for the planner: only then may it use the partial index of sequenced documents.
  if (spec.orderBy === 'seq') clauses.push('seq IS NOT NULL');
  const order = spec.orderBy === 'seq' ? 'seq, id' : 'id';
  const sql = `SELECT body, id, seq FROM store_docs WHERE ${clauses.join(' AND ')} ORDER BY ${order} LIMIT ?`;
  return { sql, params: [...params, limit + 1] };
}

/** What each listing across partitions may name: a literal, so the item index's WHERE clause applies. */
const ACROSS_TYPES: Record<CrossPartitionSpec['type'], string> = { inventory: "'inventory'" };

/** One page of the listing across partitions, in (partition key, id) order, one row more than the page. */
export function acrossQuery(
  spec: CrossPartitionSpec,
  after: AcrossCursor | undefined,
  now: number,
  limit: number,
): { sql: string; params: (string | number)[] } {
  const clauses = [`type = ${ACROSS_TYPES[spec.type]}`, '(expires_at IS NULL OR expires_at > ?)'];
  const params: (string | number)[] = [now];
  if (after) {
    // A row value: SQLite seeks the item index to the cursor instead of scanning it from the start.
    clauses.push('(pk, id) > (?, ?)');
    params.push(after.pk, after.id);
  }
  const sql = `SELECT body, pk, id, seq FROM store_docs WHERE ${clauses.join(' AND ')} ORDER BY pk, id LIMIT ?`;
  return { sql, params: [...params, limit + 1] };
}
