import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase } from '../../src/adapters/embedded/database';
import { EmbeddedStore } from '../../src/adapters/embedded/embedded-store';

describe('embedded store TTL and durability', () => {
  it('treats a document past its ttl as absent, refuses a create over it until then, and lets its id be created again', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ttl-'));
    const db = openDatabase(dir);
    let now = Date.parse('2026-01-01T00:00:00Z');
    const store = new EmbeddedStore(db, { now: () => new Date(now) });
    await store.create('p', { id: 'k', type: 'idempotency', ttl: 60 });
    await store.create('p', { id: 'forever', type: 'idempotency' });
    now += 59_000;
    expect(await store.read('p', 'k')).not.toBeNull();
    expect(await store.create('p', { id: 'k', type: 'idempotency' })).toEqual({
      ok: false,
      failure: 'duplicate',
    });
    now += 2_000;
    expect(await store.read('p', 'k')).toBeNull();
    expect(await store.read('p', 'forever')).not.toBeNull();
    expect((await store.create('p', { id: 'k', type: 'idempotency' })).ok).toBe(true);
    // The new document took the expired one's place, without its ttl.
    now += 3600_000;
    expect(await store.read('p', 'k')).not.toBeNull();
    db.close();
  });

  it('keeps every committed document across a reopen of the file', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'reopen-'));
    const first = openDatabase(dir);
    const written = await new EmbeddedStore(first).create('p', { id: 'a', type: 'inventory' });
    first.close();
    const second = openDatabase(dir);
    const read = await new EmbeddedStore(second).read('p', 'a');
    expect(read?.etag).toBe(written.ok ? written.etag : 'missing');
    second.close();
  });
});
