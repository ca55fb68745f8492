import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { localSettings, startHost, type Host } from '../../src/local/host';
import {
  ApiClient,
  loopback,
  sleep,
  type AcceptedView,
  type ApiResponse,
  type LedgerEventView,
  type ProblemView,
  type StatusView,
} from '../support/http-client';
import { checkLedger, DECISION_KINDS } from './ledger-checks';

/** The whole flow through HTTP against the in-process host (HTTP server + dispatcher + SQLite). */

let host: Host;
let api: ApiClient;
let dataDir: string;
let itemCounter = 0;

/** A fresh item id per test, so the tests of this file do not see each other's stock. */
const newItemId = (label: string) => `flow-${label}-${++itemCounter}-${Date.now().toString(36)}`;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'e2e-flow-'));
  host = await startHost(localSettings({ dataDir }), () => undefined);
  api = new ApiClient(loopback(host.url));
}, 20_000);

afterAll(async () => {
  await host?.stop();
  rmSync(dataDir, { recursive: true, force: true });
}, 20_000);

/** Polls the item's ledger until it holds `count` decision events (bounded), then returns it. */
async function ledgerWithDecisions(
  inventoryId: string,
  count: number,
  deadlineMs = 20_000,
): Promise<LedgerEventView[]> {
  const deadline = Date.now() + deadlineMs;
  let events: LedgerEventView[] = [];
  while (Date.now() < deadline) {
    events = await api.ledger(inventoryId);
    const decided = events.filter((e) => DECISION_KINDS.has(e.kind)).length;
    if (decided >= count) return events;
    await sleep(50);
  }
  throw new Error(
    `${inventoryId}: ${count} decisions not recorded within ${deadlineMs} ms (ledger has ${events.length})`,
  );
}

function expectAccepted(res: ApiResponse<AcceptedView>, inventoryId: string): AcceptedView {
  if (res.status !== 202) throw new Error(`expected 202, got ${res.status}: ${res.text}`);
  expect(res.body).toMatchObject({ status: 'pending', inventoryId });
  expect(res.body.reservationId).toMatch(/^r-/);
  expect(res.headers.get('location')).toBe(res.body.statusUrl);
  expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  return res.body;
}

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

async function counters(inventoryId: string) {
  const { item } = await api.getItem(inventoryId);
  return { available: item.available, reserved: item.reserved, confirmed: item.confirmed };
}

async function checkItemLedger(inventoryId: string) {
  const { item } = await api.getItem(inventoryId);
  return checkLedger(item, await api.ledger(inventoryId));
}

describe('reservation flow (in-process host)', () => {
  test('200 concurrent requests for the last 50 units: exactly 50 held, 150 rejected, ledger consistent', async () => {
    const inventoryId = newItemId('hot');
    await api.createItem(inventoryId, 50);
    const responses = await Promise.all(
      Array.from({ length: 200 }, (_, i) => api.reserve({ inventoryId, quantity: 1, userId: `u${i}` })),
    );
    const accepted = responses.map((r) => expectAccepted(r, inventoryId));
    const ids = accepted.map((a) => a.reservationId ?? '');
    expect(new Set(ids).size).toBe(200);

    const events = await ledgerWithDecisions(inventoryId, 200);
    const { item } = await api.getItem(inventoryId);
    const summary = checkLedger(item, events);
    expect(summary.held).toBe(50);
    expect(summary.rejected).toBe(150);
    expect([...summary.decisions.keys()].sort()).toEqual([...ids].sort());
    expect(item).toMatchObject({ available: 0, reserved: 50, confirmed: 0, seq: 201 });
    expect(
      events.filter((e) => e.kind === 'ReservationRejected').every((e) => e.reason === 'INSUFFICIENT_STOCK'),
    ).toBe(true);

    // Every status resource agrees with the ledger.
    const statuses = await Promise.all(accepted.map((a) => api.get<StatusView>(a.statusUrl)));
    const byStatus = { held: 0, rejected: 0 };
    statuses.forEach((res, i) => {
      expect(res.status).toBe(200);
      const id = ids[i] ?? '';
      const kind = summary.decisions.get(id);
      if (res.body.status === 'held') {
        byStatus.held += 1;
        expect(kind).toBe('ReservationHeld');
        expect(res.body.reason).toBeNull();
      } else {
        byStatus.rejected += 1;
        expect(res.body).toMatchObject({ status: 'rejected', reason: 'INSUFFICIENT_STOCK' });
        expect(kind).toBe('ReservationRejected');
      }
    });
    expect(byStatus).toEqual({ held: 50, rejected: 150 });
    // And the paged listing by status.
    expect(await api.reservations(inventoryId, 'held', 7)).toHaveLength(50);
    expect(await api.reservations(inventoryId, 'rejected', 40)).toHaveLength(150);
  }, 45_000);

  test('20 items at once (stock 10, 30 requests each): exactly 10 held per item, no cross-talk', async () => {
    const items = Array.from({ length: 20 }, () => newItemId('many'));
    await Promise.all(items.map((id) => api.createItem(id, 10)));
    const requests = items.flatMap((inventoryId) =>
      Array.from({ length: 30 }, (_, i) => ({ inventoryId, quantity: 1, userId: `u${i}` })),
    );
    // Interleave the items so every session is contended at the same time.
    requests.sort((a, b) => Number(a.userId.slice(1)) - Number(b.userId.slice(1)));
    const responses = await Promise.all(requests.map((body) => api.reserve(body)));
    const idsByItem = new Map<string, string[]>(items.map((id) => [id, []]));
    responses.forEach((res, i) => {
      const inventoryId = requests[i]?.inventoryId ?? '';
      idsByItem.get(inventoryId)?.push(expectAccepted(res, inventoryId).reservationId ?? '');
    });

    for (const inventoryId of items) {
      const events = await ledgerWithDecisions(inventoryId, 30);
      const { item } = await api.getItem(inventoryId);
      const summary = checkLedger(item, events);
      expect({ id: inventoryId, held: summary.held, rejected: summary.rejected }).toEqual({
        id: inventoryId,
        held: 10,
        rejected: 20,
      });
      expect([...summary.decisions.keys()].sort()).toEqual([...(idsByItem.get(inventoryId) ?? [])].sort());
      expect(item).toMatchObject({ available: 0, reserved: 10, confirmed: 0 });
    }
  }, 50_000);

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

  test('a reservation retried with the same Idempotency-Key is created once, with the same answer every time', async () => {
    const inventoryId = newItemId('idem');
    await api.createItem(inventoryId, 10);
    const key = `key-${inventoryId}`;
    const body = { inventoryId, quantity: 2, userId: 'user-7', holdSeconds: 600 };
    const concurrent = await Promise.all([
      api.reserve(body, key),
      api.reserve(body, key),
      api.reserve(body, key),
    ]);
    const sequential = [await api.reserve(body, key)];
    // Key order in the JSON body does not make it a different request.
    sequential.push(await api.reserve({ holdSeconds: 600, userId: 'user-7', quantity: 2, inventoryId }, key));
    const all = [...concurrent, ...sequential];
    for (const res of all) expectAccepted(res, inventoryId);
    const first = all[0]?.body;
    for (const res of all) {
      expect(res.body).toEqual(first);
      expect(res.headers.get('location')).toBe(first?.statusUrl);
    }
    expect(all.filter((r) => r.headers.get('idempotent-replayed') !== 'true')).toHaveLength(1);

    const decided = await api.pollUntilDecided(first?.statusUrl ?? '');
    expect(decided).toMatchObject({ status: 'held', quantity: 2 });
    // Once more after the decision: still the same answer, still one reservation.
    const late = await api.reserve(body, key);
    expect(late.status).toBe(202);
    expect(late.body).toEqual(first);
    await sleep(200);
    const summary = await checkItemLedger(inventoryId);
    expect([...summary.decisions.keys()]).toEqual([first?.reservationId]);
    expect(await counters(inventoryId)).toEqual({ available: 8, reserved: 2, confirmed: 0 });
    expect(await api.reservations(inventoryId)).toHaveLength(1);

    // The same key with another body (or another target) is refused, and nothing is accepted.
    for (const other of [
      { ...body, quantity: 3 },
      { ...body, holdSeconds: 60 },
      { inventoryId, quantity: 2, userId: 'user-7' },
    ]) {
      const res = await api.reserve(other, key);
      expect(res.status).toBe(422);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect((res.body as unknown as ProblemView).errors?.map((e) => e.field)).toContain('Idempotency-Key');
    }
    const cancelWithKey = await api.post(
      `/inventory/${inventoryId}/reservations/${first?.reservationId}/cancel`,
      undefined,
      {
        'idempotency-key': key,
      },
    );
    expect(cancelWithKey.status).toBe(422);
    await sleep(200);
    expect(await api.reservations(inventoryId)).toHaveLength(1);
    expect((await api.getItem(inventoryId)).item.seq).toBe(2);

    // Confirm retried with its own key: one command id, applied once.
    const confirmKey = `confirm-${inventoryId}`;
    const confirms = await Promise.all(
      [0, 1, 2].map(() =>
        api.post<AcceptedView>(
          `/inventory/${inventoryId}/reservations/${first?.reservationId}/confirm`,
          undefined,
          {
            'idempotency-key': confirmKey,
          },
        ),
      ),
    );
    expect(new Set(confirms.map((r) => `${r.status} ${r.body.commandId}`)).size).toBe(1);
    expect(confirms[0]?.status).toBe(202);
    expect(await api.pollUntilDecided(confirms[0]?.body.statusUrl ?? '')).toMatchObject({
      status: 'applied',
    });
    await sleep(200);
    expect(await counters(inventoryId)).toEqual({ available: 8, reserved: 0, confirmed: 2 });
    const kinds = (await api.ledger(inventoryId)).map((e) => e.kind);
    expect(kinds).toEqual(['ItemCreated', 'ReservationHeld', 'ReservationConfirmed']);
  }, 30_000);

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
