import type { LoadTestOptions } from './args';
import { checkCarts, type CartView, type CheckedCart } from './cart-checks';
import {
  type CartSettleRecord,
  isCartDecided,
  isCartFinal,
  isCartSettled,
  pollCarts,
  readCart,
  type SeenCart,
  sendCartSettles,
} from './cart-poll';
import { type CartRecord, sendCarts } from './cart-send';
import { type ApiClient, mapLimit, sleep } from './client';
import { measureClient } from './client-usage';
import type { ItemSnapshot, Violation } from './invariants';
import { collectItems, collectTouched } from './poller';
import type { Progress } from './progress';
import type { ReserveRecord } from './reserve';
import type { LoadPhases } from './runner';

/** Cart mode: what the cart requests, their decisions and their confirms and cancels came to. */
export interface CartRun {
  records: CartRecord[];
  /** The first decided (not pending) view of each accepted cart, and when it was read. */
  decided: Map<string, SeenCart>;
  undecided: number;
  settles: CartSettleRecord[];
  /** The first confirmed/cancelled/expired view of each cart with an accepted confirm or cancel. */
  settled: Map<string, SeenCart>;
  settleUndecided: number;
  /** Each accepted cart as read at the end, before its items were collected (null: unreadable). */
  final: Map<string, CartView | null>;
}

/** Carts: load, wait until every cart is decided, confirm/cancel a share of the held ones, collect. */
export async function runCartPhases(
  client: ApiClient,
  options: LoadTestOptions,
  itemIds: readonly string[],
  progress: Progress,
): Promise<LoadPhases> {
  progress.phase = 'reserve';
  const { value: load, client: usage } = await measureClient(() =>
    sendCarts(client, options, itemIds, progress),
  );
  const acceptedIds = load.records.flatMap((r) => (r.cartId ? [r.cartId] : []));

  progress.phase = 'decide';
  const decide = await pollCarts(client, acceptedIds, {
    done: isCartDecided,
    deadline: Date.now() + options.decideTimeout * 1000,
    onDone: () => progress.decided++,
  });

  let settles: CartSettleRecord[] = [];
  let settle: Awaited<ReturnType<typeof pollCarts>> = { done: new Map(), left: new Map() };
  if (options.confirmFraction + options.cancelFraction > 0) {
    progress.phase = 'settle';
    const held = [...decide.done].filter(([, s]) => s.view.status === 'held').map(([id]) => id);
    settles = await sendCartSettles(client, held, options, progress);
    settle = await pollCarts(
      client,
      settles.filter((s) => s.status === 202).map((s) => s.cartId),
      {
        done: isCartSettled,
        deadline: Date.now() + options.decideTimeout * 1000,
        onDone: () => progress.settleDecided++,
      },
    );
  }

  progress.phase = 'collect';
  const carts: CartRun = {
    records: load.records,
    decided: decide.done,
    undecided: decide.left.size,
    settles,
    settled: settle.done,
    settleUndecided: settle.left.size,
    final: latestViews(acceptedIds, [decide.left, settle.left], [decide.done, settle.done]),
  };
  const reserves = lineRecords(load.records);
  const snapshots = await collectConsistent(client, options, itemIds, reserves, carts, progress);
  return {
    loadStartedAt: load.startedAt,
    loadDurationMs: load.durationMs,
    reserves,
    decisions: new Map(),
    undecided: carts.undecided,
    settles: [],
    settleUndecided: 0,
    snapshots,
    carts,
    client: usage,
  };
}

/** The latest view the waits saw of each cart: settled over decided over never decided. */
function latestViews(
  cartIds: readonly string[],
  left: readonly Map<string, CartView | null>[],
  done: readonly Map<string, SeenCart>[],
): Map<string, CartView | null> {
  const views = new Map<string, CartView | null>(cartIds.map((id) => [id, null]));
  for (const map of left) for (const [id, view] of map) views.set(id, view);
  for (const map of done) for (const [id, seen] of map) views.set(id, seen.view);
  return views;
}

/** Each cart line as a reservation record: the cart's times and HTTP outcome, the line's reservation id. */
export function lineRecords(records: readonly CartRecord[]): ReserveRecord[] {
  return records.flatMap((r) =>
    r.lines.map((l): ReserveRecord => ({
      index: r.index,
      inventoryId: l.inventoryId,
      scheduledMs: r.scheduledMs,
      startedMs: r.startedMs,
      doneMs: r.doneMs,
      status: r.status,
      ...(r.error !== undefined ? { error: r.error } : {}),
      ...(l.reservationId !== undefined ? { reservationId: l.reservationId } : {}),
      ...(r.acceptedAt !== undefined ? { acceptedAt: r.acceptedAt } : {}),
    })),
  );
}

/** The accepted carts as the invariants take them: lines as sent, the final view, any accepted confirm or cancel. */
export function checkedCarts(run: CartRun): CheckedCart[] {
  const settleOf = new Map(run.settles.filter((s) => s.status === 202).map((s) => [s.cartId, s.type]));
  return run.records.flatMap((r): CheckedCart[] => {
    if (!r.cartId) return [];
    const view = run.final.get(r.cartId) ?? null;
    // A 202 without line ids (never so without an Idempotency-Key) leaves the ids to the cart itself.
    const listed = new Map((view?.lines ?? []).map((l) => [l.inventoryId, l.reservationId]));
    const lines = r.lines.map((l) => ({
      inventoryId: l.inventoryId,
      quantity: l.quantity,
      reservationId: l.reservationId ?? listed.get(l.inventoryId) ?? '(no id in the 202)',
    }));
    return [{ cartId: r.cartId, lines, view, settle: settleOf.get(r.cartId) }];
  });
}

/** Codes that can be a moment's lag between a cart and its items (a held cart expiring as it is read). */
const LAG_CODES = new Set<Violation['code']>(['CART_NOT_ALL_OR_NOTHING', 'CART_LINE_STATUS_MISMATCH']);

/**
 * Reads the carts that could still move (held ones), then their items. A cart and its items are read
 * at different moments, so a cart whose lines disagree with its items is read again, with its items,
 * until they agree or min(--decide-timeout, 30 s) passes; one that still disagrees is a violation.
 */
async function collectConsistent(
  client: ApiClient,
  options: LoadTestOptions,
  itemIds: readonly string[],
  reserves: readonly ReserveRecord[],
  carts: CartRun,
  progress: Progress,
): Promise<ItemSnapshot[]> {
  const reread = async (ids: readonly string[]) =>
    mapLimit(ids, 32, async (id) => carts.final.set(id, await readCart(client, id)));
  await reread([...carts.final].filter(([, v]) => !v || !isCartFinal(v)).map(([id]) => id));
  let snapshots = await collectTouched(client, options, itemIds, reserves, progress);
  const deadline = Date.now() + Math.min(options.decideTimeout, 30) * 1000;
  while (Date.now() < deadline) {
    const found: Violation[] = [];
    checkCarts(checkedCarts(carts), snapshots, found);
    const lagging = new Set(found.filter((v) => LAG_CODES.has(v.code)).map((v) => v.cartId as string));
    if (lagging.size === 0) break;
    await sleep(500);
    await reread([...lagging]);
    const items = new Set(
      carts.records
        .filter((r) => r.cartId && lagging.has(r.cartId))
        .flatMap((r) => r.lines.map((l) => l.inventoryId)),
    );
    const fresh = new Map((await collectItems(client, [...items])).map((s) => [s.inventoryId, s]));
    snapshots = snapshots.map((s) => fresh.get(s.inventoryId) ?? s);
  }
  return snapshots;
}
