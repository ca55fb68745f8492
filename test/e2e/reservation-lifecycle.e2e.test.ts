import type { AcceptedView, ApiClient, ProblemView, StatusView } from '../support/http-client';
import { expectAccepted, itemChecks, newItemId } from '../support/flow-steps';
import { useInProcessHost } from '../support/in-process-host';

/**
 * The life of holds and items through HTTP against the in-process host: confirm, cancel, expiry, the
 * admin's conditional PUT, unknown ids, adjustments.
 */

let api: ApiClient;
useInProcessHost('e2e-flow-', (started) => {
  api = started.api;
});
const { counters, checkItemLedger } = itemChecks(() => api);

async function reserveAndWait(inventoryId: string, quantity: number, holdSeconds?: number) {
  const accepted = expectAccepted(
    await api.reserve({ inventoryId, quantity, userId: 'user-1', ...(holdSeconds ? { holdSeconds } : {}) }),
    inventoryId,
  );
  const decided = await api.pollUntilDecided(accepted.statusUrl);
  return { accepted, decided };
}

/** POSTs a confirm or cancel, checks the 202 and Location, and polls the command to its outcome. */
async function settle(
  inventoryId: string,
  reservationId: string,
  action: 'confirm' | 'cancel',
): Promise<StatusView> {
  const res = await api.post<AcceptedView>(
    `/inventory/${inventoryId}/reservations/${reservationId}/${action}`,
  );
  expect(res.status).toBe(202);
  const location = res.headers.get('location') ?? '';
  expect(new URL(location).pathname).toBe(`/api/inventory/${inventoryId}/commands/${res.body.commandId}`);
  return api.pollUntilDecided(location);
}

describe('reservation flow (in-process host)', () => {
  test('confirm, cancel and expiry each move the counters; settling an ended hold is rejected', async () => {
    const inventoryId = newItemId('life');
    await api.createItem(inventoryId, 10);

    const a = await reserveAndWait(inventoryId, 3);
    expect(a.decided).toMatchObject({ status: 'held', reason: null, quantity: 3 });
    expect(await counters(inventoryId)).toEqual({ available: 7, reserved: 3, confirmed: 0 });
    expect(await settle(inventoryId, a.accepted.reservationId ?? '', 'confirm')).toMatchObject({
      status: 'applied',
      reason: null,
    });
    expect(await counters(inventoryId)).toEqual({ available: 7, reserved: 0, confirmed: 3 });
    expect((await api.get<StatusView>(a.accepted.statusUrl)).body.status).toBe('confirmed');

    const b = await reserveAndWait(inventoryId, 2);
    expect(b.decided.status).toBe('held');
    expect(await counters(inventoryId)).toEqual({ available: 5, reserved: 2, confirmed: 3 });
    expect(await settle(inventoryId, b.accepted.reservationId ?? '', 'cancel')).toMatchObject({
      status: 'applied',
    });
    expect(await counters(inventoryId)).toEqual({ available: 7, reserved: 0, confirmed: 3 });
    expect((await api.get<StatusView>(b.accepted.statusUrl)).body.status).toBe('cancelled');

    const c = await reserveAndWait(inventoryId, 4, 1);
    expect(c.decided.status).toBe('held');
    expect(await counters(inventoryId)).toEqual({ available: 3, reserved: 4, confirmed: 3 });
    const expired = await api.pollUntil(c.accepted.statusUrl, (s) => s.status !== 'held', {
      deadlineMs: 5_000,
    });
    expect(expired).toMatchObject({ status: 'expired', reason: 'HOLD_EXPIRED' });
    expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(c.accepted.expiresAt ?? ''));
    expect(await counters(inventoryId)).toEqual({ available: 7, reserved: 0, confirmed: 3 });

    // Settling a hold that ended: the command is decided `rejected`, and nothing moves.
    const confirmExpired = await settle(inventoryId, c.accepted.reservationId ?? '', 'confirm');
    expect(confirmExpired.status).toBe('rejected');
    expect(confirmExpired.reason).toBe('HOLD_EXPIRED');
    expect(await settle(inventoryId, b.accepted.reservationId ?? '', 'confirm')).toMatchObject({
      status: 'rejected',
      reason: 'HOLD_NOT_ACTIVE',
    });
    expect(await settle(inventoryId, a.accepted.reservationId ?? '', 'cancel')).toMatchObject({
      status: 'rejected',
      reason: 'HOLD_NOT_ACTIVE',
    });
    expect(await settle(inventoryId, a.accepted.reservationId ?? '', 'confirm')).toMatchObject({
      status: 'rejected',
      reason: 'HOLD_NOT_ACTIVE',
    });
    expect(await settle(inventoryId, 'never-reserved', 'confirm')).toMatchObject({
      status: 'rejected',
      reason: 'RESERVATION_NOT_FOUND',
    });
    expect(await counters(inventoryId)).toEqual({ available: 7, reserved: 0, confirmed: 3 });

    // Each hold ended exactly once, and the ledger still explains the counters.
    const summary = await checkItemLedger(inventoryId);
    expect(summary.held).toBe(3);
    const kinds = (await api.ledger(inventoryId)).map((e) => e.kind);
    expect(kinds.filter((k) => k === 'HoldExpired')).toHaveLength(1);
    expect(kinds.filter((k) => k === 'ReservationConfirmed')).toHaveLength(1);
    expect(kinds.filter((k) => k === 'ReservationCancelled')).toHaveLength(1);
  }, 40_000);

  test('admin PUT: 428 without If-Match, 412 with a stale ETag, 200 with the current one and a StockSet event', async () => {
    const inventoryId = newItemId('admin');
    const created = await api.put(`/inventory/${inventoryId}`, { available: 10, name: 'Widget' });
    expect(created.status).toBe(201);
    const firstEtag = created.headers.get('etag') ?? '';
    expect(firstEtag).not.toBe('');
    expect(new URL(created.headers.get('location') ?? '').pathname).toBe(`/api/inventory/${inventoryId}`);
    expect(created.body).toMatchObject({
      inventoryId,
      name: 'Widget',
      available: 10,
      reserved: 0,
      confirmed: 0,
      seq: 1,
    });
    const read = await api.getItem(inventoryId);
    expect(read.etag).toBe(firstEtag);

    // A hold is decided: the consumer's write changes the ETag, so the admin's copy is now stale.
    const hold = await reserveAndWait(inventoryId, 3);
    expect(hold.decided.status).toBe('held');

    const missing = await api.put<ProblemView>(`/inventory/${inventoryId}`, { available: 50 });
    expect(missing.status).toBe(428);
    expect(missing.headers.get('content-type')).toContain('application/problem+json');
    expect(missing.body.errors?.map((e) => e.field)).toContain('If-Match');

    const stale = await api.put<ProblemView>(
      `/inventory/${inventoryId}`,
      { available: 50 },
      { 'if-match': firstEtag },
    );
    expect(stale.status).toBe(412);
    expect(stale.body.errors?.map((e) => e.field)).toContain('If-Match');
    expect(await counters(inventoryId)).toEqual({ available: 7, reserved: 3, confirmed: 0 });

    const current = await api.getItem(inventoryId);
    expect(current.etag).not.toBe(firstEtag);
    const replaced = await api.put<{ available: number; reserved: number; name: string }>(
      `/inventory/${inventoryId}`,
      { available: 20, name: 'Widget v2' },
      { 'if-match': current.etag },
    );
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({ available: 20, reserved: 3, confirmed: 0, name: 'Widget v2' });
    const newEtag = replaced.headers.get('etag') ?? '';
    expect(newEtag).not.toBe(current.etag);
    expect((await api.getItem(inventoryId)).etag).toBe(newEtag);
    // The ETag just used is stale now too.
    expect(
      (await api.put(`/inventory/${inventoryId}`, { available: 1 }, { 'if-match': current.etag })).status,
    ).toBe(412);

    const events = await api.ledger(inventoryId);
    expect(events.at(-1)).toMatchObject({
      kind: 'StockSet',
      quantity: 20,
      delta: { available: 13, reserved: 0, confirmed: 0 },
    });
    const summary = await checkItemLedger(inventoryId);
    expect(summary.stockIn).toBe(23);

    // The hold survives the replace and can still be confirmed.
    expect(await settle(inventoryId, hold.accepted.reservationId ?? '', 'confirm')).toMatchObject({
      status: 'applied',
    });
    expect(await counters(inventoryId)).toEqual({ available: 20, reserved: 0, confirmed: 3 });
  }, 30_000);

  test('status of an id that was never accepted is 404; unknown item is 404', async () => {
    const inventoryId = newItemId('404');
    await api.createItem(inventoryId, 5);
    for (const id of ['r-nope', 'r-0000000001ABCDEFGHJKMNPQRS', 'never-accepted']) {
      const res = await api.get<ProblemView>(`/inventory/${inventoryId}/reservations/${id}`);
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(res.body.status).toBe(404);
      expect((await api.get(`/inventory/${inventoryId}/commands/${id.replace(/^r-/, 'c-')}`)).status).toBe(
        404,
      );
    }
    expect((await api.get(`/inventory/${newItemId('missing')}`)).status).toBe(404);

    // A reservation against an unknown item is accepted, then rejected with INVENTORY_NOT_FOUND.
    const ghost = newItemId('ghost');
    const accepted = expectAccepted(
      await api.reserve({ inventoryId: ghost, quantity: 1, userId: 'u' }),
      ghost,
    );
    expect(await api.pollUntilDecided(accepted.statusUrl)).toMatchObject({
      status: 'rejected',
      reason: 'INVENTORY_NOT_FOUND',
    });
    expect((await api.get(`/inventory/${ghost}`)).status).toBe(404);
  }, 20_000);

  test('adjustments restock through the ordered path; a write-off beyond available is rejected', async () => {
    const inventoryId = newItemId('adjust');
    await api.createItem(inventoryId, 5);
    const hold = await reserveAndWait(inventoryId, 2);
    expect(hold.decided.status).toBe('held');

    const adjust = async (delta: number, reason: string) => {
      const res = await api.post<AcceptedView>(`/inventory/${inventoryId}/adjustments`, { delta, reason });
      expect(res.status).toBe(202);
      expect(res.headers.get('location')).toBe(res.body.statusUrl);
      expect(new URL(res.body.statusUrl).pathname).toBe(
        `/api/inventory/${inventoryId}/commands/${res.body.commandId}`,
      );
      return api.pollUntilDecided(res.body.statusUrl);
    };

    expect(await adjust(10, 'restock')).toMatchObject({ status: 'applied', reason: null, type: 'Adjust' });
    expect(await counters(inventoryId)).toEqual({ available: 13, reserved: 2, confirmed: 0 });

    // Held units are not available to write off: 14 > 13 available.
    expect(await adjust(-14, 'damaged')).toMatchObject({ status: 'rejected', reason: 'INSUFFICIENT_STOCK' });
    expect(await counters(inventoryId)).toEqual({ available: 13, reserved: 2, confirmed: 0 });

    expect(await adjust(-13, 'damaged')).toMatchObject({ status: 'applied' });
    expect(await counters(inventoryId)).toEqual({ available: 0, reserved: 2, confirmed: 0 });

    // With nothing available, the next reservation is rejected; the hold still stands.
    const late = await reserveAndWait(inventoryId, 1);
    expect(late.decided).toMatchObject({ status: 'rejected', reason: 'INSUFFICIENT_STOCK' });

    const kinds = (await api.ledger(inventoryId)).map((e) => e.kind);
    expect(kinds).toEqual([
      'ItemCreated',
      'ReservationHeld',
      'StockAdjusted',
      'AdjustmentRejected',
      'StockAdjusted',
      'ReservationRejected',
    ]);
    const summary = await checkItemLedger(inventoryId);
    expect(summary.stockIn).toBe(2);
  }, 20_000);
});
