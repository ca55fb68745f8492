import { applyEvents, delta, type EventDraft } from './events';
import type {
  AdjustCommand,
  CancelCommand,
  Command,
  ConfirmCommand,
  ExpireHoldCommand,
  InventoryItem,
  LedgerEvent,
  RejectionReason,
  Reservation,
  ReserveCommand,
} from './model';

/**
 * The outcome of deciding one command against the item and reservation as they are now.
 * `item`/`reservation` are the next states to write (null/undefined: unchanged or absent).
 */
export type Decision =
  | {
      kind: 'applied' | 'rejected';
      reason: RejectionReason | null;
      item: InventoryItem | null;
      reservation: Reservation | null;
      events: LedgerEvent[];
    }
  /** Nothing to write: a duplicate Reserve, or an ExpireHold for a hold that is no longer active. */
  | { kind: 'noop'; why: 'duplicate' | 'hold-not-active' };

export interface DecisionInput<C extends Command = Command> {
  item: InventoryItem | null;
  reservation: Reservation | null;
  command: C;
  now: string;
}

export function decide(input: DecisionInput): Decision {
  const { command } = input;
  switch (command.type) {
    case 'Reserve':
      return decideReserve({ ...input, command });
    case 'Confirm':
      return decideConfirm({ ...input, command });
    case 'Cancel':
      return decideCancel({ ...input, command });
    case 'ExpireHold':
      return decideExpireHold({ ...input, command });
    case 'Adjust':
      return decideAdjust({ ...input, command });
    default:
      return assertNever(command);
  }
}

export function decideReserve({ item, reservation, command, now }: DecisionInput<ReserveCommand>): Decision {
  if (reservation) return { kind: 'noop', why: 'duplicate' };
  const base: Reservation = {
    type: 'reservation',
    id: command.reservationId,
    inventoryId: command.inventoryId,
    quantity: command.quantity,
    userId: command.userId,
    status: 'held',
    reason: null,
    expiresAt: command.expiresAt,
    requestedAt: command.requestedAt,
    decidedAt: now,
    updatedAt: now,
    commandId: command.commandId,
  };
  if (!item)
    return rejectedWithoutItem('INVENTORY_NOT_FOUND', rejectedReservation(base, 'INVENTORY_NOT_FOUND'));
  const reason: RejectionReason | null =
    now >= command.expiresAt
      ? 'HOLD_EXPIRED'
      : item.available < command.quantity
        ? 'INSUFFICIENT_STOCK'
        : null;
  const q = command.quantity;
  if (reason) {
    const draft: EventDraft = {
      kind: 'ReservationRejected',
      delta: delta(0),
      reservationId: base.id,
      quantity: q,
      reason,
    };
    const next = applyEvents(item, [draft], command.commandId, now);
    return {
      kind: 'rejected',
      reason,
      item: next.item,
      reservation: rejectedReservation(base, reason),
      events: next.events,
    };
  }
  const draft: EventDraft = {
    kind: 'ReservationHeld',
    delta: delta(-q, q),
    reservationId: base.id,
    quantity: q,
  };
  const next = applyEvents(item, [draft], command.commandId, now);
  return { kind: 'applied', reason: null, item: next.item, reservation: base, events: next.events };
}

export function decideConfirm(input: DecisionInput<ConfirmCommand>): Decision {
  return settleHold(input, 'confirmed');
}

export function decideCancel(input: DecisionInput<CancelCommand>): Decision {
  return settleHold(input, 'cancelled');
}

/** Confirm and cancel share their guards: the hold must exist, be held, and not have run out. */
function settleHold(
  { item, reservation, command, now }: DecisionInput<ConfirmCommand | CancelCommand>,
  target: 'confirmed' | 'cancelled',
): Decision {
  if (!item) return rejectedWithoutItem('INVENTORY_NOT_FOUND', null);
  const rejectedKind = target === 'confirmed' ? 'ConfirmRejected' : 'CancelRejected';
  const reject = (
    reason: RejectionReason,
    extra: EventDraft[] = [],
    res: Reservation | null = null,
  ): Decision => {
    const drafts: EventDraft[] = [
      ...extra,
      { kind: rejectedKind, delta: delta(0), reservationId: command.reservationId, reason },
    ];
    const next = applyEvents(item, drafts, command.commandId, now);
    return { kind: 'rejected', reason, item: next.item, reservation: res, events: next.events };
  };
  if (!reservation) return reject('RESERVATION_NOT_FOUND');
  // An expired hold says so, whether its ExpireHold was decided before this command or not.
  if (reservation.status === 'expired') return reject('HOLD_EXPIRED');
  if (reservation.status !== 'held') return reject('HOLD_NOT_ACTIVE');
  const q = reservation.quantity;
  // Judged by when the caller asked, so a backlog cannot turn a timely confirm into an expiry.
  if (reservation.expiresAt !== null && command.requestedAt >= reservation.expiresAt) {
    const expired: Reservation = {
      ...reservation,
      status: 'expired',
      reason: 'HOLD_EXPIRED',
      updatedAt: now,
    };
    const release: EventDraft = {
      kind: 'HoldExpired',
      delta: delta(q, -q),
      reservationId: reservation.id,
      quantity: q,
    };
    return reject('HOLD_EXPIRED', [release], expired);
  }
  const draft: EventDraft =
    target === 'confirmed'
      ? { kind: 'ReservationConfirmed', delta: delta(0, -q, q), reservationId: reservation.id, quantity: q }
      : { kind: 'ReservationCancelled', delta: delta(q, -q), reservationId: reservation.id, quantity: q };
  const next = applyEvents(item, [draft], command.commandId, now);
  return {
    kind: 'applied',
    reason: null,
    item: next.item,
    reservation: { ...reservation, status: target, updatedAt: now },
    events: next.events,
  };
}

export function decideExpireHold({
  item,
  reservation,
  command,
  now,
}: DecisionInput<ExpireHoldCommand>): Decision {
  // Scheduled at expiresAt into the same session: whatever happened to the hold before wins.
  if (!item || !reservation || reservation.status !== 'held') return { kind: 'noop', why: 'hold-not-active' };
  const q = reservation.quantity;
  const draft: EventDraft = {
    kind: 'HoldExpired',
    delta: delta(q, -q),
    reservationId: reservation.id,
    quantity: q,
  };
  const next = applyEvents(item, [draft], command.commandId, now);
  return {
    kind: 'applied',
    reason: null,
    item: next.item,
    reservation: { ...reservation, status: 'expired', reason: 'HOLD_EXPIRED', updatedAt: now },
    events: next.events,
  };
}

export function decideAdjust({ item, command, now }: DecisionInput<AdjustCommand>): Decision {
  if (!item) return rejectedWithoutItem('INVENTORY_NOT_FOUND', null);
  if (item.available + command.delta < 0) {
    const draft: EventDraft = {
      kind: 'AdjustmentRejected',
      delta: delta(0),
      quantity: command.delta,
      reason: 'INSUFFICIENT_STOCK',
      note: command.reason,
    };
    const next = applyEvents(item, [draft], command.commandId, now);
    return {
      kind: 'rejected',
      reason: 'INSUFFICIENT_STOCK',
      item: next.item,
      reservation: null,
      events: next.events,
    };
  }
  const draft: EventDraft = {
    kind: 'StockAdjusted',
    delta: delta(command.delta),
    quantity: command.delta,
    note: command.reason,
  };
  const next = applyEvents(item, [draft], command.commandId, now);
  return { kind: 'applied', reason: null, item: next.item, reservation: null, events: next.events };
}

/** A rejected reservation never held stock, so nothing of it expires: no future expiresAt to show. */
function rejectedReservation(base: Reservation, reason: RejectionReason): Reservation {
  return { ...base, status: 'rejected', reason, expiresAt: null };
}

function rejectedWithoutItem(reason: RejectionReason, reservation: Reservation | null): Decision {
  return { kind: 'rejected', reason, item: null, reservation, events: [] };
}

export function assertNever(value: never): never {
  throw new Error(`unexpected value: ${JSON.stringify(value)}`);
}
