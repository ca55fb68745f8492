/** The per-item invariant checks behind checkInvariants, numbered as in the load test report. */
import type {
  AcceptedReserve,
  AcceptedSettle,
  CountersView,
  ItemSnapshot,
  LedgerEventView,
  ReservationListView,
  Violation,
} from './invariants';

const RESERVE_DECISIONS = new Set(['ReservationHeld', 'ReservationRejected']);
const SETTLE_DECISIONS = new Set([
  'ReservationConfirmed',
  'ConfirmRejected',
  'ReservationCancelled',
  'CancelRejected',
]);
/** The reservation status each event leaves behind (rejected settles leave it as it was). */
export const STATUS_AFTER: Readonly<Record<string, string>> = {
  ReservationHeld: 'held',
  ReservationRejected: 'rejected',
  ReservationConfirmed: 'confirmed',
  ReservationCancelled: 'cancelled',
  HoldExpired: 'expired',
};
const FINAL_STATUSES = new Set(['held', 'rejected', 'confirmed', 'cancelled', 'expired']);

type Report = (v: Omit<Violation, 'inventoryId'>) => void;
type Counters = CountersView & { seq: number };

export function checkItem(
  item: ItemSnapshot,
  accepted: readonly AcceptedReserve[],
  settles: readonly AcceptedSettle[],
  initialStock: number | undefined,
  out: Violation[],
): void {
  const { inventoryId } = item;
  const counters = item.counters as Counters;
  const add: Report = (v) => out.push({ inventoryId, ...v });

  const replay = replayChecked(item.ledger, counters, add);
  if (!replay.gap) checkFold(replay, counters, initialStock, add);
  const index = indexLedger(item.ledger);
  checkReserveDecisions(index.decisions, item.reservations, accepted, add);
  checkListedStatuses(item.reservations, index.lastEvent, counters.seq, add);
  if (!replay.gap && replay.state.seq === counters.seq) checkHolds(item.reservations, counters.reserved, add);
  checkSettleDecisions(settles, index.settleDecisions, add);
}

interface ReplayState {
  available: number;
  reserved: number;
  confirmed: number;
  seq: number;
  stock: number;
}

interface Replay {
  /** After the last event replayed. */
  state: ReplayState;
  /** At the seq the item reports, null when the ledger never reaches it. */
  atSnapshot: ReplayState | null;
  /** The sequence jumped: the replay stopped there. */
  gap: boolean;
}

/** 1. Sequence contiguous from 1, and a running replay: never oversold, never negative. */
function replayChecked(ledger: readonly LedgerEventView[], counters: Counters, add: Report): Replay {
  const state: ReplayState = { available: 0, reserved: 0, confirmed: 0, seq: 0, stock: 0 };
  let atSnapshot: ReplayState | null = counters.seq === 0 ? { ...state } : null;
  let oversold = false;
  let negative = false;
  let gap = false;
  for (const event of ledger) {
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
  return { state, atSnapshot, gap };
}

/** 2. The item document is the fold of its ledger (up to the seq it reports). */
function checkFold(
  { state, atSnapshot }: Replay,
  counters: Counters,
  initialStock: number | undefined,
  add: Report,
): void {
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

interface LedgerIndex {
  /** Reserve decision events by reservation id. */
  decisions: Map<string, LedgerEventView[]>;
  /** The last status-changing event of each reservation. */
  lastEvent: Map<string, LedgerEventView>;
  /** Confirm/cancel decision events by command id. */
  settleDecisions: Map<string, LedgerEventView[]>;
}

function indexLedger(ledger: readonly LedgerEventView[]): LedgerIndex {
  const index: LedgerIndex = { decisions: new Map(), lastEvent: new Map(), settleDecisions: new Map() };
  for (const event of ledger) {
    if (event.reservationId !== null) {
      if (RESERVE_DECISIONS.has(event.kind)) push(index.decisions, event.reservationId, event);
      if (STATUS_AFTER[event.kind]) index.lastEvent.set(event.reservationId, event);
    }
    if (SETTLE_DECISIONS.has(event.kind)) push(index.settleDecisions, event.commandId, event);
  }
  return index;
}

/** 3. Every accepted reservation decided exactly once, and visible with a final status. */
function checkReserveDecisions(
  decisions: ReadonlyMap<string, LedgerEventView[]>,
  reservations: readonly ReservationListView[],
  accepted: readonly AcceptedReserve[],
  add: Report,
): void {
  for (const [reservationId, events] of decisions) {
    if (events.length > 1) {
      add({
        code: 'DOUBLE_DECISION',
        reservationId,
        message: `reservation ${reservationId} decided ${events.length} times (seq ${events.map((e) => e.seq).join(', ')})`,
      });
    }
  }
  const listed = new Map(reservations.map((r) => [r.reservationId, r]));
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
}

/** 4. Listed statuses agree with the ledger wherever the listing is known to include the event. */
function checkListedStatuses(
  reservations: readonly ReservationListView[],
  lastEvent: ReadonlyMap<string, LedgerEventView>,
  snapshotSeq: number,
  add: Report,
): void {
  for (const view of reservations) {
    const last = lastEvent.get(view.reservationId);
    if (!last || last.seq > snapshotSeq) continue;
    const expected = STATUS_AFTER[last.kind];
    if (expected !== view.status) {
      add({
        code: 'STATUS_MISMATCH',
        reservationId: view.reservationId,
        message: `reservation ${view.reservationId} is ${view.status} but its last ledger event is ${last.kind} (seq ${last.seq})`,
      });
    }
  }
}

/** 5. reserved equals the sum of active holds (the caller checks only when nothing landed after the snapshot). */
function checkHolds(reservations: readonly ReservationListView[], reserved: number, add: Report): void {
  let held = 0;
  let complete = true;
  for (const view of reservations) {
    if (view.status !== 'held') continue;
    if (view.quantity === undefined) complete = false;
    else held += view.quantity;
  }
  if (complete && held !== reserved) {
    add({
      code: 'HOLDS_MISMATCH',
      message: `reserved is ${reserved} but active holds sum to ${held}`,
    });
  }
}

/** 6. Every accepted confirm or cancel decided exactly once. */
function checkSettleDecisions(
  settles: readonly AcceptedSettle[],
  settleDecisions: ReadonlyMap<string, LedgerEventView[]>,
  add: Report,
): void {
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

export function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
