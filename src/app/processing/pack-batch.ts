import { ledgerPage } from '../../domain/events';
import type { InventoryItem, LedgerEvent, Reservation, UserTally } from '../../domain/model';
import type { BatchOperation, Versioned } from '../../ports/store';
import type { Decided } from './decide-in-order';
import type { TallyState } from './load';

/** Why an operation is in the batch: a failure at it is read by what it is, not by its document. */
export type OperationRole =
  | { of: 'item' }
  | { of: 'reservation'; command: number; doc: Reservation }
  | { of: 'tally'; doc: UserTally }
  /** The batch's ledger page: all its events in one document. */
  | { of: 'ledger-page' }
  | { of: 'marker'; command: number };

export interface Batch {
  operations: BatchOperation[];
  /** One per operation, at the same position. */
  roles: OperationRole[];
  /** The decisions this batch settles, in order (those without writes included). */
  settled: Decided[];
  /** The item as the batch leaves it, when the batch replaces it. */
  item: InventoryItem | null;
}

export interface PackLimits {
  maxOperations: number;
  /** Kept so a rejected reservation answers for a while, then goes: junk must not pile up. */
  rejectedTtlSeconds: number;
}

interface Base {
  item: Versioned<InventoryItem> | null;
  reservations: ReadonlyMap<string, Versioned<Reservation> | null>;
  tallies: ReadonlyMap<string, TallyState>;
}

/**
 * Packs decisions, in order, into one atomic batch (pure): as many as fit under the operation limit. The
 * item is replaced once under its ETag with its last state; each reservation is written once with its last
 * state (created, or replaced under its ETag), and so is each user's tally; the batch's events go into one
 * ledger page, and every marker is created.
 */
export function packBatch(decided: readonly Decided[], base: Base, limits: PackLimits): Batch {
  let item: InventoryItem | null = null;
  const reservations = new Map<string, { doc: Reservation; command: number }>();
  const tallies = new Map<string, UserTally>();
  const events: LedgerEvent[] = [];
  const markers: { op: BatchOperation; role: OperationRole }[] = [];
  const settled: Decided[] = [];
  const count = () =>
    (item ? 1 : 0) + reservations.size + tallies.size + (events.length > 0 ? 1 : 0) + markers.length;

  for (const step of decided) {
    const w = step.writes;
    if (w) {
      const added =
        (w.item && !item ? 1 : 0) +
        (w.reservation && !reservations.has(w.reservation.id) ? 1 : 0) +
        (w.tally && !tallies.has(w.tally.userId) ? 1 : 0) +
        (w.events.length > 0 && events.length === 0 ? 1 : 0) +
        (w.marker ? 1 : 0);
      if (count() + added > limits.maxOperations) break;
      if (w.item) item = w.item;
      if (w.reservation) {
        const first = reservations.get(w.reservation.id)?.command ?? step.index;
        reservations.set(w.reservation.id, { doc: w.reservation, command: first });
      }
      if (w.tally) tallies.set(w.tally.userId, w.tally);
      events.push(...w.events);
      if (w.marker)
        markers.push({ op: { op: 'create', doc: w.marker }, role: { of: 'marker', command: step.index } });
    }
    settled.push(step);
  }

  const operations: BatchOperation[] = [];
  const roles: OperationRole[] = [];
  if (item && base.item) {
    operations.push({ op: 'replace', doc: item, ifMatch: base.item.etag });
    roles.push({ of: 'item' });
  }
  writeRows(reservations, tallies, base, limits, operations, roles);
  if (events.length > 0) {
    operations.push({ op: 'create', doc: ledgerPage(events) });
    roles.push({ of: 'ledger-page' });
  }
  for (const marker of markers) {
    operations.push(marker.op);
    roles.push(marker.role);
  }
  return { operations, roles, settled, item: item && base.item ? item : null };
}

/** Each reservation and tally once, with its last state: created, or replaced under its ETag. */
function writeRows(
  reservations: ReadonlyMap<string, { doc: Reservation; command: number }>,
  tallies: ReadonlyMap<string, UserTally>,
  base: Base,
  limits: PackLimits,
  operations: BatchOperation[],
  roles: OperationRole[],
): void {
  for (const [id, { doc, command }] of reservations) {
    const stored = doc.status === 'rejected' ? { ...doc, ttl: limits.rejectedTtlSeconds } : doc;
    const existing = base.reservations.get(id);
    operations.push(
      existing ? { op: 'replace', doc: stored, ifMatch: existing.etag } : { op: 'create', doc: stored },
    );
    roles.push({ of: 'reservation', command, doc });
  }
  for (const [userId, doc] of tallies) {
    const etag = base.tallies.get(userId)?.etag ?? null;
    operations.push(etag ? { op: 'replace', doc, ifMatch: etag } : { op: 'create', doc });
    roles.push({ of: 'tally', doc });
  }
}
