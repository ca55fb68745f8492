/**
 * The cart invariants, checked purely over what the run collected (no I/O, no clock): every cart ends
 * all-or-nothing, and every cart line says what its reservation's own item says.
 */
import type { ItemSnapshot, Violation } from './invariants';
import { STATUS_AFTER } from './item-checks';

export interface CartLineView {
  inventoryId: string;
  quantity: number;
  reservationId: string;
  status: string;
  reason?: string | null;
}

/** `GET /carts/{cartId}`: while pending it may be just `{ cartId, status: 'pending' }`. */
export interface CartView {
  cartId: string;
  status: string;
  userId?: string;
  expiresAt?: string;
  lines?: CartLineView[];
  requestedAt?: string;
  updatedAt?: string;
}

export interface CheckedCart {
  cartId: string;
  /** The lines as sent, with the reservation id the 202 gave each. */
  lines: readonly { inventoryId: string; quantity: number; reservationId: string }[];
  /** The cart as read at the end, before its items were collected; null when it could not be read. */
  view: CartView | null;
  /** A confirm or cancel of the cart that got a 202. */
  settle?: 'Confirm' | 'Cancel' | undefined;
}

export const CART_VIOLATION_CODES = [
  'CART_NOT_DECIDED',
  'CART_LINES_MISMATCH',
  'CART_NOT_ALL_OR_NOTHING',
  'CART_SETTLE_NOT_DECIDED',
  'CART_LINE_STATUS_MISMATCH',
] as const;

export const CART_CHECKS = [
  'every 202 cart is decided: held, rejected, confirmed, cancelled or expired (CART_NOT_DECIDED)',
  'a cart has exactly the lines it was sent with (CART_LINES_MISMATCH)',
  'held/confirmed carts have every line so; rejected carts a rejected line and none held, confirmed or pending; ' +
    'cancelled/expired carts no line held, confirmed or pending (CART_NOT_ALL_OR_NOTHING)',
  'a 202 cart confirm ends confirmed or expired, a cancel cancelled or expired (CART_SETTLE_NOT_DECIDED)',
  "every cart line's status equals its reservation's status in the item's ledger (CART_LINE_STATUS_MISMATCH)",
];

type Report = (v: Omit<Violation, 'cartId'>) => void;

/**
 * What a decided cart's line statuses must look like; null when they fit. A line that was never held
 * stays rejected in a cart cancelled or expired while it was pending.
 */
export function allOrNothing(status: string, lineStatuses: readonly string[]): string | null {
  const some = (...s: string[]) => lineStatuses.some((l) => s.includes(l));
  switch (status) {
    case 'held':
    case 'confirmed':
      return lineStatuses.every((l) => l === status) ? null : `a ${status} cart has a line that is not`;
    case 'rejected':
      if (!some('rejected')) return 'a rejected cart has no rejected line';
      return some('held', 'confirmed', 'pending')
        ? 'a rejected cart still has a held, confirmed or pending line'
        : null;
    case 'cancelled':
    case 'expired':
      return some('held', 'confirmed', 'pending')
        ? `a ${status} cart has a held, confirmed or pending line`
        : null;
    default:
      return `status ${status} is not a decided cart status`;
  }
}

const DECIDED = new Set(['held', 'rejected', 'confirmed', 'cancelled', 'expired']);
const SETTLED: Record<'Confirm' | 'Cancel', readonly string[]> = {
  Confirm: ['confirmed', 'expired'],
  Cancel: ['cancelled', 'expired'],
};

export function checkCarts(
  carts: readonly CheckedCart[],
  items: readonly ItemSnapshot[],
  out: Violation[],
): void {
  const atItems = statusesAtItems(items);
  for (const cart of carts) {
    const lineItems = cart.lines.map((l) => l.inventoryId).join(',');
    const add: Report = (v) => out.push({ ...v, cartId: cart.cartId });
    const view = cart.view;
    if (!view || !DECIDED.has(view.status) || !view.lines) {
      const state = view ? `is ${view.status}${view.lines ? '' : ' without lines'}` : 'could not be read';
      add({
        code: 'CART_NOT_DECIDED',
        inventoryId: lineItems,
        message: `cart ${cart.cartId} got a 202 but ${state}`,
      });
      continue;
    }
    checkSentLines(cart, view.lines, lineItems, add);
    const broken = allOrNothing(
      view.status,
      view.lines.map((l) => l.status),
    );
    if (broken) {
      add({
        code: 'CART_NOT_ALL_OR_NOTHING',
        inventoryId: lineItems,
        message: `cart ${cart.cartId}: ${broken} (lines ${view.lines.map((l) => l.status).join(', ')})`,
      });
    }
    if (cart.settle && !SETTLED[cart.settle].includes(view.status)) {
      add({
        code: 'CART_SETTLE_NOT_DECIDED',
        inventoryId: lineItems,
        message: `${cart.settle} of cart ${cart.cartId} got a 202 but the cart is ${view.status}`,
      });
    }
    checkLineStatuses(cart.cartId, view.lines, atItems, add);
  }
}

/** The cart lists exactly the lines it was sent with: same items, quantities and reservation ids. */
function checkSentLines(
  cart: CheckedCart,
  lines: readonly CartLineView[],
  lineItems: string,
  add: Report,
): void {
  const key = (l: { inventoryId: string; quantity: number; reservationId: string }) =>
    `${l.inventoryId}/${l.quantity}/${l.reservationId}`;
  const listed = new Set(lines.map(key));
  const missing = cart.lines.filter((l) => !listed.has(key(l)));
  if (missing.length > 0 || lines.length !== cart.lines.length) {
    add({
      code: 'CART_LINES_MISMATCH',
      inventoryId: lineItems,
      message:
        `cart ${cart.cartId} lists ${lines.length} lines for ${cart.lines.length} sent` +
        (missing.length ? `; missing ${missing.map(key).join(', ')}` : ''),
    });
  }
}

interface AtItem {
  /** Status after the reservation's last status-changing ledger event, pending when it has none. */
  status: string;
  lastSeq: number | null;
}

/** Reservation statuses per readable item, from the ledger (the item's own record of each decision). */
function statusesAtItems(items: readonly ItemSnapshot[]): Map<string, Map<string, AtItem>> {
  const byItem = new Map<string, Map<string, AtItem>>();
  for (const item of items) {
    if (!item.counters) continue; // ITEM_MISSING is reported by the item checks
    const statuses = new Map<string, AtItem>();
    for (const event of item.ledger) {
      const after = STATUS_AFTER[event.kind];
      if (event.reservationId !== null && after)
        statuses.set(event.reservationId, { status: after, lastSeq: event.seq });
    }
    byItem.set(item.inventoryId, statuses);
  }
  return byItem;
}

function checkLineStatuses(
  cartId: string,
  lines: readonly CartLineView[],
  atItems: ReadonlyMap<string, ReadonlyMap<string, AtItem>>,
  add: Report,
): void {
  for (const line of lines) {
    const statuses = atItems.get(line.inventoryId);
    if (!statuses) continue;
    const at = statuses.get(line.reservationId) ?? { status: 'pending', lastSeq: null };
    if (at.status !== line.status) {
      add({
        code: 'CART_LINE_STATUS_MISMATCH',
        inventoryId: line.inventoryId,
        reservationId: line.reservationId,
        message:
          `cart ${cartId} line ${line.reservationId} is ${line.status} but the item's ledger makes it ${at.status}` +
          (at.lastSeq === null ? ' (no event)' : ` (seq ${at.lastSeq})`),
      });
    }
  }
}
