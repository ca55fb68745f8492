import { sleep, type AcceptedView, type ApiClient, type ProblemView } from '../support/http-client';
import { expectAccepted, itemChecks, newItemId } from '../support/flow-steps';
import { useInProcessHost } from '../support/in-process-host';

/** Retried requests through HTTP against the in-process host: one Idempotency-Key, one command, one answer. */

let api: ApiClient;
useInProcessHost('e2e-flow-', (started) => {
  api = started.api;
});
const { counters, checkItemLedger } = itemChecks(() => api);

describe('reservation flow (in-process host)', () => {
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
});
