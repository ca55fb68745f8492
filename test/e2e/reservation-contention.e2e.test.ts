import { sleep, type ApiClient, type LedgerEventView, type StatusView } from '../support/http-client';
import { expectAccepted, newItemId } from '../support/flow-steps';
import { useInProcessHost } from '../support/in-process-host';
import { checkLedger, DECISION_KINDS } from './ledger-checks';

/**
 * Contention through HTTP against the in-process host (HTTP server + dispatcher + SQLite): many requests
 * for the last units of one item, and many contended items at once.
 */

let api: ApiClient;
useInProcessHost('e2e-flow-', (started) => {
  api = started.api;
});

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
});
