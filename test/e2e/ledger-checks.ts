import type { ItemView, LedgerEventView } from '../support/http-client';

/** The ledger events that record the decision of a Reserve: exactly one per accepted reservation. */
export const DECISION_KINDS = new Set(['ReservationHeld', 'ReservationRejected']);

/** The counter change each event kind may make, given its quantity. */
const EXPECTED_DELTA: Record<string, (q: number) => [number, number, number] | null> = {
  ReservationHeld: (q) => [-q, q, 0],
  ReservationRejected: () => [0, 0, 0],
  ReservationConfirmed: (q) => [0, -q, q],
  ReservationCancelled: (q) => [q, -q, 0],
  HoldExpired: (q) => [q, -q, 0],
  ConfirmRejected: () => [0, 0, 0],
  CancelRejected: () => [0, 0, 0],
  AdjustmentRejected: () => [0, 0, 0],
  StockAdjusted: (q) => [q, 0, 0],
  ItemCreated: (q) => [q, 0, 0],
  StockSet: () => null, // sets `available` to its quantity: checked against the running state below
};

export interface LedgerSummary {
  /** reservation id -> the kind of its decision event */
  decisions: Map<string, string>;
  held: number;
  rejected: number;
  /** stock brought in by creation, StockSet and adjustments */
  stockIn: number;
}

/**
 * Asserts the ledger explains the item: sequence numbers 1..item.seq with no gap or repeat, each event's
 * delta matches its kind, the running counters never go negative, replaying the deltas gives the item's
 * counters, every reservation id has exactly one decision event (held or rejected), a hold ends at most
 * once, and `reserved` equals the sum of the holds still active.
 */
export function checkLedger(item: ItemView, events: readonly LedgerEventView[]): LedgerSummary {
  expect(events.map((e) => e.seq)).toEqual(Array.from({ length: item.seq }, (_, i) => i + 1));
  const state = { available: 0, reserved: 0, confirmed: 0 };
  const decisions = new Map<string, string>();
  const duplicates: string[] = [];
  let stockIn = 0;
  let held = 0;
  let rejected = 0;
  const activeHolds = new Map<string, number>();
  for (const event of events) {
    const expected = EXPECTED_DELTA[event.kind];
    expect(expected).toBeDefined();
    const want =
      event.kind === 'StockSet'
        ? [(event.quantity ?? 0) - state.available, 0, 0]
        : expected?.(event.quantity ?? 0);
    if (
      !want ||
      event.delta.available !== want[0] ||
      event.delta.reserved !== want[1] ||
      event.delta.confirmed !== want[2]
    ) {
      throw new Error(
        `event ${event.seq} (${event.kind}) has delta ${JSON.stringify(event.delta)}, expected ${JSON.stringify(want)}`,
      );
    }
    state.available += event.delta.available;
    state.reserved += event.delta.reserved;
    state.confirmed += event.delta.confirmed;
    if (state.available < 0 || state.reserved < 0 || state.confirmed < 0) {
      throw new Error(`counters went negative at seq ${event.seq}: ${JSON.stringify(state)}`);
    }
    if (['ItemCreated', 'StockSet', 'StockAdjusted'].includes(event.kind)) {
      stockIn += event.delta.available + event.delta.reserved + event.delta.confirmed;
    }
    if (DECISION_KINDS.has(event.kind)) {
      if (!event.reservationId) throw new Error(`decision event ${event.seq} has no reservationId`);
      if (decisions.has(event.reservationId)) duplicates.push(event.reservationId);
      decisions.set(event.reservationId, event.kind);
      if (event.kind === 'ReservationHeld') {
        held += 1;
        activeHolds.set(event.reservationId, event.quantity ?? 0);
      } else rejected += 1;
    }
    if (['ReservationConfirmed', 'ReservationCancelled', 'HoldExpired'].includes(event.kind)) {
      // A hold ends once, and only a hold that is active can end.
      if (!event.reservationId || !activeHolds.delete(event.reservationId)) {
        throw new Error(
          `event ${event.seq} (${event.kind}) ends ${event.reservationId}, which is not an active hold`,
        );
      }
    }
  }
  const sumOfHolds = [...activeHolds.values()].reduce((a, b) => a + b, 0);
  expect(sumOfHolds).toBe(item.reserved);
  expect(duplicates).toEqual([]);
  expect(state).toEqual({ available: item.available, reserved: item.reserved, confirmed: item.confirmed });
  expect(item.available + item.reserved + item.confirmed).toBe(stockIn);
  return { decisions, held, rejected, stockIn };
}
