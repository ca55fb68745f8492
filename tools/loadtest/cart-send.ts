import { performance } from 'node:perf_hooks';
import type { LoadTestOptions } from './args';
import { type ApiClient, NetworkError } from './client';
import { createSampler, type Sampler, seededRandom } from './distribution';
import type { Progress } from './progress';
import { type ReserveOptions, sendAll } from './reserve';

/** One line of a cart as sent; the reservation id comes from the 202. */
export interface CartLineRecord {
  inventoryId: string;
  quantity: number;
  reservationId?: string;
}

/** One cart request as the client saw it. Times are ms since the load phase started. */
export interface CartRecord {
  index: number;
  scheduledMs: number;
  startedMs: number;
  doneMs: number;
  /** HTTP status, or 0 for a transport failure. */
  status: number;
  /** Network error code, or the problem's title, for anything but 202. */
  error?: string;
  lines: CartLineRecord[];
  cartId?: string;
  /** Server time of the 202. */
  acceptedAt?: string;
  expiresAt?: string;
}

interface AcceptedCartBody {
  cartId?: string;
  acceptedAt?: string;
  expiresAt?: string | null;
  lines?: { inventoryId: string; quantity: number; reservationId: string }[];
  title?: string;
}

/** The reservations' load, in carts (which always carry keys of their own). */
type CartOptions = Omit<ReserveOptions, 'runId' | 'idempotencyKeys'> & Pick<LoadTestOptions, 'cartLines'>;

/**
 * Draws `n` distinct item indexes out of `items`: from `sample` (the run's distribution) while it keeps
 * yielding new ones, then, once it has repeated itself for a while (hot: always item 0; a steep zipf),
 * uniformly among the items not drawn yet.
 */
export function drawDistinct(sample: Sampler, random: () => number, items: number, n: number): number[] {
  if (!Number.isInteger(n) || n < 1 || n > items)
    throw new Error(`cannot draw ${n} distinct of ${items} items`);
  const chosen = new Set<number>();
  for (let tries = 0; chosen.size < n && tries < 10 * n + 10; tries++) chosen.add(sample());
  while (chosen.size < n) chosen.add(Math.min(items - 1, Math.floor(random() * items)));
  return [...chosen];
}

/** The items of every cart, in request order: `cartLines` distinct items each, seeded like single reservations. */
export function planCarts(
  options: Pick<CartOptions, 'requests' | 'distribution' | 'zipfSkew' | 'seed'> & { cartLines: number },
  itemIds: readonly string[],
): string[][] {
  const sample = createSampler(options.distribution, itemIds.length, options.seed, options.zipfSkew);
  const random = seededRandom((options.seed ^ 0x9e3779b9) >>> 0);
  return Array.from({ length: options.requests }, () =>
    drawDistinct(sample, random, itemIds.length, options.cartLines).map((i) => itemIds[i] as string),
  );
}

/** Sends the carts, open or closed loop exactly as single reservations are sent. */
export async function sendCarts(
  client: ApiClient,
  options: CartOptions,
  itemIds: readonly string[],
  progress: Progress,
): Promise<{ records: CartRecord[]; startedAt: number; durationMs: number }> {
  const plans = planCarts({ ...options, cartLines: options.cartLines ?? 1 }, itemIds);
  return sendAll(options, (index, scheduledMs, t0) => {
    const lines = (plans[index] ?? []).map((inventoryId) => ({ inventoryId, quantity: options.quantity }));
    return cartOne(client, options, { index, lines, scheduledMs }, t0, progress);
  });
}

/** One POST /carts, recorded with its times relative to `t0`, whatever the outcome. */
async function cartOne(
  client: ApiClient,
  options: Pick<LoadTestOptions, 'holdSeconds'>,
  request: { index: number; lines: CartLineRecord[]; scheduledMs: number },
  t0: number,
  progress: Progress,
): Promise<CartRecord> {
  const { index, lines, scheduledMs } = request;
  const startedMs = performance.now() - t0;
  const body = {
    userId: `lt-user-${index % 997}`,
    lines: lines.map((l) => ({ inventoryId: l.inventoryId, quantity: l.quantity })),
    ...(options.holdSeconds !== undefined ? { holdSeconds: options.holdSeconds } : {}),
  };
  progress.sent++;
  try {
    const res = await client.request<AcceptedCartBody>('POST', '/carts', body);
    const record: CartRecord = {
      index,
      scheduledMs,
      startedMs,
      doneMs: performance.now() - t0,
      status: res.status,
      lines,
    };
    if (res.status === 202 && res.body.cartId) {
      const ids = new Map((res.body.lines ?? []).map((l) => [l.inventoryId, l.reservationId]));
      record.lines = lines.map((l) => {
        const reservationId = ids.get(l.inventoryId);
        return reservationId ? { ...l, reservationId } : l;
      });
      record.cartId = res.body.cartId;
      if (res.body.acceptedAt) record.acceptedAt = res.body.acceptedAt;
      if (res.body.expiresAt) record.expiresAt = res.body.expiresAt;
      progress.accepted++;
    } else {
      record.error = res.status === 202 ? 'no cartId in 202' : (res.body.title ?? `HTTP ${res.status}`);
      progress.errors++;
    }
    return record;
  } catch (error) {
    const code = error instanceof NetworkError ? error.code : String(error);
    progress.errors++;
    return { index, scheduledMs, startedMs, doneMs: performance.now() - t0, status: 0, error: code, lines };
  }
}
