import { readLedger } from '../../src/app/queries';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createCosmosStore } from '../../src/adapters/cosmos/client';
import type { InventoryItem } from '../../src/domain/model';
import { localSettings, startHost, type Host } from '../../src/local/host';
import { startCosmosServer, type CosmosTestServer } from '../support/cosmos-server';
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

/**
 * End to end with the Azure adapters: the one-machine host (HTTP server + session dispatcher) over the
 * Cosmos DB adapter, through the real @azure/cosmos SDK against @vercel/cosmosdb-server in this process.
 * The queue is the embedded one (the Service Bus adapter is covered in test/int).
 */

let cosmos: CosmosTestServer;
let host: Host;
let api: ApiClient;
let dataDir: string;
let itemCounter = 0;

const newItemId = (label: string) => `cosmos-${label}-${++itemCounter}-${Date.now().toString(36)}`;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'e2e-cosmos-'));
  cosmos = await startCosmosServer();
  host = await startHost(
    localSettings({
      dataDir,
      store: {
        kind: 'cosmos',
        endpoint: cosmos.endpoint,
        database: 'inventory',
        container: 'inventory',
        key: cosmos.key,
        createIfMissing: true,
      },
      queue: { kind: 'embedded' },
    }),
    () => undefined,
  );
  api = new ApiClient(loopback(host.url));
}, 20_000);

afterAll(async () => {
  await host?.stop();
  await cosmos?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
}, 20_000);

async function ledgerWithDecisions(
  inventoryId: string,
  count: number,
  deadlineMs = 25_000,
): Promise<LedgerEventView[]> {
  const deadline = Date.now() + deadlineMs;
  let events: LedgerEventView[] = [];
  while (Date.now() < deadline) {
    events = await api.ledger(inventoryId, 100);
    if (events.filter((e) => DECISION_KINDS.has(e.kind)).length >= count) return events;
    await sleep(100);
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

async function counters(inventoryId: string) {
  const { item } = await api.getItem(inventoryId);
  return { available: item.available, reserved: item.reserved, confirmed: item.confirmed };
}

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
  return api.pollUntilDecided(location, { deadlineMs: 15_000 });
}

describe('End to end with the Azure adapters (host over Cosmos DB SDK + cosmosdb-server)', () => {
  test('GET /api/health reports the Cosmos DB store and the queue ok', async () => {
    const res = await api.get<{
      status: string;
      checks: Record<string, { status: string; backend: string }>;
    }>('/health');
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('ok');
    // The kind only: /health is anonymous, so it never names the account's host.
    expect(res.body.checks.store).toEqual({ status: 'ok', backend: 'Cosmos DB' });
    expect(res.body.checks.queue?.status).toBe('ok');
    expect(JSON.stringify(res.body)).not.toContain(new URL(cosmos.endpoint).host);
  });

  test('60 concurrent requests for 20 units: exactly 20 held, 40 rejected, each decided once, ledger = counters', async () => {
    const inventoryId = newItemId('hot');
    await api.createItem(inventoryId, 20);
    const responses = await Promise.all(
      Array.from({ length: 60 }, (_, i) => api.reserve({ inventoryId, quantity: 1, userId: `u${i}` })),
    );
    const accepted = responses.map((r) => expectAccepted(r, inventoryId));
    const ids = accepted.map((a) => a.reservationId ?? '');
    expect(new Set(ids).size).toBe(60);

    const events = await ledgerWithDecisions(inventoryId, 60);
    const { item } = await api.getItem(inventoryId);
    // Replaying the ledger reproduces the counters; one decision per reservation id, none twice.
    const summary = checkLedger(item, events);
    expect(summary.held).toBe(20);
    expect(summary.rejected).toBe(40);
    expect([...summary.decisions.keys()].sort()).toEqual([...ids].sort());
    expect(item).toMatchObject({ available: 0, reserved: 20, confirmed: 0, seq: 61 });
    const rejections = events.filter((e) => e.kind === 'ReservationRejected');
    expect(rejections.every((e) => e.reason === 'INSUFFICIENT_STOCK')).toBe(true);

    // The status resources agree with the ledger.
    const statuses = await Promise.all(accepted.map((a) => api.get<StatusView>(a.statusUrl)));
    const tally = { held: 0, rejected: 0 };
    statuses.forEach((res, i) => {
      expect(res.status).toBe(200);
      const kind = summary.decisions.get(ids[i] ?? '');
      if (res.body.status === 'held') {
        tally.held += 1;
        expect(kind).toBe('ReservationHeld');
      } else {
        tally.rejected += 1;
        expect(res.body).toMatchObject({ status: 'rejected', reason: 'INSUFFICIENT_STOCK' });
        expect(kind).toBe('ReservationRejected');
      }
    });
    expect(tally).toEqual({ held: 20, rejected: 40 });
    expect(await api.reservations(inventoryId, 'held', 7)).toHaveLength(20);

    // The documents really live in the Cosmos DB container (read back through a store of its own).
    const direct = await createCosmosStore({
      endpoint: cosmos.endpoint,
      key: cosmos.key,
      database: 'inventory',
      container: 'inventory',
    });
    try {
      const stored = await direct.read<InventoryItem>(inventoryId, inventoryId);
      expect(stored?.doc).toMatchObject({
        type: 'inventory',
        available: 0,
        reserved: 20,
        confirmed: 0,
        seq: 61,
      });
      // Every event is in a ledger page on Cosmos DB, one page per committed batch, and they replay to the item.
      const events = await readLedger(direct, inventoryId);
      expect(events.map((e) => e.seq)).toEqual(Array.from({ length: 61 }, (_, i) => i + 1));
    } finally {
      await direct.close();
    }
  }, 40_000);

  test('confirm, cancel and a 1-second hold that expires each move the counters', async () => {
    const inventoryId = newItemId('life');
    await api.createItem(inventoryId, 10);
    const reserve = async (quantity: number, holdSeconds?: number) => {
      const accepted = expectAccepted(
        await api.reserve({
          inventoryId,
          quantity,
          userId: 'user-1',
          ...(holdSeconds ? { holdSeconds } : {}),
        }),
        inventoryId,
      );
      const decided = await api.pollUntilDecided(accepted.statusUrl, { deadlineMs: 15_000 });
      expect(decided).toMatchObject({ status: 'held', quantity });
      return accepted;
    };

    const a = await reserve(3);
    const b = await reserve(2);
    expect(await counters(inventoryId)).toEqual({ available: 5, reserved: 5, confirmed: 0 });

    expect(await settle(inventoryId, a.reservationId ?? '', 'confirm')).toMatchObject({ status: 'applied' });
    expect(await counters(inventoryId)).toEqual({ available: 5, reserved: 2, confirmed: 3 });
    expect((await api.get<StatusView>(a.statusUrl)).body.status).toBe('confirmed');

    expect(await settle(inventoryId, b.reservationId ?? '', 'cancel')).toMatchObject({ status: 'applied' });
    expect(await counters(inventoryId)).toEqual({ available: 7, reserved: 0, confirmed: 3 });
    expect((await api.get<StatusView>(b.statusUrl)).body.status).toBe('cancelled');

    const c = await reserve(4, 1);
    expect(await counters(inventoryId)).toEqual({ available: 3, reserved: 4, confirmed: 3 });
    await sleep(2_500);
    const expired = await api.pollUntil(c.statusUrl, (s) => s.status !== 'held', { deadlineMs: 5_000 });
    expect(expired).toMatchObject({ status: 'expired', reason: 'HOLD_EXPIRED' });
    expect(await counters(inventoryId)).toEqual({ available: 7, reserved: 0, confirmed: 3 });

    const events = await api.ledger(inventoryId);
    const summary = checkLedger((await api.getItem(inventoryId)).item, events);
    expect(summary.held).toBe(3);
    expect(events.map((e) => e.kind)).toEqual([
      'ItemCreated',
      'ReservationHeld',
      'ReservationHeld',
      'ReservationConfirmed',
      'ReservationCancelled',
      'ReservationHeld',
      'HoldExpired',
    ]);
    // The audit and the items listing run over Cosmos DB too (the listing is a cross-partition query).
    const audit = await api.get<{ status: string; checked: object }>(`/inventory/${inventoryId}/audit`);
    expect(audit.body).toMatchObject({
      status: 'consistent',
      checked: { events: 7, reservations: 3, tallies: 0 },
    });
    const listed = await api.get<{ items: { inventoryId: string }[] }>('/inventory?limit=1000');
    expect(listed.body.items.map((i) => i.inventoryId)).toContain(inventoryId);
  }, 30_000);

  test('a request retried with the same Idempotency-Key yields one reservation', async () => {
    const inventoryId = newItemId('idem');
    await api.createItem(inventoryId, 10);
    const key = `key-${inventoryId}`;
    const body = { inventoryId, quantity: 2, userId: 'user-7', holdSeconds: 600 };
    const concurrent = await Promise.all([api.reserve(body, key), api.reserve(body, key)]);
    const later = await api.reserve(body, key);
    const all = [...concurrent, later];
    for (const res of all) expectAccepted(res, inventoryId);
    const first = all[0]?.body;
    for (const res of all) expect(res.body).toEqual(first);
    expect(all.filter((r) => r.headers.get('idempotent-replayed') !== 'true')).toHaveLength(1);

    expect(await api.pollUntilDecided(first?.statusUrl ?? '', { deadlineMs: 15_000 })).toMatchObject({
      status: 'held',
      quantity: 2,
    });
    // A retry after the decision: the same answer, and the resent command is absorbed as a duplicate.
    const late = await api.reserve(body, key);
    expect(late.status).toBe(202);
    expect(late.body).toEqual(first);
    await sleep(500);
    const events = await api.ledger(inventoryId);
    const summary = checkLedger((await api.getItem(inventoryId)).item, events);
    expect([...summary.decisions.keys()]).toEqual([first?.reservationId]);
    expect(events.map((e) => e.kind)).toEqual(['ItemCreated', 'ReservationHeld']);
    expect(await counters(inventoryId)).toEqual({ available: 8, reserved: 2, confirmed: 0 });
    expect(await api.reservations(inventoryId)).toHaveLength(1);
  }, 30_000);

  test('admin PUT with a stale If-Match is 412 and changes nothing', async () => {
    const inventoryId = newItemId('admin');
    const created = await api.createItem(inventoryId, 10, 'Widget');
    expect(created.etag).not.toBe('');
    expect((await api.getItem(inventoryId)).etag).toBe(created.etag);

    // The consumer's write (a hold) changes the ETag: the admin's copy is stale.
    const accepted = expectAccepted(
      await api.reserve({ inventoryId, quantity: 3, userId: 'u' }),
      inventoryId,
    );
    expect(await api.pollUntilDecided(accepted.statusUrl, { deadlineMs: 15_000 })).toMatchObject({
      status: 'held',
    });
    const current = await api.getItem(inventoryId);
    expect(current.etag).not.toBe(created.etag);

    const stale = await api.put<ProblemView>(
      `/inventory/${inventoryId}`,
      { available: 50 },
      { 'if-match': created.etag },
    );
    expect(stale.status).toBe(412);
    expect(stale.headers.get('content-type')).toContain('application/problem+json');
    expect(stale.body.errors?.map((e) => e.field)).toContain('If-Match');
    expect(await counters(inventoryId)).toEqual({ available: 7, reserved: 3, confirmed: 0 });
    expect((await api.getItem(inventoryId)).etag).toBe(current.etag);

    // With the current ETag the replace goes through (a StockSet event keeps the ledger consistent).
    const replaced = await api.put(
      `/inventory/${inventoryId}`,
      { available: 20 },
      { 'if-match': current.etag },
    );
    expect(replaced.status).toBe(200);
    expect(await counters(inventoryId)).toEqual({ available: 20, reserved: 3, confirmed: 0 });
    checkLedger((await api.getItem(inventoryId)).item, await api.ledger(inventoryId));
  }, 20_000);
});
