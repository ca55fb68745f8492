import type Database from 'better-sqlite3';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { localSettings, startHost, type Host } from '../../src/local/host';
import { ApiClient, loopback } from '../support/http-client';
import { embeddedQueueOf } from '../support/embedded-queue';

/**
 * A full disk: writes fail with a real SQLITE_FULL. Without a small filesystem to fill, the limit comes
 * from SQLite itself, on the host's own connections (`max_page_count` at the file's current size), so
 * every write that needs a new page is refused exactly as on a full disk. Writes answer 503 with
 * Retry-After, never 500, and /api/health says so until writes commit again.
 */

let host: Host;
let api: ApiClient;
let dataDir: string;

/** The host's own connection to a file (private to the adapters; the fault must hit that connection). */
function connection(owner: unknown): Database.Database {
  return (owner as { db: Database.Database }).db;
}

function fill(db: Database.Database): void {
  db.pragma(`max_page_count = ${Number(db.pragma('page_count', { simple: true }))}`);
}

function free(db: Database.Database): void {
  db.pragma('max_page_count = 1073741823');
}

beforeEach(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'disk-full-'));
  host = await startHost(localSettings({ dataDir }), () => undefined);
  api = new ApiClient(loopback(host.url));
  await api.createItem('sku-1', 5);
});

afterEach(async () => {
  await host.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const big = (n: number) => `user-${'x'.repeat(100)}-${n}`;

describe('a full disk', () => {
  it('store full: keyed reservations and PUT answer 503 with Retry-After, and health reports it until space is back', async () => {
    const store = connection(host.services.store);
    fill(store);
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) {
      const res = await api.reserve(
        { inventoryId: 'sku-1', quantity: 1, userId: big(i) },
        `key-${i}-${'k'.repeat(200)}`,
      );
      statuses.push(res.status);
      if (res.status === 503) {
        expect(res.headers.get('retry-after')).toBe('30');
        expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
        break;
      }
    }
    expect(statuses).toContain(503);
    expect(statuses).not.toContain(500);
    let put = await api.put('/inventory/new-0', { available: 1, name: 'x'.repeat(200) });
    for (let i = 1; i < 40 && put.status === 201; i++) {
      put = await api.put(`/inventory/new-${i}`, { available: 1, name: 'x'.repeat(200) });
    }
    expect(put.status).toBe(503);

    const degraded = await api.get<{ status: string; checks: Record<string, { status: string }> }>('/health');
    expect(degraded.status).toBe(503);
    expect(degraded.body.checks.store?.status).toBe('failed');

    free(store);
    // Health is cached for a few seconds; the next probe after that writes for real and recovers.
    await new Promise((r) => setTimeout(r, 5_100));
    const healthy = await api.get<{ status: string }>('/health');
    expect(healthy.status).toBe(200);
    expect((await api.put('/inventory/after', { available: 1 })).status).toBe(201);
  }, 30_000);

  it('queue full: a reservation answers 503 with Retry-After and nothing accepted; health reports the queue', async () => {
    const queue = connection((embeddedQueueOf(host) as unknown as { core: unknown }).core);
    fill(queue);
    let res = await api.reserve({ inventoryId: 'sku-1', quantity: 1, userId: 'u' });
    for (let i = 0; i < 400 && res.status === 202; i++) {
      res = await api.reserve({ inventoryId: 'sku-1', quantity: 1, userId: big(i) });
    }
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('30');
    expect(res.text).toMatch(/nothing was accepted/);
    const degraded = await api.get<{ checks: Record<string, { status: string }> }>('/health');
    expect(degraded.body.checks.queue?.status).toBe('failed');
    free(queue);
  }, 30_000);
});
