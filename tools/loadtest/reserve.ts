import { performance } from 'node:perf_hooks';
import type { LoadTestOptions } from './args';
import { type ApiClient, NetworkError } from './client';
import { createSampler } from './distribution';
import type { Progress } from './progress';

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

interface AcceptedBody {
  reservationId?: string;
  commandId?: string;
  acceptedAt?: string;
  title?: string;
}

export type ReserveOptions = Pick<
  LoadTestOptions,
  | 'requests'
  | 'rate'
  | 'concurrency'
  | 'quantity'
  | 'holdSeconds'
  | 'distribution'
  | 'zipfSkew'
  | 'seed'
  | 'runId'
  | 'idempotencyKeys'
>;

/** Starts request `index`, scheduled at `scheduledMs` after the load phase started. */
export type Fire = (index: number, scheduledMs: number) => Promise<void>;

/**
 * Sends the reservations. Open loop (`rate`): request i is started at start + i/rate whether or not
 * earlier ones answered, and its latency counts from that scheduled time, so a slow server cannot
 * hide latency by slowing the client down. Closed loop (`concurrency`): that many in flight.
 */
export async function sendReservations(
  client: ApiClient,
  options: ReserveOptions,
  itemIds: readonly string[],
  progress: Progress,
): Promise<{ records: ReserveRecord[]; startedAt: number; durationMs: number }> {
  const sample = createSampler(options.distribution, itemIds.length, options.seed, options.zipfSkew);
  const targets = Array.from({ length: options.requests }, () => itemIds[sample()] as string);
  return sendAll(options, (index, scheduledMs, t0) =>
    reserveOne(client, options, { index, inventoryId: targets[index] as string, scheduledMs }, t0, progress),
  );
}

/**
 * Starts every request open or closed loop as the options say and keeps each one's record; `one` sends
 * request `index` (scheduled `scheduledMs` after `t0`) and answers its record, whatever the outcome.
 */
export async function sendAll<R extends { doneMs: number }>(
  options: Pick<LoadTestOptions, 'requests' | 'rate' | 'concurrency'>,
  one: (index: number, scheduledMs: number, t0: number) => Promise<R>,
): Promise<{ records: R[]; startedAt: number; durationMs: number }> {
  const records = new Array<R>(options.requests);
  const t0 = performance.now();
  const startedAt = Date.now();
  let lastDone = 0;
  const fire: Fire = async (index, scheduledMs) => {
    const record = await one(index, scheduledMs, t0);
    lastDone = Math.max(lastDone, record.doneMs);
    records[index] = record;
  };
  if (options.rate !== undefined) await openLoop(options.requests, options.rate, t0, fire);
  else await closedLoop(options.requests, options.concurrency ?? 32, t0, fire);
  return { records, startedAt, durationMs: lastDone };
}

/** One POST /reservations, recorded with its times relative to `t0`, whatever the outcome. */
async function reserveOne(
  client: ApiClient,
  options: Pick<LoadTestOptions, 'quantity' | 'holdSeconds' | 'runId' | 'idempotencyKeys'>,
  request: { index: number; inventoryId: string; scheduledMs: number },
  t0: number,
  progress: Progress,
): Promise<ReserveRecord> {
  const { index, inventoryId, scheduledMs } = request;
  const startedMs = performance.now() - t0;
  const body = {
    inventoryId,
    quantity: options.quantity,
    userId: `lt-user-${index % 997}`,
    ...(options.holdSeconds !== undefined ? { holdSeconds: options.holdSeconds } : {}),
  };
  progress.sent++;
  try {
    const headers = options.idempotencyKeys ? { 'idempotency-key': `${options.runId}-${index}` } : {};
    const res = await client.request<AcceptedBody>('POST', '/reservations', body, headers);
    const doneMs = performance.now() - t0;
    const record: ReserveRecord = { index, inventoryId, scheduledMs, startedMs, doneMs, status: res.status };
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
    return record;
  } catch (error) {
    const doneMs = performance.now() - t0;
    const code = error instanceof NetworkError ? error.code : String(error);
    progress.errors++;
    return { index, inventoryId, scheduledMs, startedMs, doneMs, status: 0, error: code };
  }
}

/** Starts request i at t0 + i/rate, without waiting for earlier answers; resolves when all answered. */
export async function openLoop(requests: number, rate: number, t0: number, fire: Fire): Promise<void> {
  const pending: Promise<void>[] = [];
  await new Promise<void>((resolve) => {
    let next = 0;
    const tick = () => {
      const now = performance.now() - t0;
      const due = Math.min(requests, Math.floor((now * rate) / 1000) + 1);
      while (next < due) {
        pending.push(fire(next, (next * 1000) / rate));
        next++;
      }
      if (next >= requests) resolve();
      else setTimeout(tick, Math.max(0, (next * 1000) / rate - (performance.now() - t0)));
    };
    tick();
  });
  await Promise.all(pending);
}

/** Keeps `concurrency` requests in flight until all are sent; each is scheduled when it starts. */
export async function closedLoop(
  requests: number,
  concurrency: number,
  t0: number,
  fire: Fire,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < requests) {
      const index = next++;
      await fire(index, performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, requests) }, worker));
}
