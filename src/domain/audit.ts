import type { Counters, EventKind, InventoryItem, LedgerEvent, Reservation, UserTally } from './model';
import { hasUserLimit } from './tally';

/**
 * The audit of one item: its ledger replayed and compared with the documents that summarise it (the item's
 * counters and sequence number, the reservations, the users' tallies). Pure: the caller loads the documents.
 */

export const AUDIT_CHECKS = [
  /** A ledger event whose seq skips numbers after the one before it. */
  'ledger-gap',
  /** A ledger event whose seq does not move past the one before it (repeated, or out of order). */
  'ledger-repeat',
  /** The item's sequence number is not that of the last ledger event. */
  'item-seq',
  /** A counter of the item is not what the ledger replays to. */
  'replayed-counter',
  /** `reserved` is not the sum of the held reservations. */
  'held-sum',
  /** `confirmed` is not the sum of the confirmed reservations. */
  'confirmed-sum',
  /** A held or confirmed reservation whose last ledger event is not the decision that put it there. */
  'decision-event',
  /** A user's current tally is not what their held and confirmed reservations add up to. */
  'tally',
] as const;
export type AuditCheck = (typeof AUDIT_CHECKS)[number];

export interface AuditDifference {
  check: AuditCheck;
  /** What was compared: `item.available`, `ledger[3].seq`, `reservation r-1`, `tally:user-1.held`... */
  subject: string;
  /** What the ledger (or, for the sums and tallies, the reservations) says it should be. */
  expected: number | string;
  /** What the document holds. */
  found: number | string;
  /** The difference as one sentence. */
  detail: string;
}

export interface AuditInput {
  item: InventoryItem;
  /** The item's full ledger, in sequence order. */
  events: readonly LedgerEvent[];
  /** Every reservation document of the item. */
  reservations: readonly Reservation[];
  /** Every tally document of the item; only those counted under its current limit are checked. */
  tallies: readonly UserTally[];
}

export interface AuditResult {
  status: 'consistent' | 'inconsistent';
  /** How many of each were compared: every event and reservation, the tallies of the current limit. */
  checked: { events: number; reservations: number; tallies: number };
  differences: AuditDifference[];
}

const COUNTERS = ['available', 'reserved', 'confirmed'] as const;

/** The events that move a reservation from one status to another (rejections of a command do not). */
const STATUS_EVENTS: ReadonlySet<EventKind> = new Set<EventKind>([
  'ReservationHeld',
  'ReservationConfirmed',
  'ReservationCancelled',
  'HoldExpired',
]);

export function auditItem(input: AuditInput): AuditResult {
  const current = currentTallies(input.item, input.tallies);
  const differences = [
    ...sequenceDifferences(input.item, input.events),
    ...counterDifferences(input.item, input.events),
    ...sumDifferences(input.item, input.reservations),
    ...decisionDifferences(input.events, input.reservations),
    ...tallyDifferences(current, input.reservations),
  ];
  return {
    status: differences.length === 0 ? 'consistent' : 'inconsistent',
    checked: {
      events: input.events.length,
      reservations: input.reservations.length,
      tallies: current.length,
    },
    differences,
  };
}

/** Sequence numbers run 1, 2, 3... without a gap or a repeat, and the item's is the last one. */
function sequenceDifferences(item: InventoryItem, events: readonly LedgerEvent[]): AuditDifference[] {
  const differences: AuditDifference[] = [];
  let previous = 0;
  events.forEach((event, index) => {
    const expected = previous + 1;
    const subject = `ledger[${index}].seq`;
    if (event.seq > expected) {
      differences.push({
        check: 'ledger-gap',
        subject,
        expected,
        found: event.seq,
        detail: `the ledger jumps from seq ${previous} to ${event.seq}: events ${expected} to ${event.seq - 1} are missing`,
      });
    } else if (event.seq < expected) {
      differences.push({
        check: 'ledger-repeat',
        subject,
        expected,
        found: event.seq,
        detail: `seq ${event.seq} comes after seq ${previous}: a sequence number is repeated`,
      });
    }
    previous = Math.max(previous, event.seq);
  });
  const last = events[events.length - 1]?.seq ?? 0;
  if (item.seq !== last) {
    differences.push({
      check: 'item-seq',
      subject: 'item.seq',
      expected: last,
      found: item.seq,
      detail: `the item says its last event is seq ${item.seq}, the ledger ends at seq ${last}`,
    });
  }
  return differences;
}

/** Every event's delta added up, gaps and repeats included: what the item's counters must be. */
export function foldLedger(events: readonly LedgerEvent[]): Counters {
  const state = { available: 0, reserved: 0, confirmed: 0 };
  for (const event of events) {
    for (const counter of COUNTERS) state[counter] += event.delta[counter];
  }
  return state;
}

function counterDifferences(item: InventoryItem, events: readonly LedgerEvent[]): AuditDifference[] {
  const replayed = foldLedger(events);
  return COUNTERS.filter((counter) => item[counter] !== replayed[counter]).map((counter) => ({
    check: 'replayed-counter',
    subject: `item.${counter}`,
    expected: replayed[counter],
    found: item[counter],
    detail: `the item's ${counter} is ${item[counter]}, its ledger replays to ${replayed[counter]}`,
  }));
}

function quantityOf(reservations: readonly Reservation[], status: 'held' | 'confirmed'): number {
  return reservations.filter((r) => r.status === status).reduce((sum, r) => sum + r.quantity, 0);
}

/** `reserved` is what the holds hold; `confirmed` is what the confirmed reservations took. */
function sumDifferences(item: InventoryItem, reservations: readonly Reservation[]): AuditDifference[] {
  const differences: AuditDifference[] = [];
  const heldSum = quantityOf(reservations, 'held');
  if (item.reserved !== heldSum) {
    differences.push({
      check: 'held-sum',
      subject: 'item.reserved',
      expected: heldSum,
      found: item.reserved,
      detail: `the item's reserved is ${item.reserved}, its held reservations add up to ${heldSum}`,
    });
  }
  const confirmedSum = quantityOf(reservations, 'confirmed');
  if (item.confirmed !== confirmedSum) {
    differences.push({
      check: 'confirmed-sum',
      subject: 'item.confirmed',
      expected: confirmedSum,
      found: item.confirmed,
      detail: `the item's confirmed is ${item.confirmed}, its confirmed reservations add up to ${confirmedSum}`,
    });
  }
  return differences;
}

/**
 * A held reservation's last status-moving event is its ReservationHeld, a confirmed one's its
 * ReservationConfirmed, each of the reservation's quantity: the decision is in the ledger, and nothing
 * after it moved the reservation on.
 */
function decisionDifferences(
  events: readonly LedgerEvent[],
  reservations: readonly Reservation[],
): AuditDifference[] {
  const lastMove = new Map<string, LedgerEvent>();
  for (const event of events) {
    if (event.reservationId !== null && STATUS_EVENTS.has(event.kind))
      lastMove.set(event.reservationId, event);
  }
  const differences: AuditDifference[] = [];
  for (const reservation of reservations) {
    const kind = decisionKind(reservation.status);
    if (kind === null) continue;
    const expected = `${kind} of ${reservation.quantity}`;
    const event = lastMove.get(reservation.id);
    const found = event ? `${event.kind} of ${event.quantity ?? 0} (seq ${event.seq})` : 'none';
    if (event?.kind === kind && event.quantity === reservation.quantity) continue;
    differences.push({
      check: 'decision-event',
      subject: `reservation ${reservation.id}`,
      expected,
      found,
      detail: `reservation ${reservation.id} is ${reservation.status} (${reservation.quantity}); its last ledger event should be ${expected}, found ${found}`,
    });
  }
  return differences;
}

function decisionKind(status: Reservation['status']): EventKind | null {
  switch (status) {
    case 'held':
      return 'ReservationHeld';
    case 'confirmed':
      return 'ReservationConfirmed';
    case 'rejected':
    case 'cancelled':
    case 'expired':
      return null;
  }
}

/** The tallies the processor trusts: kept while the item has a limit, counted under that limit. */
function currentTallies(item: InventoryItem, tallies: readonly UserTally[]): UserTally[] {
  if (!hasUserLimit(item)) return [];
  const since = item.limitSince ?? 0;
  return tallies.filter((t) => t.since === since);
}

function tallyDifferences(
  tallies: readonly UserTally[],
  reservations: readonly Reservation[],
): AuditDifference[] {
  const differences: AuditDifference[] = [];
  for (const tally of tallies) {
    const mine = reservations.filter((r) => r.userId === tally.userId);
    for (const field of ['held', 'confirmed'] as const) {
      const expected = quantityOf(mine, field);
      if (tally[field] === expected) continue;
      differences.push({
        check: 'tally',
        subject: `${tally.id}.${field}`,
        expected,
        found: tally[field],
        detail: `user ${tally.userId}'s tally says ${field} ${tally[field]}, their ${field} reservations add up to ${expected}`,
      });
    }
  }
  return differences;
}
