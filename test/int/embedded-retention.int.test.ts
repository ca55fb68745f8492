import Database from 'better-sqlite3';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EmbeddedStore } from '../../src/adapters/embedded/embedded-store';
import type { Clock } from '../../src/ports/clock';

/** Documents with a TTL leave the embedded store's file, as Cosmos DB's TTL removes them; they do not pile up. */

let dir: string;
let db: Database.Database;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'retention-'));
  db = new Database(path.join(dir, 'inventory.db'));
  db.pragma('journal_mode = WAL');
});

afterEach(() => {
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

it('removes expired documents from the file in the background of later writes', async () => {
  const clock: Clock & { t: number } = {
    t: Date.parse('2030-01-01T00:00:00Z'),
    now: () => new Date(clock.t),
  };
  const store = new EmbeddedStore(db, clock);
  const rows = () => (db.prepare('SELECT COUNT(*) AS n FROM store_docs').get() as { n: number }).n;
  for (let i = 0; i < 50; i++) {
    await store.batch(`junk-${i}`, [{ op: 'create', doc: { id: 'r', type: 'reservation', ttl: 60 } }]);
  }
  await store.batch('keep', [{ op: 'create', doc: { id: 'k', type: 'item' } }]);
  expect(rows()).toBe(51);

  clock.t += 61_000;
  await store.batch('keep', [{ op: 'create', doc: { id: 'k2', type: 'item' } }]);
  expect(rows()).toBe(2);
  expect(await store.read('keep', 'k')).not.toBeNull();
  await store.close();
});
