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

/** From now on the store refuses every batch of one item. */
function refuseBatchesOf(inventoryId: string): void {
  const store = host.services.store;
  const batch = store.batch.bind(store);
  store.batch = (pk: string, ops: readonly BatchOperation[]): Promise<BatchResult> =>
    pk === inventoryId ? Promise.reject(new Error('the store refuses this item')) : batch(pk, ops);
}

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
