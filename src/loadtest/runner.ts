import { performance } from 'node:perf_hooks';
import type { LoadTestOptions } from './args';
import { ApiClient, mapLimit, NetworkError } from './client';
import { createSampler, shuffled } from './distribution';
import {
  type AcceptedSettle,
  checkInvariants,
  type ItemSnapshot,
  type ReservationListView,
  type Violation,
} from './invariants';
import { brief, collectItems, pollCommands, pollUntilDecided } from './poller';

/** Live counters the CLI shows while the run goes; the runner only ever writes them. */
export interface Progress {
  phase: 'setup' | 'reserve' | 'decide' | 'settle' | 'collect' | 'check' | 'done';
  total: number;
  sent: number;
  accepted: number;
  decided: number;
  errors: number;
  settleSent: number;
  settleDecided: number;
  collected: number;
  startedAt: number;
}

export function newProgress(total: number): Progress {
  return {
    phase: 'setup',
    total,
    sent: 0,
    accepted: 0,
    decided: 0,
    errors: 0,
    settleSent: 0,
    settleDecided: 0,
    collected: 0,
    startedAt: Date.now(),
  };
}

/** One reservation request as the client saw it. Times are ms since the load phase started. */
export interface ReserveRecord {
  index: number;
  inventoryId: string;
  scheduledMs: number;
  startedMs: number;
  doneMs: number;
  /** HTTP status, or 0 for a transport failure. */
  status: number;
  /** Network error code, or the problem's title, for anything but 202. */
  error?: string;
  reservationId?: string;
  commandId?: string;
  /** Server time of the 202. */
  acceptedAt?: string;
}

export interface SettleRecord extends Partial<AcceptedSettle> {
  inventoryId: string;
  reservationId: string;
  type: 'Confirm' | 'Cancel';
  status: number;
  error?: string;
  latencyMs: number;
}

export interface LoadTestRun {
  options: LoadTestOptions;
  itemIds: string[];
  /** Epoch ms of the load phase start, and its length (first send to last response). */
  loadStartedAt: number;
  loadDurationMs: number;
  reserves: ReserveRecord[];
  /** Final view of each accepted reservation's first decision (status as first seen decided). */
  decisions: Map<string, ReservationListView>;
  undecided: number;
  settles: SettleRecord[];
  settleUndecided: number;
  snapshots: ItemSnapshot[];
  violations: Violation[];
  finishedAt: number;
}

export function itemIdsFor(runId: string, items: number): string[] {
  return Array.from({ length: items }, (_, n) => `lt-${runId}-${n}`);
}

/** Creates (or resets, via If-Match) every item with the same stock. Throws when one cannot be set. */
export async function setupItems(
  client: ApiClient,
  ids: readonly string[],
  stock: number,
  parallel = 32,
): Promise<void> {
  await mapLimit(ids, parallel, async (id) => {
    const path = `/inventory/${encodeURIComponent(id)}`;
    const body = { available: stock, name: `load test ${id}` };
    let res = await client.request('PUT', path, body);
    if (res.status === 428) {
      const current = await client.request('GET', path);
      const etag = current.headers.etag;
      if (current.status !== 200 || typeof etag !== 'string')
        throw new Error(`GET ${path} answered ${current.status}`);
      res = await client.request('PUT', path, body, { 'if-match': etag });
    }
    if (res.status !== 201 && res.status !== 200) {
      throw new Error(`PUT ${path} answered ${res.status}: ${brief(res.body)}`);
    }
  });
}

interface AcceptedBody {
  reservationId?: string;
  commandId?: string;
  acceptedAt?: string;
  title?: string;
}

/**
 * Sends the reservations. Open loop (`rate`): request i is started at start + i/rate whether or not
 * earlier ones answered, and its latency counts from that scheduled time, so a slow server cannot
 * hide latency by slowing the client down. Closed loop (`concurrency`): that many in flight.
 */
export async function sendReservations(
  client: ApiClient,
  options: Pick<
    LoadTestOptions,
    'requests' | 'rate' | 'concurrency' | 'quantity' | 'holdSeconds' | 'distribution' | 'zipfSkew' | 'seed'
  >,
  itemIds: readonly string[],
  progress: Progress,
): Promise<{ records: ReserveRecord[]; startedAt: number; durationMs: number }> {
  const sample = createSampler(options.distribution, itemIds.length, options.seed, options.zipfSkew);
  const targets = Array.from({ length: options.requests }, () => itemIds[sample()] as string);
  const records = new Array<ReserveRecord>(options.requests);
  const t0 = performance.now();
  const startedAt = Date.now();
  let lastDone = 0;

  const fire = async (index: number, scheduledMs: number): Promise<void> => {
    const inventoryId = targets[index] as string;
    const startedMs = performance.now() - t0;
    const body = {
      inventoryId,
      quantity: options.quantity,
      userId: `lt-user-${index % 997}`,
      ...(options.holdSeconds !== undefined ? { holdSeconds: options.holdSeconds } : {}),
    };
    progress.sent++;
    let record: ReserveRecord;
    try {
      const res = await client.request<AcceptedBody>('POST', '/reservations', body);
      const doneMs = performance.now() - t0;
      record = { index, inventoryId, scheduledMs, startedMs, doneMs, status: res.status };
      if (res.status === 202 && res.body.reservationId) {
        record.reservationId = res.body.reservationId;
        if (res.body.commandId) record.commandId = res.body.commandId;
        if (res.body.acceptedAt) record.acceptedAt = res.body.acceptedAt;
        progress.accepted++;
      } else {
        record.error =
          res.status === 202 ? 'no reservationId in 202' : (res.body.title ?? `HTTP ${res.status}`);
        progress.errors++;
      }
    } catch (error) {
      const doneMs = performance.now() - t0;
      const code = error instanceof NetworkError ? error.code : String(error);
      record = { index, inventoryId, scheduledMs, startedMs, doneMs, status: 0, error: code };
      progress.errors++;
    }
    lastDone = Math.max(lastDone, record.doneMs);
    records[index] = record;
  };

  if (options.rate !== undefined) {
    const rate = options.rate;
    const pending: Promise<void>[] = [];
    await new Promise<void>((resolve) => {
      let next = 0;
      const tick = () => {
        const now = performance.now() - t0;
        const due = Math.min(options.requests, Math.floor((now * rate) / 1000) + 1);
        while (next < due) {
          pending.push(fire(next, (next * 1000) / rate));
          next++;
        }
        if (next >= options.requests) resolve();
        else setTimeout(tick, Math.max(0, (next * 1000) / rate - (performance.now() - t0)));
      };
      tick();
    });
    await Promise.all(pending);
  } else {
    let next = 0;
    const worker = async () => {
      while (next < options.requests) {
        const index = next++;
        await fire(index, performance.now() - t0);
      }
    };
    await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 32, options.requests) }, worker));
  }
  return { records, startedAt, durationMs: lastDone };
}

/** Confirms and cancels a seeded random choice of the holds, `parallel` requests at a time. */
export async function sendSettles(
  client: ApiClient,
  held: readonly { inventoryId: string; reservationId: string }[],
  options: Pick<LoadTestOptions, 'confirmFraction' | 'cancelFraction' | 'seed' | 'concurrency'>,
  progress: Progress,
): Promise<SettleRecord[]> {
  const order = shuffled(
    [...held].sort((a, b) => a.reservationId.localeCompare(b.reservationId)),
    (options.seed + 1) >>> 0,
  );
  const confirms = Math.round(order.length * options.confirmFraction);
  const cancels = Math.min(order.length - confirms, Math.round(order.length * options.cancelFraction));
  const plan = order
    .slice(0, confirms + cancels)
    .map((h, i) => ({ ...h, type: i < confirms ? ('Confirm' as const) : ('Cancel' as const) }));
  return mapLimit(plan, Math.max(1, Math.min(options.concurrency ?? 64, 256)), async (p) => {
    const path = `/inventory/${encodeURIComponent(p.inventoryId)}/reservations/${encodeURIComponent(p.reservationId)}/${p.type.toLowerCase()}`;
    const t = performance.now();
    progress.settleSent++;
    try {
      const res = await client.request<{ commandId?: string; title?: string }>('POST', path);
      const latencyMs = performance.now() - t;
      if (res.status === 202 && res.body.commandId) {
        return { ...p, status: res.status, commandId: res.body.commandId, latencyMs };
      }
      progress.errors++;
      return { ...p, status: res.status, error: res.body.title ?? `HTTP ${res.status}`, latencyMs };
    } catch (error) {
      progress.errors++;
      const code = error instanceof NetworkError ? error.code : String(error);
      return { ...p, status: 0, error: code, latencyMs: performance.now() - t };
    }
  });
}

/** The whole run: set up, load, wait for decisions, settle, collect, check. */
export async function runLoadTest(
  options: LoadTestOptions,
  progress = newProgress(options.requests),
): Promise<LoadTestRun> {
  const client = new ApiClient({
    baseUrl: options.url,
    key: options.key,
    maxSockets: options.maxSockets,
    timeoutMs: options.requestTimeout * 1000,
  });
  try {
    const itemIds = itemIdsFor(options.runId, options.items);
    progress.phase = 'setup';
    await setupItems(client, itemIds, options.stock);

    progress.phase = 'reserve';
    const load = await sendReservations(client, options, itemIds, progress);
    const deadline = Date.now() + options.decideTimeout * 1000;

    progress.phase = 'decide';
    const decisions = new Map<string, ReservationListView>();
    const outstanding = new Map<string, Set<string>>();
    for (const r of load.records) {
      if (!r.reservationId) continue;
      let set = outstanding.get(r.inventoryId);
      if (!set) outstanding.set(r.inventoryId, (set = new Set()));
      set.add(r.reservationId);
    }
    const left = await pollUntilDecided(client, {
      outstanding,
      deadline,
      onDecided: (view) => {
        decisions.set(view.reservationId, view);
        progress.decided++;
      },
    });
    const undecided = count(left);

    let settles: SettleRecord[] = [];
    let settleUndecided = 0;
    if (options.confirmFraction + options.cancelFraction > 0) {
      progress.phase = 'settle';
      const held = load.records
        .filter((r) => r.reservationId && decisions.get(r.reservationId)?.status === 'held')
        .map((r) => ({ inventoryId: r.inventoryId, reservationId: r.reservationId as string }));
      settles = await sendSettles(client, held, options, progress);
      const settleDeadline = Date.now() + options.decideTimeout * 1000;
      const waiting = new Map<string, Set<string>>();
      const byReservation = new Map<string, SettleRecord>();
      for (const s of settles) {
        if (!s.commandId) continue;
        byReservation.set(s.reservationId, s);
        let set = waiting.get(s.inventoryId);
        if (!set) waiting.set(s.inventoryId, (set = new Set()));
        set.add(s.reservationId);
      }
      // A confirmed or cancelled reservation answers for its command; any other status (an expired
      // hold) cannot tell whether the command was decided yet, so those are asked one by one.
      const ambiguous: SettleRecord[] = [];
      const settleLeft = await pollUntilDecided(client, {
        outstanding: waiting,
        deadline: settleDeadline,
        isDecided: (view) => view.status !== 'held',
        onDecided: (view) => {
          const s = byReservation.get(view.reservationId);
          if (s && view.status !== 'confirmed' && view.status !== 'cancelled') ambiguous.push(s);
          else progress.settleDecided++;
        },
      });
      const ambiguousLeft = await pollCommands(
        client,
        ambiguous.map((s) => ({ inventoryId: s.inventoryId, commandId: s.commandId as string })),
        settleDeadline,
      );
      progress.settleDecided += ambiguous.length - ambiguousLeft;
      settleUndecided = count(settleLeft) + ambiguousLeft;
    }

    progress.phase = 'collect';
    const touched = new Set(load.records.map((r) => r.inventoryId));
    const snapshots = await collectItems(
      client,
      itemIds.filter((id) => touched.has(id) || options.items <= 10_000),
      16,
      () => progress.collected++,
    );

    progress.phase = 'check';
    const violations = checkInvariants({
      items: snapshots,
      accepted: load.records.flatMap((r) =>
        r.reservationId ? [{ inventoryId: r.inventoryId, reservationId: r.reservationId }] : [],
      ),
      settles: settles.flatMap((s) =>
        s.commandId
          ? [
              {
                inventoryId: s.inventoryId,
                reservationId: s.reservationId,
                commandId: s.commandId,
                type: s.type,
              },
            ]
          : [],
      ),
      initialStock: Object.fromEntries(snapshots.map((s) => [s.inventoryId, options.stock])),
    });
    progress.phase = 'done';
    return {
      options,
      itemIds,
      loadStartedAt: load.startedAt,
      loadDurationMs: load.durationMs,
      reserves: load.records,
      decisions,
      undecided,
      settles,
      settleUndecided,
      snapshots,
      violations,
      finishedAt: Date.now(),
    };
  } finally {
    client.close();
  }
}

function count(map: Map<string, Set<string>>): number {
  let n = 0;
  for (const set of map.values()) n += set.size;
  return n;
}
