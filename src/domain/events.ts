import { eventId, ledgerPageId } from './ids';
import type { Counters, EventKind, InventoryItem, LedgerEvent, LedgerPage, RejectionReason } from './model';

export interface EventDraft {
  kind: EventKind;
  delta: Counters;
  reservationId?: string;
  quantity?: number;
  reason?: RejectionReason;
  note?: string;
}

export function delta(available: number, reserved = 0, confirmed = 0): Counters {
  return { available, reserved, confirmed };
}

/**
 * Appends events to an item: each gets the next sequence number and moves the counters by its delta,
 * so the item document is by construction the fold of its ledger.
 */
export function applyEvents(
  item: InventoryItem,
  drafts: readonly EventDraft[],
  commandId: string,
  now: string,
): { item: InventoryItem; events: LedgerEvent[] } {
  let next = item;
  const events: LedgerEvent[] = [];
  for (const draft of drafts) {
    const seq = next.seq + 1;
    next = {
      ...next,
      seq,
      available: next.available + draft.delta.available,
      reserved: next.reserved + draft.delta.reserved,
      confirmed: next.confirmed + draft.delta.confirmed,
      updatedAt: now,
    };
    events.push({
      type: 'event',
      id: eventId(seq),
      inventoryId: item.inventoryId,
      seq,
      kind: draft.kind,
      commandId,
      reservationId: draft.reservationId ?? null,
      quantity: draft.quantity ?? null,
      delta: draft.delta,
      reason: draft.reason ?? null,
      note: draft.note ?? null,
      at: now,
    });
  }
  return { item: next, events };
}

/** Folds a ledger (in sequence order) into counters; throws on a gap, which would mean a lost event. */
export function replayLedger(events: readonly LedgerEvent[]): Counters & { seq: number } {
  const state = { available: 0, reserved: 0, confirmed: 0, seq: 0 };
  for (const event of events) {
    if (event.seq !== state.seq + 1) {
      throw new Error(`ledger gap: expected seq ${state.seq + 1}, found ${event.seq}`);
    }
    state.seq = event.seq;
    state.available += event.delta.available;
    state.reserved += event.delta.reserved;
    state.confirmed += event.delta.confirmed;
  }
  return state;
}

/** Stock brought in by an event (creation, set, adjustment); reservations only move stock. */
export function stockAdded(event: LedgerEvent): number {
  return event.delta.available + event.delta.reserved + event.delta.confirmed;
}

/** The events of one batch as one page; they must be consecutive (what applyEvents appends). */
export function ledgerPage(events: readonly LedgerEvent[]): LedgerPage {
  const first = events[0];
  if (!first) throw new Error('a ledger page holds at least one event');
  events.forEach((event, i) => {
    if (event.seq !== first.seq + i || event.inventoryId !== first.inventoryId)
      throw new Error(`ledger page: event ${i} has seq ${event.seq}, expected ${first.seq + i}`);
  });
  return {
    type: 'ledger-page',
    id: ledgerPageId(first.seq),
    inventoryId: first.inventoryId,
    seq: first.seq,
    events: [...events],
  };
}

/**
 * The ledger in sequence order from what the store holds: events written one document each (before pages)
 * and pages. Every event of a page comes after every single event (pages replaced them), but both are
 * sorted by sequence so the order never depends on that.
 */
export function ledgerEvents(singles: readonly LedgerEvent[], pages: readonly LedgerPage[]): LedgerEvent[] {
  return [...singles, ...pages.flatMap((page) => page.events)].sort((a, b) => a.seq - b.seq);
}
