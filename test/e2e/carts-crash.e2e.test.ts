import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startHostProcess, type HostProcess } from '../support/host-process';
import { ApiClient, mapLimit, type StatusView } from '../support/http-client';
import { checkLedger } from './ledger-checks';

/**
 * Carts across a SIGKILL: the compiled host is killed while 3-line carts are being accepted and decided,
 * and started again on the same data folder. Every accepted cart (and every keyed one retried after the
 * restart) ends fully held or fully released, and each item's counters are explained by its ledger.
 */

interface CartView extends StatusView {
  lines: { inventoryId: string; quantity: number; status: string }[];
}

const SKUS = ['kill-0', 'kill-1', 'kill-2', 'kill-3'];
const STOCK = 10;
const CARTS = 120;
let dataDir: string;
let host: HostProcess | undefined;

beforeAll(() => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'e2e-carts-kill-'));
});

afterAll(async () => {
  await host?.stop('SIGKILL', 5_000);
  rmSync(dataDir, { recursive: true, force: true });
}, 15_000);

const cartOf = (i: number) => ({
  userId: `user-${i}`,
  lines: [0, 1, 2].map((k) => ({ inventoryId: SKUS[(i + k) % SKUS.length]!, quantity: 1 })),
});

test('SIGKILL mid-burst: every accepted cart ends all held or all released, no unit lost or oversold', async () => {
  host = await startHostProcess({ dataDir });
  let api = new ApiClient(host.url);
  for (const sku of SKUS) await api.createItem(sku, STOCK);
  const first = host;
  let accepted = 0;
  const attempts = await mapLimit(
    Array.from({ length: CARTS }, (_, i) => i),
    8,
    async (i) => {
      try {
        const res = await api.post<{ statusUrl: string }>('/carts', cartOf(i), {
          'idempotency-key': `kill-cart-${i}`,
        });
        if (res.status === 202 && ++accepted === CARTS / 2) first.child.kill('SIGKILL');
        return { i, url: res.status === 202 ? res.body.statusUrl : undefined };
      } catch {
        return { i, url: undefined };
      }
    },
  );
  expect(await first.exited).toEqual({ code: null, signal: 'SIGKILL' });
  expect(attempts.some((a) => a.url === undefined)).toBe(true); // the kill landed mid-burst

  host = await startHostProcess({ dataDir });
  api = new ApiClient(host.url);
  // Retried with their keys: answered now, with the same cart when the first try was recorded.
  const urls = await mapLimit(attempts, 8, async (a) => {
    const res = await api.post<{ statusUrl: string }>('/carts', cartOf(a.i), {
      'idempotency-key': `kill-cart-${a.i}`,
    });
    expect(res.status).toBe(202);
    if (a.url) expect(res.body.statusUrl.split('/').pop()).toBe(a.url.split('/').pop());
    return res.body.statusUrl.replace(/^https?:\/\/[^/]+\/api/, '');
  });
  const finals = (await mapLimit(urls, 16, (url) =>
    api.pollUntil(url, (s) => s.status !== 'pending', { deadlineMs: 60_000 }),
  )) as CartView[];
  for (const cart of finals) {
    const statuses = new Set(cart.lines.map((l) => l.status));
    if (cart.status === 'held') expect([...statuses]).toEqual(['held']);
    else
      expect({ status: cart.status, held: statuses.has('held') }).toEqual({
        status: 'rejected',
        held: false,
      });
  }
  for (const sku of SKUS) {
    const { item } = await api.getItem(sku);
    checkLedger(item, await api.ledger(sku));
    const inCarts = finals
      .filter((c) => c.status === 'held')
      .flatMap((c) => c.lines.filter((l) => l.inventoryId === sku))
      .reduce((sum, l) => sum + l.quantity, 0);
    expect({ sku, available: item.available, reserved: item.reserved }).toEqual({
      sku,
      available: STOCK - inCarts,
      reserved: inCarts,
    });
  }
}, 150_000);
