import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { DataSetError } from '../../src/adapters/embedded/data-set';
import { localSettings, startHost, type Host } from '../../src/local/host';
import { ApiClient, loopback } from '../support/http-client';

/**
 * The one-machine host owns its data folder and starts only on a whole, sound data set. Each fault is
 * made for real on the files a host wrote: a deleted file, a zeroed file, a file from another data set,
 * damaged pages, a second host on the same folder.
 */

const dirs: string[] = [];
const hosts: Host[] = [];

afterEach(async () => {
  for (const host of hosts.splice(0)) await host.stop();
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function newDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'data-set-'));
  dirs.push(dir);
  return path.join(dir, 'data');
}

async function start(dataDir: string): Promise<Host> {
  const host = await startHost(localSettings({ dataDir }), () => undefined);
  hosts.push(host);
  return host;
}

/** A data folder with one item in it, written by a host that then stopped cleanly. */
async function populated(): Promise<string> {
  const dataDir = newDir();
  const host = await start(dataDir);
  await new ApiClient(loopback(host.url)).createItem('sku-1', 5);
  await host.stop();
  hosts.splice(hosts.indexOf(host), 1);
  return dataDir;
}

async function refusal(dataDir: string): Promise<string> {
  const error = await start(dataDir).then(
    () => new Error('the host started'),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DataSetError);
  return (error as Error).message;
}

describe('the data folder at start', () => {
  it('creates a new data set readable by the owner only, with 8 KiB pages', async () => {
    const dataDir = newDir();
    await start(dataDir);
    expect(fs.statSync(dataDir).mode & 0o777).toBe(0o700);
    for (const file of ['inventory.db', 'queue.db', 'inventory.db-wal', 'queue.db-wal']) {
      expect([file, fs.statSync(path.join(dataDir, file)).mode & 0o777]).toEqual([file, 0o600]);
    }
    // 8 KiB pages: an idempotency record fits in its page instead of spilling into an overflow page.
    const db = new Database(path.join(dataDir, 'inventory.db'), { readonly: true });
    expect(db.pragma('page_size', { simple: true })).toBe(8192);
    db.close();
  });

  it('starts again on its own data set, with the data there', async () => {
    const dataDir = await populated();
    const host = await start(dataDir);
    const item = await new ApiClient(loopback(host.url)).getItem('sku-1');
    expect(item.item.available).toBe(5);
  });

  it('refuses a folder whose inventory.db was deleted, saying which file is missing and how to restore', async () => {
    const dataDir = await populated();
    for (const suffix of ['', '-wal', '-shm'])
      fs.rmSync(path.join(dataDir, `inventory.db${suffix}`), { force: true });
    const message = await refusal(dataDir);
    expect(message).toMatch(/inventory\.db is missing/);
    expect(message).toMatch(/Restore inventory\.db and queue\.db/);
  });

  it('refuses a folder whose queue.db was deleted (the hold expiries live there)', async () => {
    const dataDir = await populated();
    for (const suffix of ['', '-wal', '-shm'])
      fs.rmSync(path.join(dataDir, `queue.db${suffix}`), { force: true });
    expect(await refusal(dataDir)).toMatch(/queue\.db is missing/);
  });

  it('refuses a zeroed inventory.db', async () => {
    const dataDir = await populated();
    for (const suffix of ['-wal', '-shm'])
      fs.rmSync(path.join(dataDir, `inventory.db${suffix}`), { force: true });
    fs.truncateSync(path.join(dataDir, 'inventory.db'), 0);
    expect(await refusal(dataDir)).toMatch(/no data-set identity/);
  });

  it('refuses files from two different data sets', async () => {
    const one = await populated();
    const other = await populated();
    for (const suffix of ['', '-wal', '-shm']) {
      const from = path.join(other, `queue.db${suffix}`);
      const to = path.join(one, `queue.db${suffix}`);
      fs.rmSync(to, { force: true });
      if (fs.existsSync(from)) fs.copyFileSync(from, to);
    }
    expect(await refusal(one)).toMatch(/come from different data sets/);
  });

  it('refuses a damaged file', async () => {
    const dataDir = await populated();
    const file = path.join(dataDir, 'inventory.db');
    // Move everything into the main file, then overwrite its pages after the header with garbage.
    const db = new Database(file);
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
    const size = fs.statSync(file).size;
    const fd = fs.openSync(file, 'r+');
    fs.writeSync(fd, Buffer.alloc(size - 100, 0xa5), 0, size - 100, 100);
    fs.closeSync(fd);
    expect(await refusal(dataDir)).toMatch(/damaged|integrity|malformed|not a database/i);
  });

  it('refuses a second host on the same folder, naming the folder and the holder; frees it on stop', async () => {
    const dataDir = newDir();
    const first = await start(dataDir);
    const message = await refusal(dataDir);
    expect(message).toContain(dataDir);
    expect(message).toContain(`process ${process.pid}`);
    await first.stop();
    hosts.splice(hosts.indexOf(first), 1);
    await start(dataDir);
  });

  it('adopts files written before data-set identities existed, when both hold their data', async () => {
    const dataDir = await populated();
    for (const name of ['inventory.db', 'queue.db']) {
      const db = new Database(path.join(dataDir, name));
      db.exec('DROP TABLE data_set');
      db.close();
    }
    const host = await start(dataDir);
    expect((await new ApiClient(loopback(host.url)).getItem('sku-1')).item.available).toBe(5);
  });
});

describe('holds and their expiries', () => {
  it('refuses a data set whose queue lost the expiry of an active hold (its stock would never come back)', async () => {
    const dataDir = newDir();
    const host = await start(dataDir);
    const api = new ApiClient(loopback(host.url));
    await api.createItem('sku-1', 5);
    const res = await api.reserve({ inventoryId: 'sku-1', quantity: 2, userId: 'u1', holdSeconds: 600 });
    expect((await api.pollUntilDecided(res.headers.get('location') ?? '')).status).toBe('held');
    await host.stop();
    hosts.splice(hosts.indexOf(host), 1);
    expect(await start(dataDir).then((h) => h.stop())).toBeUndefined(); // sound: it starts
    hosts.splice(-1, 1);

    // What a truncated write-ahead log of queue.db would leave: the hold's ExpireHold is gone.
    const queue = new Database(path.join(dataDir, 'queue.db'));
    const removed = queue
      .prepare("DELETE FROM queue_messages WHERE message_id LIKE '%.expire'")
      .run().changes;
    queue.close();
    expect(removed).toBe(1);
    const message = await refusal(dataDir);
    expect(message).toMatch(/1 active hold\(s\) have no expiry message in queue\.db \(sku-1\/r-/);
  });

  it('starts with a held cart whose ExpireCart is queued, and refuses one whose queue lost it and every line command', async () => {
    const dataDir = newDir();
    const host = await start(dataDir);
    const api = new ApiClient(loopback(host.url));
    await api.createItem('sku-1', 5);
    await api.createItem('sku-2', 5);
    const lines = [
      { inventoryId: 'sku-1', quantity: 1 },
      { inventoryId: 'sku-2', quantity: 1 },
    ];
    const res = await api.post<{ statusUrl: string }>('/carts', { userId: 'u1', holdSeconds: 600, lines });
    await api.pollUntil(res.body.statusUrl, (s) => s.status === 'held');
    await host.stop();
    hosts.splice(hosts.indexOf(host), 1);
    expect(await start(dataDir).then((h) => h.stop())).toBeUndefined(); // the cart's expiry is queued
    hosts.splice(-1, 1);

    const queue = new Database(path.join(dataDir, 'queue.db'));
    const removed = queue.prepare("DELETE FROM queue_messages WHERE message_id LIKE 'k-%'").run().changes;
    queue.close();
    expect(removed).toBe(1); // only the scheduled ExpireCart was left
    expect(await refusal(dataDir)).toMatch(/2 active hold\(s\) have no expiry message/);
  });
});
