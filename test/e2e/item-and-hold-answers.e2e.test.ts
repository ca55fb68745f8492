import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Reservation } from '../../src/domain/model';
import { localSettings, startHost, type Host } from '../../src/local/host';
import { ApiClient, loopback, type AcceptedView, type StatusView } from '../support/http-client';

/**
 * What the API says at the edges of an item's and a hold's life, through HTTP against the in-process host:
 * a replaced item keeps its name, a rejection promises no expiry, a late confirm says the hold expired.
 */

let host: Host;
let api: ApiClient;
let dataDir: string;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'e2e-edges-'));
  host = await startHost(localSettings({ dataDir }), () => undefined);
  api = new ApiClient(loopback(host.url));
}, 20_000);

afterAll(async () => {
  await host?.stop();
  rmSync(dataDir, { recursive: true, force: true });
}, 20_000);

async function reserve(inventoryId: string, quantity: number, holdSeconds?: number): Promise<AcceptedView> {
  const res = await api.reserve({
    inventoryId,
    quantity,
    userId: 'user-1',
    ...(holdSeconds ? { holdSeconds } : {}),
  });
  if (res.status !== 202) throw new Error(`expected 202, got ${res.status}: ${res.text}`);
  return res.body;
}

/** POSTs a confirm or cancel and polls the command's status to its outcome. */
async function settle(inventoryId: string, reservationId: string, action: 'confirm' | 'cancel') {
  const res = await api.post<AcceptedView>(
    `/inventory/${inventoryId}/reservations/${reservationId}/${action}`,
  );
  expect(res.status).toBe(202);
  return api.pollUntilDecided(res.headers.get('location') ?? '');
}

describe('answers at the edges of an item and a hold (in-process host)', () => {
  test('replacing an item without a name keeps its name; one created without a name is named after its id', async () => {
    const created = await api.createItem('edge-named', 10, 'Widget');
    const replaced = await api.put<{ name: string; available: number }>(
      '/inventory/edge-named',
      { available: 3 },
      { 'if-match': created.etag },
    );
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({ name: 'Widget', available: 3 });
    expect((await api.getItem('edge-named')).item.name).toBe('Widget');

    expect((await api.createItem('edge-unnamed', 1)).item.name).toBe('edge-unnamed');
  });

  test('a rejected reservation carries no expiresAt, in its status view and in the stored document', async () => {
    await api.createItem('edge-short', 1);
    for (const [inventoryId, reason] of [
      ['edge-short', 'INSUFFICIENT_STOCK'],
      ['edge-never-created', 'INVENTORY_NOT_FOUND'],
    ] as const) {
      const accepted = await reserve(inventoryId, 2, 600);
      expect(Date.parse(accepted.expiresAt ?? '')).toBeGreaterThan(Date.now()); // the hold asked for
      const decided = await api.pollUntilDecided(accepted.statusUrl);
      expect(decided).toMatchObject({ status: 'rejected', reason, expiresAt: null });
      const listed = await api.reservations(inventoryId, 'rejected');
      expect(listed.map((r) => [r.reservationId, r.expiresAt])).toEqual([[accepted.reservationId, null]]);
      const stored = await host.services.store.read<Reservation>(inventoryId, accepted.reservationId ?? '');
      expect(stored?.doc).toMatchObject({ status: 'rejected', reason, expiresAt: null });
    }
  });

  test('a confirm or cancel asked after the hold expired is rejected HOLD_EXPIRED, and nothing moves', async () => {
    await api.createItem('edge-expiry', 5);
    const accepted = await reserve('edge-expiry', 2, 1);
    expect((await api.pollUntilDecided(accepted.statusUrl)).status).toBe('held');
    const expired = await api.pollUntil(accepted.statusUrl, (s: StatusView) => s.status !== 'held', {
      deadlineMs: 5_000,
    });
    expect(expired).toMatchObject({ status: 'expired', reason: 'HOLD_EXPIRED' });

    const reservationId = accepted.reservationId ?? '';
    expect(await settle('edge-expiry', reservationId, 'confirm')).toMatchObject({
      status: 'rejected',
      reason: 'HOLD_EXPIRED',
    });
    expect(await settle('edge-expiry', reservationId, 'cancel')).toMatchObject({
      status: 'rejected',
      reason: 'HOLD_EXPIRED',
    });
    expect((await api.getItem('edge-expiry')).item).toMatchObject({
      available: 5,
      reserved: 0,
      confirmed: 0,
    });
  }, 15_000);
});
