import { performance } from 'node:perf_hooks';
import type { LoadTestOptions } from './args';
import { type ApiClient, mapLimit, NetworkError } from './client';
import { shuffled } from './distribution';
import type { AcceptedSettle } from './invariants';
import { pollCommands, pollUntilDecided } from './poller';
import type { Progress } from './progress';

export interface SettleRecord extends Partial<AcceptedSettle> {
  inventoryId: string;
  reservationId: string;
  type: 'Confirm' | 'Cancel';
  status: number;
  error?: string;
  latencyMs: number;
}

export interface Hold {
  inventoryId: string;
  reservationId: string;
}

/** Confirms and cancels a seeded random choice of the holds, `parallel` requests at a time. */
export async function sendSettles(
  client: ApiClient,
  held: readonly Hold[],
  options: Pick<LoadTestOptions, 'confirmFraction' | 'cancelFraction' | 'seed' | 'concurrency'>,
  progress: Progress,
): Promise<SettleRecord[]> {
  const plan = chooseSettles(held, (h) => h.reservationId, options);
  return mapLimit(plan, settleParallel(options), async (p) => {
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

/**
 * A seeded random choice of the holds (ordered by `id` first, so the seed alone decides): the first
 * `confirmFraction` of them to confirm, the next `cancelFraction` to cancel.
 */
export function chooseSettles<T extends object>(
  held: readonly T[],
  id: (h: T) => string,
  options: Pick<LoadTestOptions, 'confirmFraction' | 'cancelFraction' | 'seed'>,
): (T & { type: 'Confirm' | 'Cancel' })[] {
  const order = shuffled(
    [...held].sort((a, b) => id(a).localeCompare(id(b))),
    (options.seed + 1) >>> 0,
  );
  const confirms = Math.round(order.length * options.confirmFraction);
  const cancels = Math.min(order.length - confirms, Math.round(order.length * options.cancelFraction));
  return order
    .slice(0, confirms + cancels)
    .map((h, i) => ({ ...h, type: i < confirms ? ('Confirm' as const) : ('Cancel' as const) }));
}

/** Confirms and cancels in flight at once: the load's concurrency, within 1..256. */
export function settleParallel(options: Pick<LoadTestOptions, 'concurrency'>): number {
  return Math.max(1, Math.min(options.concurrency ?? 64, 256));
}

/**
 * Waits until every accepted confirm or cancel is decided, or `deadline` (epoch ms) passes.
 * Returns how many are still undecided.
 */
export async function awaitSettles(
  client: ApiClient,
  settles: readonly SettleRecord[],
  deadline: number,
  progress: Progress,
): Promise<number> {
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
    deadline,
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
    deadline,
  );
  progress.settleDecided += ambiguous.length - ambiguousLeft;
  return countOutstanding(settleLeft) + ambiguousLeft;
}

/** How many reservations a map of outstanding ids (by item) still holds. */
export function countOutstanding(map: Map<string, Set<string>>): number {
  let n = 0;
  for (const set of map.values()) n += set.size;
  return n;
}
