/**
 * The invariants a load run must leave intact, checked purely over what the run collected:
 * no I/O, no clock, so corrupted inputs can be fed to it in unit tests.
 */

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
] as const;
export type ViolationCode = (typeof VIOLATION_CODES)[number];

export interface Violation {
  code: ViolationCode;
  inventoryId: string;
  reservationId?: string;
  commandId?: string;
  message: string;
}

const RESERVE_DECISIONS = new Set(['ReservationHeld', 'ReservationRejected']);
const SETTLE_DECISIONS = new Set([
  'ReservationConfirmed',
  'ConfirmRejected',
  'ReservationCancelled',
  'CancelRejected',
]);
/** The reservation status each event leaves behind (rejected settles leave it as it was). */
const STATUS_AFTER: Record<string, string> = {
  ReservationHeld: 'held',
  ReservationRejected: 'rejected',
  ReservationConfirmed: 'confirmed',
  ReservationCancelled: 'cancelled',
  HoldExpired: 'expired',
};
const FINAL_STATUSES = new Set(['held', 'rejected', 'confirmed', 'cancelled', 'expired']);

export function checkInvariants(input: InvariantInput): Violation[] {
  const violations: Violation[] = [];
  const byItem = new Map(input.items.map((item) => [item.inventoryId, item]));
  const acceptedByItem = group(input.accepted, (a) => a.inventoryId);
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
  return violations;
}

function checkItem(
  item: ItemSnapshot,
  accepted: readonly AcceptedReserve[],
  settles: readonly AcceptedSettle[],
  initialStock: number | undefined,
  out: Violation[],
): void {
  const { inventoryId } = item;
  const counters = item.counters as CountersView & { seq: number };
  const add = (v: Omit<Violation, 'inventoryId'>) => out.push({ inventoryId, ...v });

  // 1. Sequence contiguous from 1, and a running replay: never oversold, never negative.
  const state = { available: 0, reserved: 0, confirmed: 0, seq: 0, stock: 0 };
  let atSnapshot: typeof state | null = counters.seq === 0 ? { ...state } : null;
  let oversold = false;
  let negative = false;
  let gap = false;
  for (const event of item.ledger) {
    if (event.seq !== state.seq + 1) {
      add({ code: 'SEQ_GAP', message: `ledger seq jumps from ${state.seq} to ${event.seq}` });
      gap = true;
      break;
    }
    state.seq = event.seq;
    state.available += event.delta.available;
    state.reserved += event.delta.reserved;
    state.confirmed += event.delta.confirmed;
    state.stock += event.delta.available + event.delta.reserved + event.delta.confirmed;
    if (!negative && (state.available < 0 || state.reserved < 0 || state.confirmed < 0)) {
      negative = true;
      add({
        code: 'NEGATIVE_COUNTER',
        message: `after seq ${event.seq} (${event.kind}) counters went negative: ${fmt(state)}`,
      });
    }
    if (!oversold && state.reserved + state.confirmed > state.stock) {
      oversold = true;
      add({
        code: 'OVERSELL',
        ...(event.reservationId ? { reservationId: event.reservationId } : {}),
        message: `after seq ${event.seq} (${event.kind}) held+confirmed ${state.reserved + state.confirmed} > stock ${state.stock}`,
      });
    }
    if (event.seq === counters.seq) atSnapshot = { ...state };
  }

  // 2. The item document is the fold of its ledger (up to the seq it reports).
  if (!gap) {
    if (!atSnapshot) {
      add({
        code: 'SEQ_GAP',
        message: `item reports seq ${counters.seq} but the ledger ends at seq ${state.seq}`,
      });
    } else if (
      atSnapshot.available !== counters.available ||
      atSnapshot.reserved !== counters.reserved ||
      atSnapshot.confirmed !== counters.confirmed
    ) {
      add({
        code: 'COUNTER_MISMATCH',
        message: `counters ${fmt(counters)} at seq ${counters.seq} but the ledger replays to ${fmt(atSnapshot)}`,
      });
    }
    if (initialStock !== undefined && state.stock !== initialStock) {
      add({
        code: 'STOCK_MISMATCH',
        message: `the ledger brings in ${state.stock} units, the item was created with ${initialStock}`,
      });
    }
  }

  // 3. Every accepted reservation decided exactly once, and visible with a final status.
  const decisions = new Map<string, LedgerEventView[]>();
  const lastEvent = new Map<string, LedgerEventView>();
  const settleDecisions = new Map<string, LedgerEventView[]>();
  for (const event of item.ledger) {
    if (event.reservationId !== null) {
      if (RESERVE_DECISIONS.has(event.kind)) push(decisions, event.reservationId, event);
      if (STATUS_AFTER[event.kind]) lastEvent.set(event.reservationId, event);
    }
    if (SETTLE_DECISIONS.has(event.kind)) push(settleDecisions, event.commandId, event);
  }
  for (const [reservationId, events] of decisions) {
    if (events.length > 1) {
      add({
        code: 'DOUBLE_DECISION',
        reservationId,
        message: `reservation ${reservationId} decided ${events.length} times (seq ${events.map((e) => e.seq).join(', ')})`,
      });
    }
  }
  const listed = new Map(item.reservations.map((r) => [r.reservationId, r]));
  for (const { reservationId } of accepted) {
    if (!decisions.has(reservationId)) {
      add({
        code: 'NOT_DECIDED',
        reservationId,
        message: `reservation ${reservationId} got a 202 but has no decision in the ledger`,
      });
    }
    const view = listed.get(reservationId);
    if (!view || !FINAL_STATUSES.has(view.status)) {
      add({
        code: 'RESERVATION_MISSING',
        reservationId,
        message: `reservation ${reservationId} got a 202 but ${view ? `is still ${view.status}` : 'is not listed'}`,
      });
    }
  }

  // 4. Listed statuses agree with the ledger wherever the listing is known to include the event.
  for (const view of item.reservations) {
    const last = lastEvent.get(view.reservationId);
    if (!last || last.seq > counters.seq) continue;
    const expected = STATUS_AFTER[last.kind];
    if (expected !== view.status) {
      add({
        code: 'STATUS_MISMATCH',
        reservationId: view.reservationId,
        message: `reservation ${view.reservationId} is ${view.status} but its last ledger event is ${last.kind} (seq ${last.seq})`,
      });
    }
  }

  // 5. reserved equals the sum of active holds (checked when nothing landed after the snapshot).
  if (!gap && state.seq === counters.seq) {
    let held = 0;
    let complete = true;
    for (const view of item.reservations) {
      if (view.status !== 'held') continue;
      if (view.quantity === undefined) complete = false;
      else held += view.quantity;
    }
    if (complete && held !== counters.reserved) {
      add({
        code: 'HOLDS_MISMATCH',
        message: `reserved is ${counters.reserved} but active holds sum to ${held}`,
      });
    }
  }

  // 6. Every accepted confirm or cancel decided exactly once.
  for (const settle of settles) {
    const events = settleDecisions.get(settle.commandId) ?? [];
    if (events.length === 0) {
      add({
        code: 'COMMAND_NOT_DECIDED',
        reservationId: settle.reservationId,
        commandId: settle.commandId,
        message: `${settle.type} ${settle.commandId} of ${settle.reservationId} got a 202 but has no decision in the ledger`,
      });
    } else if (events.length > 1) {
      add({
        code: 'COMMAND_DOUBLE_DECISION',
        reservationId: settle.reservationId,
        commandId: settle.commandId,
        message: `${settle.type} ${settle.commandId} decided ${events.length} times (seq ${events.map((e) => e.seq).join(', ')})`,
      });
    }
  }
}

function fmt(c: CountersView): string {
  return `available=${c.available} reserved=${c.reserved} confirmed=${c.confirmed}`;
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function group<T>(values: readonly T[], key: (v: T) => string): Map<string, T[]> {
  const map = new Map<string, T[]>();
  for (const v of values) push(map, key(v), v);
  return map;
}
