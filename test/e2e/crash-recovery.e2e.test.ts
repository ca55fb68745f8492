import { mkdtempSync, rmSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startHostProcess, type HostProcess } from '../support/host-process';
import {
  ApiClient,
  mapLimit,
  sleep,
  type AcceptedView,
  type LedgerEventView,
  type StatusView,
} from '../support/http-client';
import { checkLedger, DECISION_KINDS } from './ledger-checks';

/**
 * The compiled host is SIGKILLed in the middle of a burst of reservations and started again on the same
 * data folder: every 202 survives and is decided exactly once, nothing is oversold, and a retry of a request
 * that died with the connection (same Idempotency-Key) is answered and decided exactly once too.
 */

const ITEMS = ['crash-a', 'crash-b', 'crash-c', 'crash-d'];
const STOCK = 30;
const REQUESTS = 400;
const KILL_AFTER = 200;
const IN_FLIGHT = 64;

interface Attempt {
  index: number;
  body: { inventoryId: string; quantity: number; userId: string };
  /** Every other request carries an Idempotency-Key, so a failed one can be retried after the restart. */
  key: string | undefined;
  status?: number;
  accepted?: AcceptedView;
  error?: string;
}

let dataDir: string;
let host: HostProcess | undefined;

beforeAll(() => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'e2e-crash-'));
});

afterAll(async () => {
  await host?.stop('SIGKILL', 5_000);
  rmSync(dataDir, { recursive: true, force: true });
}, 15_000);

/** Polls an item's ledger until every id in `ids` has a decision event (bounded). */
async function ledgerCovering(
  api: ApiClient,
  inventoryId: string,
  ids: ReadonlySet<string>,
  deadline: number,
) {
  let events: LedgerEventView[] = [];
  let missing = ids.size;
  while (Date.now() < deadline) {
    events = await api.ledger(inventoryId);
    const decided = new Set(events.filter((e) => DECISION_KINDS.has(e.kind)).map((e) => e.reservationId));
    missing = [...ids].filter((id) => !decided.has(id)).length;
    if (missing === 0) return events;
    await sleep(100);
  }
  throw new Error(
    `${inventoryId}: ${missing} of ${ids.size} accepted reservations still undecided after restart`,
  );
}

test('SIGKILL mid-burst: every 202 is decided exactly once after restart, no oversell', async () => {
  host = await startHostProcess({ dataDir });
  let api = new ApiClient(host.url);
  for (const id of ITEMS) await api.createItem(id, STOCK);

  const attempts: Attempt[] = Array.from({ length: REQUESTS }, (_, index) => ({
    index,
    body: { inventoryId: ITEMS[index % ITEMS.length] ?? '', quantity: 1, userId: `user-${index}` },
    key: index % 2 === 0 ? `crash-key-${index}` : undefined,
  }));
  let accepted = 0;
  let killedAt = -1;
  const first = host;
  await mapLimit(attempts, IN_FLIGHT, async (attempt) => {
    try {
      const res = await api.reserve(attempt.body, attempt.key);
      attempt.status = res.status;
      if (res.status === 202) {
        attempt.accepted = res.body;
        accepted += 1;
        if (accepted === KILL_AFTER) {
          killedAt = Date.now();
          first.child.kill('SIGKILL');
        }
      }
    } catch (error) {
      attempt.error =
        error instanceof Error
          ? `${error.message} ${String((error as { cause?: unknown }).cause)}`
          : String(error);
    }
  });
  expect(killedAt).toBeGreaterThan(0);
  expect(await first.exited).toEqual({ code: null, signal: 'SIGKILL' });

  const ok = attempts.filter((a) => a.status === 202);
  const failed = attempts.filter((a) => a.error !== undefined);
  // Only 202s and dropped connections: never a 4xx or 5xx answer before the kill.
  expect(attempts.filter((a) => a.status !== undefined && a.status !== 202).map((a) => a.status)).toEqual([]);
  expect(ok.length).toBeGreaterThanOrEqual(KILL_AFTER);
  expect(failed.length).toBeGreaterThan(0); // the kill really landed mid-burst
  expect(ok.length + failed.length).toBe(REQUESTS);

  // Restart on the same data folder.
  host = await startHostProcess({ dataDir });
  api = new ApiClient(host.url);

  // Retry what died with the connection, where the request had a key: each is answered (202) now.
  const retried = failed.filter((a) => a.key !== undefined);
  let retriedReplays = 0;
  await mapLimit(retried, 16, async (attempt) => {
    const res = await api.reserve(attempt.body, attempt.key);
    expect(res.status).toBe(202);
    if (res.headers.get('idempotent-replayed') === 'true') retriedReplays += 1;
    attempt.status = 202;
    attempt.accepted = res.body;
  });
  // A keyed request that got its 202 before the crash gets the very same answer after it.
  const replayed = ok.filter((a) => a.key !== undefined).slice(0, 20);
  for (const attempt of replayed) {
    const res = await api.reserve(attempt.body, attempt.key);
    expect(res.status).toBe(202);
    expect(res.body.reservationId).toBe(attempt.accepted?.reservationId);
    expect(res.headers.get('idempotent-replayed')).toBe('true');
  }

  const known = attempts.filter((a) => a.accepted);
  expect(new Set(known.map((a) => a.accepted?.reservationId)).size).toBe(known.length);
  const unkeyedFailures = failed.filter((a) => a.key === undefined).length;
  const deadline = Date.now() + 30_000;
  let unknownDecided = 0;
  const decisions = new Map<string, string>();
  for (const inventoryId of ITEMS) {
    const ids = new Set(
      known.filter((a) => a.body.inventoryId === inventoryId).map((a) => a.accepted?.reservationId ?? ''),
    );
    const events = await ledgerCovering(api, inventoryId, ids, deadline);
    const { item } = await api.getItem(inventoryId);
    // Contiguous seq, replay = counters, conservation, and exactly one decision per reservation id.
    const summary = checkLedger(item, events);
    for (const id of ids) expect(summary.decisions.has(id)).toBe(true);
    for (const [id, kind] of summary.decisions) decisions.set(id, kind);
    unknownDecided += [...summary.decisions.keys()].filter((id) => !ids.has(id)).length;
    // No oversell, and no lost stock: every unit is held while enough requests were decided.
    expect(summary.held).toBeLessThanOrEqual(STOCK);
    expect(summary.held).toBe(Math.min(STOCK, summary.decisions.size));
    expect(item.available + item.reserved).toBe(STOCK);
    expect(item.reserved).toBe(summary.held);
    expect(
      events.filter((e) => e.kind === 'ReservationRejected').every((e) => e.reason === 'INSUFFICIENT_STOCK'),
    ).toBe(true);
  }
  // Requests without a key that died with the connection may or may not have been accepted.
  expect(unknownDecided).toBeLessThanOrEqual(unkeyedFailures);

  // Every status resource answers the decision the ledger recorded.
  const statuses = await mapLimit(known, 32, (a) =>
    api.get<StatusView>((a.accepted?.statusUrl ?? '').replace(/^https?:\/\/[^/]+\/api/, '')),
  );
  statuses.forEach((res, i) => {
    const id = known[i]?.accepted?.reservationId ?? '';
    expect(res.status).toBe(200);
    const want = decisions.get(id) === 'ReservationHeld' ? 'held' : 'rejected';
    expect({ id, status: res.body.status }).toEqual({ id, status: want });
  });

  // Still healthy after recovery; a clean stop exits 0.
  const health = await api.get<{ status: string }>('/health');
  expect(health.status).toBe(200);
  const stopped = await host.stop('SIGTERM', 10_000);
  expect(stopped).toEqual({ code: 0, signal: null });
  host = undefined;
  // The databases were closed, not abandoned: a clean close folds the write-ahead logs back and removes
  // them, and gives up the folder (the lock file stays, empty of a holder).
  expect(readdirSync(dataDir).sort()).toEqual(['host.lock', 'inventory.db', 'queue.db']);
  process.stdout.write(
    `crash-recovery: ${ok.length} accepted before the kill, ${failed.length} dropped (${retried.length} retried, ` +
      `${retriedReplays} of them already recorded), ` +
      `${unknownDecided} unkeyed dropped ones decided anyway\n`,
  );
}, 55_000);
