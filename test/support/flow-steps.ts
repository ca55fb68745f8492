import { checkLedger } from '../e2e/ledger-checks';
import type { AcceptedView, ApiClient, ApiResponse } from './http-client';

/** What the reservation-flow suites share: fresh item ids, the 202 answer, the item's counters and ledger. */

let itemCounter = 0;

/** A fresh item id per test, so the tests of a suite do not see each other's stock. */
export const newItemId = (label: string) => `flow-${label}-${++itemCounter}-${Date.now().toString(36)}`;

export function expectAccepted(res: ApiResponse<AcceptedView>, inventoryId: string): AcceptedView {
  if (res.status !== 202) throw new Error(`expected 202, got ${res.status}: ${res.text}`);
  expect(res.body).toMatchObject({ status: 'pending', inventoryId });
  expect(res.body.reservationId).toMatch(/^r-/);
  expect(res.headers.get('location')).toBe(res.body.statusUrl);
  expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  return res.body;
}

/** The item's counters and ledger check, through the client `api()` returns (set once the host listens). */
export function itemChecks(api: () => ApiClient) {
  async function counters(inventoryId: string) {
    const { item } = await api().getItem(inventoryId);
    return { available: item.available, reserved: item.reserved, confirmed: item.confirmed };
  }

  async function checkItemLedger(inventoryId: string) {
    const { item } = await api().getItem(inventoryId);
    return checkLedger(item, await api().ledger(inventoryId));
  }

  return { counters, checkItemLedger };
}
