import Database from 'better-sqlite3';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase } from '../../src/adapters/embedded/database';
import { EmbeddedStore } from '../../src/adapters/embedded/embedded-store';
import { pageQuery } from '../../src/adapters/embedded/store-schema';

/**
 * The embedded store's listing indexes hold only documents that have what they are listed by: the seq
 * index, documents with a seq (events, ledger pages); the status index, documents with a status.
 */

const indexes = (db: Database.Database) =>
  (
    db
      .prepare(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'store_docs' ORDER BY name",
      )
      .all() as {
      name: string;
    }[]
  ).map((r) => r.name);

const planOf = (db: Database.Database, query: { sql: string; params: (string | number)[] }) =>
  (db.prepare(`EXPLAIN QUERY PLAN ${query.sql}`).all(...query.params) as { detail: string }[])
    .map((r) => r.detail)
    .join('; ');

describe('the embedded store indexes', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'store-indexes-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('lists by seq through the partial index of sequenced documents, and neither listing sorts', () => {
    const db = openDatabase(dir);
    new EmbeddedStore(db);
    const now = Date.now();
    const bySeq = planOf(
      db,
      pageQuery('item-1', { type: 'ledger-page', orderBy: 'seq' }, undefined, now, 100),
    );
    expect(bySeq).toMatch(/USING INDEX store_docs_sequenced/);
    expect(bySeq).not.toMatch(/TEMP B-TREE/);
    const byStatus = planOf(
      db,
      pageQuery('item-1', { type: 'reservation', status: 'held', orderBy: 'id' }, undefined, now, 100),
    );
    // (The planner walks the primary key here, in id order, as it did with the full status index.)
    expect(byStatus).not.toMatch(/TEMP B-TREE/);
    const sql = (name: string) =>
      (db.prepare('SELECT sql FROM sqlite_master WHERE name = ?').get(name) as { sql: string }).sql;
    expect(sql('store_docs_sequenced')).toMatch(/WHERE seq IS NOT NULL$/);
    expect(sql('store_docs_with_status')).toMatch(/WHERE status IS NOT NULL$/);
    db.close();
  });

  it('replaces the full indexes of a data set made before, on open, and lists it as before', async () => {
    const file = path.join(dir, 'inventory.db');
    const old = new Database(file);
    old.exec(`
      CREATE TABLE store_docs (pk TEXT NOT NULL, id TEXT NOT NULL, type TEXT NOT NULL, status TEXT, seq INTEGER,
        body TEXT NOT NULL, etag TEXT NOT NULL, expires_at INTEGER, PRIMARY KEY (pk, id)) WITHOUT ROWID;
      CREATE INDEX store_docs_by_seq ON store_docs (pk, type, seq, id);
      CREATE INDEX store_docs_by_status ON store_docs (pk, type, status, id);
    `);
    const row = old.prepare(
      'INSERT INTO store_docs (pk, id, type, status, seq, body, etag) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    for (const seq of [3, 1, 2]) {
      const doc = { id: `p${seq}`, type: 'ledger-page', seq };
      row.run('item-1', doc.id, doc.type, null, seq, JSON.stringify(doc), `e${seq}`);
    }
    const held = { id: 'r1', type: 'reservation', status: 'held' };
    row.run('item-1', held.id, held.type, held.status, null, JSON.stringify(held), 'e4');
    old.close();

    const db = openDatabase(dir);
    const store = new EmbeddedStore(db);
    expect(indexes(db)).toEqual(expect.arrayContaining(['store_docs_sequenced', 'store_docs_with_status']));
    expect(indexes(db)).not.toEqual(expect.arrayContaining(['store_docs_by_seq']));
    expect(indexes(db)).not.toEqual(expect.arrayContaining(['store_docs_by_status']));
    const pages = await store.query('item-1', { type: 'ledger-page', orderBy: 'seq' }, { limit: 10 });
    expect(pages.items.map((d) => d.id)).toEqual(['p1', 'p2', 'p3']);
    const holds = await store.query(
      'item-1',
      { type: 'reservation', status: 'held', orderBy: 'id' },
      { limit: 10 },
    );
    expect(holds.items.map((d) => d.id)).toEqual(['r1']);
    db.close();
  });
});
