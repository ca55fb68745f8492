import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startHostProcess, type HostProcess } from '../support/host-process';
import { ApiClient, mapLimit, type StatusView } from '../support/http-client';
import { checkLedger } from './ledger-checks';

/**
 * Carts on the compiled host (consumer thread, embedded queue and store): every line held or none, a
 * confirm or cancel moves every line, an expiry releases them all, and 100 carts racing for little stock
 * each end fully held or fully released with the counters explained by the ledgers.
 */

interface CartView extends StatusView {
  cartId: string;
  lines: {
    inventoryId: string;
    quantity: number;
    reservationId: string;
    status: string;
    reason: string | null;
  }[];
}

let dataDir: string;
let host: HostProcess;
let api: ApiClient;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'e2e-carts-'));
  host = await startHostProcess({ dataDir });
  api = new ApiClient(host.url);
}, 60_000);

afterAll(async () => {
  await host?.stop('SIGTERM', 10_000);
  rmSync(dataDir, { recursive: true, force: true });
}, 15_000);

async function placeCart(
  lines: { inventoryId: string; quantity: number }[],
  userId = 'shopper',
  holdSeconds?: number,
) {
  const res = await api.post<{ cartId: string; statusUrl: string; lines: { reservationId: string }[] }>(
    '/carts',
    {
      userId,
      lines,
      ...(holdSeconds ? { holdSeconds } : {}),
    },
  );
  expect(res.status).toBe(202);
  expect(res.headers.get('location')).toBe(res.body.statusUrl);
  return res.body;
}

const decided = (url: string, deadlineMs = 20_000) =>
  api.pollUntil(url, (s) => s.status !== 'pending', { deadlineMs }) as Promise<CartView>;
const becomes = (url: string, status: string, deadlineMs = 20_000) =>
  api.pollUntil(url, (s) => s.status === status, { deadlineMs }) as Promise<CartView>;

test('a cart holds every line, and a confirm confirms every one', async () => {
  for (const sku of ['walk-a', 'walk-b', 'walk-c']) await api.createItem(sku, 10);
  const cart = await placeCart([
    { inventoryId: 'walk-a', quantity: 1 },
    { inventoryId: 'walk-b', quantity: 2 },
    { inventoryId: 'walk-c', quantity: 3 },
  ]);
  const held = await decided(cart.statusUrl);
  expect(held.status).toBe('held');
  expect(held.lines.map((l) => l.status)).toEqual(['held', 'held', 'held']);
  // A line belongs to its cart: confirming it on its own is refused.
  const line = held.lines[0]!;
  const alone = await api.post(`/inventory/${line.inventoryId}/reservations/${line.reservationId}/confirm`);
  const refused = await api.pollUntilDecided(alone.headers.get('location') ?? '');
  expect(refused).toMatchObject({ status: 'rejected', reason: 'PART_OF_CART' });

  expect((await api.post(`/carts/${cart.cartId}/confirm`)).status).toBe(202);
  const confirmed = await becomes(cart.statusUrl, 'confirmed');
  expect(confirmed.lines.map((l) => l.status)).toEqual(['confirmed', 'confirmed', 'confirmed']);
  const { item } = await api.getItem('walk-b');
  expect(item).toMatchObject({ available: 8, reserved: 0, confirmed: 2 });
}, 40_000);

test('a cart with a line that cannot be held releases the others and is rejected', async () => {
  await api.createItem('short-a', 5);
  await api.createItem('short-b', 0);
  const cart = await placeCart([
    { inventoryId: 'short-a', quantity: 2 },
    { inventoryId: 'short-b', quantity: 1 },
    { inventoryId: 'no-such-item', quantity: 1 },
  ]);
  const rejected = await decided(cart.statusUrl);
  expect(rejected.status).toBe('rejected');
  expect(rejected.lines.map((l) => [l.status, l.reason])).toEqual([
    ['cancelled', null],
    ['rejected', 'INSUFFICIENT_STOCK'],
    ['rejected', 'INVENTORY_NOT_FOUND'],
  ]);
  expect((await api.getItem('short-a')).item).toMatchObject({ available: 5, reserved: 0 });
}, 30_000);

test('a cancel releases every line, and an unconfirmed cart expires as a whole', async () => {
  await api.createItem('cx-a', 4);
  await api.createItem('cx-b', 4);
  const lines = [
    { inventoryId: 'cx-a', quantity: 1 },
    { inventoryId: 'cx-b', quantity: 1 },
  ];
  const cancelled = await placeCart(lines);
  await becomes(cancelled.statusUrl, 'held');
  await api.post(`/carts/${cancelled.cartId}/cancel`);
  expect((await becomes(cancelled.statusUrl, 'cancelled')).lines.every((l) => l.status === 'cancelled')).toBe(
    true,
  );

  const expiring = await placeCart(lines, 'shopper', 1);
  const expired = await becomes(expiring.statusUrl, 'expired', 15_000);
  expect(expired.lines.every((l) => l.status === 'expired')).toBe(true);
  // A confirm after the expiry changes nothing.
  await api.post(`/carts/${expiring.cartId}/confirm`);
  expect((await api.getItem('cx-a')).item).toMatchObject({ available: 4, reserved: 0, confirmed: 0 });
  expect((await api.get(`/carts/k-NOTACART`)).status).toBe(404);
}, 40_000);

test('100 concurrent 3-line carts racing for little stock each end fully held or fully released', async () => {
  const skus = ['race-0', 'race-1', 'race-2', 'race-3', 'race-4'];
  for (const sku of skus) await api.createItem(sku, 12);
  const carts = await mapLimit(
    Array.from({ length: 100 }, (_, i) => i),
    32,
    (i) =>
      placeCart(
        [0, 1, 2].map((k) => ({
          inventoryId: skus[(i + k * (1 + (i % 2))) % skus.length]!,
          quantity: 1 + (k % 2),
        })),
        `user-${i}`,
      ),
  );
  const finals = await mapLimit(carts, 16, (c) => decided(c.statusUrl, 60_000));
  let held = 0;
  for (const cart of finals) {
    const statuses = new Set(cart.lines.map((l) => l.status));
    if (cart.status === 'held') expect([...statuses]).toEqual(['held']);
    else {
      expect(cart.status).toBe('rejected');
      expect(statuses.has('held')).toBe(false);
    }
    if (cart.status === 'held') held += 1;
  }
  expect(held).toBeGreaterThan(0);
  expect(held).toBeLessThan(100);
  for (const sku of skus) {
    const { item } = await api.getItem(sku);
    // Contiguous ledger, replay equals the counters, reserved equals the holds still active.
    checkLedger(item, await api.ledger(sku));
    expect(item.available + item.reserved).toBe(12);
    // What the held carts say they hold of the item is what the item has reserved.
    const inCarts = finals
      .filter((c) => c.status === 'held')
      .flatMap((c) => c.lines.filter((l) => l.inventoryId === sku))
      .reduce((sum, l) => sum + l.quantity, 0);
    expect({ sku, reserved: item.reserved }).toEqual({ sku, reserved: inCarts });
  }
}, 120_000);
