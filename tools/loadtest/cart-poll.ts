import { performance } from 'node:perf_hooks';
import type { LoadTestOptions } from './args';
import type { CartView } from './cart-checks';
import { type ApiClient, mapLimit, NetworkError, sleep } from './client';
import { getWithRetry } from './poller';
import type { Progress } from './progress';
import { chooseSettles, settleParallel } from './settle';

/** Waiting for carts (one GET per outstanding cart per round), and confirming or cancelling them. */

export interface SeenCart {
  view: CartView;
  /** Client clock (epoch ms) when the view was read. */
  seenAt: number;
}

/** A cart's status is its own: decided once it is no longer pending. */
export const isCartDecided = (view: CartView) => view.status !== 'pending';
const SETTLED = ['confirmed', 'cancelled', 'expired'];
const FINAL = ['rejected', ...SETTLED];
/** A confirmed or cancelled cart is done; so is one that expired before the command got to it. */
export const isCartSettled = (view: CartView) => SETTLED.includes(view.status);
/** Nothing moves a cart in these any more (a held one still expires, or is confirmed or cancelled). */
export const isCartFinal = (view: CartView) => FINAL.includes(view.status);

/** GET /carts/{id}, retried on transient failures; null when it cannot be read. */
export async function readCart(client: ApiClient, cartId: string): Promise<CartView | null> {
  try {
    const res = await getWithRetry<CartView>(client, `/carts/${encodeURIComponent(cartId)}`);
    const ok = res.status === 200 && typeof res.body === 'object' && res.body !== null;
    return ok ? res.body : null;
  } catch (error) {
    if (error instanceof NetworkError) return null;
    throw error;
  }
}

export interface CartPollOptions {
  done: (view: CartView) => boolean;
  /** Epoch ms. */
  deadline: number;
  parallel?: number;
  intervalMs?: number;
  onDone?: (cartId: string, seen: SeenCart) => void;
}

/**
 * Reads every cart until `done` says so or the deadline passes. Returns the view that first satisfied
 * `done` per cart, and the last view (or null) of those that never did.
 */
export async function pollCarts(
  client: ApiClient,
  cartIds: readonly string[],
  options: CartPollOptions,
): Promise<{ done: Map<string, SeenCart>; left: Map<string, CartView | null> }> {
  const done = new Map<string, SeenCart>();
  const left = new Map<string, CartView | null>();
  let waiting = [...cartIds];
  while (waiting.length > 0) {
    const still: string[] = [];
    await mapLimit(waiting, options.parallel ?? 32, async (cartId) => {
      const view = await readCart(client, cartId);
      if (view && options.done(view)) {
        const seen = { view, seenAt: Date.now() };
        done.set(cartId, seen);
        left.delete(cartId);
        options.onDone?.(cartId, seen);
      } else {
        left.set(cartId, view);
        still.push(cartId);
      }
    });
    waiting = still;
    if (waiting.length === 0 || Date.now() >= options.deadline) break;
    await sleep(Math.min(options.intervalMs ?? 250, Math.max(0, options.deadline - Date.now())));
  }
  return { done, left };
}

/** One POST /carts/{id}/confirm or /cancel as the client saw it. */
export interface CartSettleRecord {
  cartId: string;
  type: 'Confirm' | 'Cancel';
  status: number;
  error?: string;
  /** Server time of the 202. */
  acceptedAt?: string;
  latencyMs: number;
}

/** Confirms and cancels a seeded random choice of the held carts, through the cart routes. */
export async function sendCartSettles(
  client: ApiClient,
  heldCartIds: readonly string[],
  options: Pick<LoadTestOptions, 'confirmFraction' | 'cancelFraction' | 'seed' | 'concurrency'>,
  progress: Progress,
): Promise<CartSettleRecord[]> {
  const plan = chooseSettles(
    heldCartIds.map((cartId) => ({ cartId })),
    (c) => c.cartId,
    options,
  );
  return mapLimit(plan, settleParallel(options), async ({ cartId, type }): Promise<CartSettleRecord> => {
    const path = `/carts/${encodeURIComponent(cartId)}/${type.toLowerCase()}`;
    const t = performance.now();
    progress.settleSent++;
    try {
      const res = await client.request<{ acceptedAt?: string; title?: string }>('POST', path);
      const latencyMs = performance.now() - t;
      if (res.status === 202) {
        return {
          cartId,
          type,
          status: 202,
          latencyMs,
          ...(res.body.acceptedAt ? { acceptedAt: res.body.acceptedAt } : {}),
        };
      }
      progress.errors++;
      return { cartId, type, status: res.status, error: res.body.title ?? `HTTP ${res.status}`, latencyMs };
    } catch (error) {
      progress.errors++;
      const code = error instanceof NetworkError ? error.code : String(error);
      return { cartId, type, status: 0, error: code, latencyMs: performance.now() - t };
    }
  });
}
