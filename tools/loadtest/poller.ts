import { type ApiClient, mapLimit, NetworkError, sleep } from './client';
import type { LoadTestOptions } from './args';
import type { CountersView, ItemSnapshot, LedgerEventView, ReservationListView } from './invariants';
import type { Progress } from './progress';

/**
 * Waits for decisions by listing each item's reservations page by page (one request per 1,000
 * reservations) instead of one status GET per reservation, and collects what the invariants need.
 */

interface Page<T> {
  items: T[];
  continuation: string | null;
}

const PAGE = 1000;

export class PollError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PollError';
  }
}

/** Every page of a listing; transient failures (network, 429, 5xx) are retried a few times. */
export async function listAll<T>(
  client: ApiClient,
  path: string,
  query: Record<string, string> = {},
): Promise<T[]> {
  const out: T[] = [];
  let continuation: string | null = null;
  do {
    const params = new URLSearchParams({ ...query, limit: String(PAGE) });
    if (continuation) params.set('continuation', continuation);
    const res = await getWithRetry<Page<T>>(client, `${path}?${params.toString()}`);
    if (res.status !== 200) throw new PollError(`GET ${path} answered ${res.status}: ${brief(res.body)}`);
    out.push(...res.body.items);
    continuation = res.body.continuation;
  } while (continuation);
  return out;
}

export async function getWithRetry<T>(client: ApiClient, path: string, attempts = 5) {
  for (let attempt = 1; ; attempt++) {
    try {
      const res = await client.request<T>('GET', path);
      if ((res.status === 429 || res.status >= 500) && attempt < attempts) {
        await sleep(200 * attempt);
        continue;
      }
      return res;
    } catch (error) {
      if (!(error instanceof NetworkError) || attempt >= attempts) throw error;
      await sleep(200 * attempt);
    }
  }
}

export interface PollOptions {
  /** inventoryId -> reservation ids still to be decided. */
  outstanding: Map<string, Set<string>>;
  /** When a listed reservation counts as decided (default: any status but pending). */
  isDecided?: (view: ReservationListView) => boolean;
  deadline: number;
  parallel?: number;
  intervalMs?: number;
  onDecided?: (view: ReservationListView, inventoryId: string) => void;
}

/** Polls until nothing is outstanding or the deadline (epoch ms) passes; returns what is still undecided. */
export async function pollUntilDecided(
  client: ApiClient,
  options: PollOptions,
): Promise<Map<string, Set<string>>> {
  const isDecided = options.isDecided ?? ((v) => v.status !== 'pending');
  const outstanding = options.outstanding;
  for (const [id, set] of outstanding) if (set.size === 0) outstanding.delete(id);
  while (outstanding.size > 0) {
    const round = [...outstanding.keys()];
    await mapLimit(round, options.parallel ?? 16, async (inventoryId) => {
      const wanted = outstanding.get(inventoryId);
      if (!wanted) return;
      const views = await listAll<ReservationListView>(
        client,
        `/inventory/${encodeURIComponent(inventoryId)}/reservations`,
      );
      for (const view of views) {
        if (wanted.has(view.reservationId) && isDecided(view)) {
          wanted.delete(view.reservationId);
          options.onDecided?.(view, inventoryId);
        }
      }
      if (wanted.size === 0) outstanding.delete(inventoryId);
    });
    if (outstanding.size === 0 || Date.now() >= options.deadline) break;
    await sleep(Math.min(options.intervalMs ?? 250, Math.max(0, options.deadline - Date.now())));
  }
  return outstanding;
}

/** Polls individual command resources (used only for the few whose reservation cannot tell). */
export async function pollCommands(
  client: ApiClient,
  commands: readonly { inventoryId: string; commandId: string }[],
  deadline: number,
): Promise<number> {
  let pending = [...commands];
  while (pending.length > 0) {
    const still: typeof pending = [];
    await mapLimit(pending, 16, async (c) => {
      const res = await getWithRetry<{ status?: string }>(
        client,
        `/inventory/${encodeURIComponent(c.inventoryId)}/commands/${encodeURIComponent(c.commandId)}`,
      );
      if (res.status !== 200 || res.body.status === 'pending') still.push(c);
    });
    pending = still;
    if (pending.length === 0 || Date.now() >= deadline) break;
    await sleep(250);
  }
  return pending.length;
}

/** Counters first, then reservations, then the ledger: the invariants rely on that order. */
export async function collectItem(client: ApiClient, inventoryId: string): Promise<ItemSnapshot> {
  const path = `/inventory/${encodeURIComponent(inventoryId)}`;
  const res = await getWithRetry<CountersView & { seq: number }>(client, path);
  const counters =
    res.status === 200
      ? {
          available: res.body.available,
          reserved: res.body.reserved,
          confirmed: res.body.confirmed,
          seq: res.body.seq,
        }
      : null;
  const reservations = await listAll<ReservationListView>(client, `${path}/reservations`);
  const ledger = await listAll<LedgerEventView>(client, `${path}/ledger`);
  return { inventoryId, counters, reservations, ledger };
}

export function collectItems(
  client: ApiClient,
  inventoryIds: readonly string[],
  parallel = 16,
  onItem?: () => void,
): Promise<ItemSnapshot[]> {
  return mapLimit(inventoryIds, parallel, async (id) => {
    const snapshot = await collectItem(client, id);
    onItem?.();
    return snapshot;
  });
}

/** Every item a request went to (and, up to 10,000 items, every other one too). */
export function collectTouched(
  client: ApiClient,
  options: Pick<LoadTestOptions, 'items'>,
  itemIds: readonly string[],
  records: readonly { inventoryId: string }[],
  progress: Progress,
): Promise<ItemSnapshot[]> {
  const touched = new Set(records.map((r) => r.inventoryId));
  return collectItems(
    client,
    itemIds.filter((id) => touched.has(id) || options.items <= 10_000),
    16,
    () => progress.collected++,
  );
}

export function brief(body: unknown): string {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return text.length > 300 ? `${text.slice(0, 300)}...` : text;
}
