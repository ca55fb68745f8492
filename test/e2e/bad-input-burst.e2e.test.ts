import { ALL_CASES, long, VALID, type Case } from '../support/bad-input-cases';
import { expectProblem, useBadInputHost } from '../support/bad-input-host';

/**
 * Bad input in bulk through HTTP against the in-process host: a concurrent burst is refused without a 5xx
 * and enqueues nothing, and the host keeps serving valid requests afterwards.
 */

const suite = useBadInputHost();
const { footprint, send } = suite;

describe('bad input (in-process host)', () => {
  test('a burst of concurrent bad requests enqueues nothing and never gets a 5xx', async () => {
    const before = await footprint();
    const burst = Array.from({ length: 150 }, (_, i) => ALL_CASES[(i * 7) % ALL_CASES.length] as Case);
    const responses = await Promise.all(burst.map((c) => send(c)));
    responses.forEach((res, i) => expectProblem(res, burst[i] as Case));
    expect(await footprint()).toEqual(before);
  }, 20_000);

  test('the host keeps serving: a valid reservation afterwards is accepted and decided', async () => {
    const before = await footprint();
    const health = await suite.api.get<{ status: string }>('/health');
    expect(health.status).toBe(200);
    expect(health.body.status).toBe('ok');
    const res = await suite.api.reserve({ ...VALID, userId: long(128) }, long(255));
    expect(res.status).toBe(202);
    const decided = await suite.api.pollUntilDecided(res.body.statusUrl);
    expect(decided).toMatchObject({ status: 'held', quantity: 1 });
    const after = await footprint();
    expect(after.sends).toBeGreaterThan(before.sends);
    expect(after.seq).toBe(before.seq + 1);
    expect(after.reservations).toBe(before.reservations + 1);
    expect(after.deadLettered).toBe(0);
  }, 15_000);
});
