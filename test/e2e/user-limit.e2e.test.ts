import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startHostProcess, type HostProcess } from '../support/host-process';
import { ApiClient, mapLimit, type AcceptedView, type StatusView } from '../support/http-client';
import { checkLedger } from './ledger-checks';

/**
 * A per-user limit holds under concurrency and across a crash: 50 reservations of one user fired at once
 * against `maxPerUser: 3` hold exactly 3, on the compiled host with its consumer thread, and the same when
 * the host is SIGKILLed mid-burst and the dropped requests are retried with their Idempotency-Keys.
 */

const LIMIT = 3;
const BURST = 50;
let dataDir: string;
let host: HostProcess | undefined;

beforeAll(() => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'e2e-limit-'));
});

afterAll(async () => {
  await host?.stop('SIGKILL', 5_000);
  rmSync(dataDir, { recursive: true, force: true });
}, 15_000);

async function limitedItem(api: ApiClient, inventoryId: string): Promise<void> {
  const res = await api.put(`/inventory/${inventoryId}`, { available: 100, maxPerUser: LIMIT });
  expect(res.status).toBe(201);
  expect(res.body).toMatchObject({ maxPerUser: LIMIT });
}

/** Waits until every accepted reservation is decided; answers the statuses and reasons. */
async function decisions(api: ApiClient, accepted: readonly AcceptedView[]): Promise<StatusView[]> {
  return mapLimit(accepted, 16, (a) =>
    api.pollUntilDecided(a.statusUrl, { deadlineMs: 30_000, intervalMs: 50 }),
  );
}

async function expectExactlyTheLimit(api: ApiClient, inventoryId: string, decided: StatusView[]) {
  expect(decided.filter((d) => d.status === 'held')).toHaveLength(LIMIT);
  const rejected = decided.filter((d) => d.status === 'rejected');
  expect(rejected.every((d) => d.reason === 'USER_LIMIT_EXCEEDED')).toBe(true);
  const { item } = await api.getItem(inventoryId);
  expect(item).toMatchObject({ available: 100 - LIMIT, reserved: LIMIT });
  checkLedger(item, await api.ledger(inventoryId));
}

test(`${BURST} concurrent reservations of one user against maxPerUser ${LIMIT} hold exactly ${LIMIT}`, async () => {
  host = await startHostProcess({ dataDir });
  const api = new ApiClient(host.url);
  await limitedItem(api, 'limit-a');
  const answers = await mapLimit(Array.from({ length: BURST }), BURST, () =>
    api.reserve({ inventoryId: 'limit-a', quantity: 1, userId: 'greedy' }),
  );
  expect(answers.map((a) => a.status)).toEqual(Array(BURST).fill(202));
  await expectExactlyTheLimit(
    api,
    'limit-a',
    await decisions(
      api,
      answers.map((a) => a.body),
    ),
  );
  // Another user is not held back by the first one's allowance.
  const other = await api.reserve({ inventoryId: 'limit-a', quantity: LIMIT, userId: 'someone-else' });
  expect((await api.pollUntilDecided(other.body.statusUrl)).status).toBe('held');
}, 60_000);

test('the same holds when the host is SIGKILLed mid-burst and dropped requests are retried', async () => {
  host ??= await startHostProcess({ dataDir });
  let api = new ApiClient(host.url);
  await limitedItem(api, 'limit-b');
  const first = host;
  let accepted = 0;
  const attempts = await mapLimit(
    Array.from({ length: BURST }, (_, i) => `limit-key-${i}`),
    8, // a few at a time, so the kill lands between answers
    async (key) => {
      try {
        const res = await api.reserve({ inventoryId: 'limit-b', quantity: 1, userId: 'greedy' }, key);
        if (res.status === 202 && ++accepted === BURST / 2) first.child.kill('SIGKILL');
        return { key, accepted: res.status === 202 ? res.body : undefined };
      } catch {
        return { key, accepted: undefined };
      }
    },
  );
  expect(await first.exited).toEqual({ code: null, signal: 'SIGKILL' });
  expect(attempts.some((a) => !a.accepted)).toBe(true); // the kill landed mid-burst

  host = await startHostProcess({ dataDir });
  api = new ApiClient(host.url);
  const all = await mapLimit(attempts, 16, async (a) => {
    const res = await api.reserve({ inventoryId: 'limit-b', quantity: 1, userId: 'greedy' }, a.key);
    expect(res.status).toBe(202);
    if (a.accepted) expect(res.body.reservationId).toBe(a.accepted.reservationId);
    return res.body;
  });
  await expectExactlyTheLimit(api, 'limit-b', await decisions(api, all));
}, 90_000);
