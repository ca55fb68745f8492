import Database from 'better-sqlite3';
import path from 'node:path';
import type { ApiClient, StatusView } from './http-client';

/** The audit route's answer, as the tests read it. */
export interface AuditView {
  inventoryId: string;
  status: 'consistent' | 'inconsistent';
  checked: { events: number; reservations: number; tallies: number };
  differences: {
    check: string;
    subject: string;
    expected: number | string;
    found: number | string;
    detail: string;
  }[];
}

async function decided(
  api: ApiClient,
  res: { status: number; text: string; headers: Headers },
): Promise<StatusView> {
  if (res.status !== 202) throw new Error(`expected 202, got ${res.status} ${res.text}`);
  return api.pollUntilDecided(res.headers.get('location') ?? '', { deadlineMs: 15_000 });
}

/**
 * Real traffic on an item with a per-user limit of 3, each step waited for: user-1 reserves 2 and confirms,
 * reserves 1 and cancels, is refused 2 more (USER_LIMIT_EXCEEDED); user-2 keeps a hold of 1; a restock of 5.
 * Leaves available 12, reserved 1, confirmed 2, 8 ledger events, 4 reservations and 2 tallies.
 */
export async function limitedTraffic(api: ApiClient, inventoryId: string): Promise<void> {
  const created = await api.put(`/inventory/${inventoryId}`, { available: 10, maxPerUser: 3 });
  if (created.status !== 201) throw new Error(`PUT ${inventoryId}: ${created.status} ${created.text}`);
  const reserve = (userId: string, quantity: number) =>
    api.reserve({ inventoryId, quantity, userId }).then((res) => decided(api, res));
  const settle = (reservationId: string, action: 'confirm' | 'cancel') =>
    api
      .post(`/inventory/${inventoryId}/reservations/${reservationId}/${action}`)
      .then((res) => decided(api, res));

  const first = await reserve('user-1', 2);
  expect(first).toMatchObject({ status: 'held' });
  expect(await settle(String(first.reservationId), 'confirm')).toMatchObject({ status: 'applied' });
  const second = await reserve('user-1', 1);
  expect(second).toMatchObject({ status: 'held' });
  expect(await settle(String(second.reservationId), 'cancel')).toMatchObject({ status: 'applied' });
  expect(await reserve('user-1', 2)).toMatchObject({ status: 'rejected', reason: 'USER_LIMIT_EXCEEDED' });
  expect(await reserve('user-2', 1)).toMatchObject({ status: 'held' });
  const restock = await api.post(`/inventory/${inventoryId}/adjustments`, { delta: 5, reason: 'restock' });
  expect(await decided(api, restock)).toMatchObject({ status: 'applied' });
}

/**
 * Changes an item's stored document behind the service's back, as a bug or a hand edit would: straight in
 * the host's inventory.db (table store_docs, the document's JSON in `body`).
 */
export function corruptItem(dataDir: string, inventoryId: string, patch: Record<string, number>): void {
  const db = new Database(path.join(dataDir, 'inventory.db'));
  try {
    const row = db
      .prepare<[string, string], { body: string }>('SELECT body FROM store_docs WHERE pk = ? AND id = ?')
      .get(inventoryId, inventoryId);
    if (!row) throw new Error(`no item row for ${inventoryId}`);
    const body = { ...(JSON.parse(row.body) as Record<string, unknown>), ...patch };
    db.prepare('UPDATE store_docs SET body = ? WHERE pk = ? AND id = ?').run(
      JSON.stringify(body),
      inventoryId,
      inventoryId,
    );
  } finally {
    db.close();
  }
}
