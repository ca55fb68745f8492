import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { localSettings, startHost, type Host } from '../../src/local/host';
import type { BatchOperation, BatchResult } from '../../src/ports/store';
import { ApiClient, loopback } from '../support/http-client';
import { embeddedQueueOf } from '../support/embedded-queue';

/**
 * A command that fails on every delivery ends dead-lettered, and its status URL says `failed` with the
 * reason, instead of `pending` until the horizon. The fault: the store refuses every batch for one item
 * (the other items keep working), as a bug or corrupt data would.
 */

let host: Host;
let api: ApiClient;
let dataDir: string;

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'e2e-failed-'));
  host = await startHost(localSettings({ dataDir }), () => undefined);
  api = new ApiClient(loopback(host.url));
}, 20_000);

const refused = new Set<string>();

/** From now on the store refuses every batch of one partition (an item's; `cart:*`: every cart's). */
function refuseBatchesOf(partitionKey: string): void {
  refused.add(partitionKey);
}

beforeAll(() => {
  const store = host.services.store;
  const isRefused = (pk: string) => refused.has(pk) || (refused.has('cart:*') && pk.startsWith('cart:'));
  const refusal = () => Promise.reject(new Error('the store refuses this item'));
  const batch = store.batch.bind(store);
  const create = store.create.bind(store);
  const replace = store.replace.bind(store);
  store.batch = (pk: string, ops: readonly BatchOperation[]): Promise<BatchResult> =>
    // The failure record itself (an upsert of a `failure` document) still gets through.
    isRefused(pk) && !ops.every((op) => op.op === 'upsert' && op.doc.type === 'failure')
      ? refusal()
      : batch(pk, ops);
  store.create = (pk, doc) => (isRefused(pk) ? refusal() : create(pk, doc));
  store.replace = (pk, doc, ifMatch) => (isRefused(pk) ? refusal() : replace(pk, doc, ifMatch));
});

afterAll(async () => {
  await host.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

test('a reservation that fails on every delivery answers failed with its reason once dead-lettered', async () => {
  await api.createItem('doomed', 5);
  await api.createItem('fine', 5);
  refuseBatchesOf('doomed');
  const doomed = await api.reserve({ inventoryId: 'doomed', quantity: 1, userId: 'u1' });
  const fine = await api.reserve({ inventoryId: 'fine', quantity: 1, userId: 'u1' });
  expect([doomed.status, fine.status]).toEqual([202, 202]);
  expect((await api.pollUntilDecided(fine.headers.get('location') ?? '')).status).toBe('held');

  const failed = await api.pollUntilDecided(doomed.headers.get('location') ?? '', {
    deadlineMs: 45_000,
    intervalMs: 200,
  });
  expect(failed).toMatchObject({ status: 'failed', reason: 'MaxDeliveryCountExceeded' });
  expect((failed as unknown as { detail: string }).detail).toMatch(
    /10 deliveries: the store refuses this item/,
  );
  const queue = embeddedQueueOf(host);
  expect(queue.deadLetters('doomed').map((m) => m.reason)).toEqual(['MaxDeliveryCountExceeded']);
}, 60_000);

interface DeadLetterPage {
  items: {
    messageId: string;
    inventoryId: string | null;
    cartId: string | null;
    commandType: string | null;
    reservationId: string | null;
    reason: string;
    deliveryCount: number;
  }[];
  continuation: string | null;
}

test('an operator lists the dead letter and resubmits it once the fault is gone: it is decided once', async () => {
  const page = await api.get<DeadLetterPage>('/ops/dead-letters?limit=10');
  expect(page.status).toBe(200);
  const letter = page.body.items.find((d) => d.inventoryId === 'doomed');
  expect(letter).toMatchObject({
    commandType: 'Reserve',
    reason: 'MaxDeliveryCountExceeded',
    deliveryCount: 10,
  });
  const location = `/inventory/doomed/reservations/${letter!.reservationId}`;

  refused.delete('doomed');
  const resubmitted = await api.post(`/ops/dead-letters/${letter!.messageId}/resubmit`);
  expect(resubmitted).toMatchObject({
    status: 200,
    body: { status: 'resubmitted', messageId: letter!.messageId },
  });
  expect((await api.pollUntilDecided(location)).status).toBe('held');
  expect((await api.get<DeadLetterPage>('/ops/dead-letters')).body.items).toEqual([]);
  const again = await api.post(`/ops/dead-letters/${letter!.messageId}/resubmit`);
  expect(again.status).toBe(404);
  const decisions = (await api.ledger('doomed')).filter((e) => e.reservationId === letter!.reservationId);
  expect(decisions.map((e) => e.kind)).toEqual(['ReservationHeld']);
  expect((await api.getItem('doomed')).item).toMatchObject({ available: 4, reserved: 1 });
}, 30_000);

test('a cart whose PlaceCart fails on every delivery answers failed, and a bad message id is a 400', async () => {
  await api.createItem('cart-item', 5);
  refuseBatchesOf('cart:*');
  const placed = await api.post('/carts', {
    userId: 'u2',
    lines: [{ inventoryId: 'cart-item', quantity: 1 }],
  });
  expect(placed.status).toBe(202);
  const failed = await api.pollUntilDecided(placed.headers.get('location') ?? '', {
    deadlineMs: 45_000,
    intervalMs: 200,
  });
  expect(failed).toMatchObject({ status: 'failed', reason: 'MaxDeliveryCountExceeded', type: 'PlaceCart' });
  const bad = await api.post('/ops/dead-letters/not%20an%20id/resubmit');
  expect(bad.status).toBe(400);
  expect(bad.text).toMatch(/messageId/);
}, 60_000);
