/**
 * The invariants a load run must leave intact, checked purely over what the run collected:
 * no I/O, no clock, so corrupted inputs can be fed to it in unit tests.
 */
import { CART_VIOLATION_CODES, checkCarts, type CheckedCart } from './cart-checks';
import { checkItem, push } from './item-checks';

export interface CountersView {
  available: number;
  reserved: number;
  confirmed: number;
}

export interface LedgerEventView {
  seq: number;
  kind: string;
  commandId: string;
  reservationId: string | null;
  quantity: number | null;
  delta: CountersView;
  reason: string | null;
  at: string;
}

export interface ReservationListView {
  reservationId: string;
  status: string;
  reason?: string | null;
  quantity?: number;
  requestedAt?: string;
  decidedAt?: string;
}

export interface ItemSnapshot {
  inventoryId: string;
  /** `GET /inventory/{id}` read first; null when it could not be read. */
  counters: (CountersView & { seq: number }) | null;
  /** Read after `counters`, so it may run past `counters.seq` when commands were still landing. */
  reservations: ReservationListView[];
  /** Read last, every page, in sequence order. */
  ledger: LedgerEventView[];
}

export interface AcceptedReserve {
  inventoryId: string;
  reservationId: string;
}

export interface AcceptedSettle {
  inventoryId: string;
  reservationId: string;
  commandId: string;
  type: 'Confirm' | 'Cancel';
}

export interface InvariantInput {
  items: readonly ItemSnapshot[];
  /** Every reservation that got a 202. */
  accepted: readonly AcceptedReserve[];
  /** Every confirm or cancel that got a 202. */
  settles: readonly AcceptedSettle[];
  /** Stock each item was created with, when known: the ledger must bring in exactly this much. */
  initialStock?: Readonly<Record<string, number>>;
  /** Cart mode: every cart that got a 202. Its lines are reservations, so the item checks count them too. */
  carts?: readonly CheckedCart[];
}

export const VIOLATION_CODES = [
  'ITEM_MISSING',
  'SEQ_GAP',
  'NEGATIVE_COUNTER',
  'OVERSELL',
  'COUNTER_MISMATCH',
  'STOCK_MISMATCH',
  'NOT_DECIDED',
  'DOUBLE_DECISION',
  'RESERVATION_MISSING',
  'STATUS_MISMATCH',
  'HOLDS_MISMATCH',
  'COMMAND_NOT_DECIDED',
  'COMMAND_DOUBLE_DECISION',
  ...CART_VIOLATION_CODES,
] as const;
export type ViolationCode = (typeof VIOLATION_CODES)[number];

export interface Violation {
  code: ViolationCode;
  /** For a cart-wide violation, the cart's items joined by commas. */
  inventoryId: string;
  cartId?: string;
  reservationId?: string;
  commandId?: string;
  message: string;
}

export function checkInvariants(input: InvariantInput): Violation[] {
  const violations: Violation[] = [];
  const byItem = new Map(input.items.map((item) => [item.inventoryId, item]));
  const acceptedByItem = group(acceptedReservations(input), (a) => a.inventoryId);
  const settlesByItem = group(input.settles, (s) => s.inventoryId);
  const ids = new Set([...byItem.keys(), ...acceptedByItem.keys(), ...settlesByItem.keys()]);
  for (const inventoryId of [...ids].sort()) {
    const item = byItem.get(inventoryId);
    if (!item || !item.counters) {
      violations.push({
        code: 'ITEM_MISSING',
        inventoryId,
        message: `item ${inventoryId} could not be read`,
      });
      continue;
    }
    checkItem(
      item,
      acceptedByItem.get(inventoryId) ?? [],
      settlesByItem.get(inventoryId) ?? [],
      input.initialStock?.[inventoryId],
      violations,
    );
  }
  if (input.carts) checkCarts(input.carts, input.items, violations);
  return violations;
}

/** Every 202 reservation: those sent alone and every line of every 202 cart, each once. */
function acceptedReservations(input: InvariantInput): AcceptedReserve[] {
  const byId = new Map<string, AcceptedReserve>();
  for (const a of input.accepted) byId.set(a.reservationId, a);
  for (const cart of input.carts ?? []) {
    for (const l of cart.lines)
      byId.set(l.reservationId, { inventoryId: l.inventoryId, reservationId: l.reservationId });
  }
  return [...byId.values()];
}

function group<T>(values: readonly T[], key: (v: T) => string): Map<string, T[]> {
  const map = new Map<string, T[]>();
  for (const v of values) push(map, key(v), v);
  return map;
}
