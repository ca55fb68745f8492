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
  UserTally,
} from './model';
import { changeTally, hasUserLimit, used } from './tally';

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
      /** The user's tally to write, when the item limits what one user may take. */
      tally: UserTally | null;
    }
  /** Nothing to write: a duplicate Reserve, or an ExpireHold for a hold that is no longer active. */
  | { kind: 'noop'; why: 'duplicate' | 'hold-not-active' };

export interface DecisionInput<C extends Command = Command> {
  item: InventoryItem | null;
  reservation: Reservation | null;
  /**
   * The tally of the user the command is about, counted under the item's current limit; absent or null
   * when the item has no limit.
   */
  tally?: UserTally | null;
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

export function decideReserve({
  item,
  reservation,
  tally,
  command,
  now,
}: DecisionInput<ReserveCommand>): Decision {
  if (reservation) return { kind: 'noop', why: 'duplicate' };
  const base = newReservation(command, now);
  if (!item)
    return rejectedWithoutItem('INVENTORY_NOT_FOUND', rejectedReservation(base, 'INVENTORY_NOT_FOUND'));
  const reason = reserveRefusal(item, tally ?? null, command, now);
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
      tally: null,
    };
  }
  const draft: EventDraft = {
    kind: 'ReservationHeld',
    delta: delta(-q, q),
    reservationId: base.id,
    quantity: q,
  };
  const next = applyEvents(item, [draft], command.commandId, now);
  return {
    kind: 'applied',
    reason: null,
    item: next.item,
    reservation: base,
    events: next.events,
    tally: changeTally(item, tally ?? null, command.userId, { held: q }, now),
  };
}

function newReservation(command: ReserveCommand, now: string): Reservation {
  return {
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
    ...(command.cartId !== undefined ? { cartId: command.cartId } : {}),
  };
}

/** Why a Reserve cannot hold, checked in this order; null when it can. */
function reserveRefusal(
  item: InventoryItem,
  tally: UserTally | null,
  command: ReserveCommand,
  now: string,
): RejectionReason | null {
  if (now >= command.expiresAt) return 'HOLD_EXPIRED';
  if (hasUserLimit(item) && used(tally) + command.quantity > item.maxPerUser) return 'USER_LIMIT_EXCEEDED';
  if (item.available < command.quantity) return 'INSUFFICIENT_STOCK';
  return null;
}

export function decideConfirm(input: DecisionInput<ConfirmCommand>): Decision {
  return settleHold(input, 'confirmed');
}

export function decideCancel(input: DecisionInput<CancelCommand>): Decision {
  return settleHold(input, 'cancelled');
}

/** Confirm and cancel share their guards: the hold must exist, be held, and not have run out. */
function settleHold(
  { item, reservation, tally, command, now }: DecisionInput<ConfirmCommand | CancelCommand>,
  target: 'confirmed' | 'cancelled',
): Decision {
  if (!item) return rejectedWithoutItem('INVENTORY_NOT_FOUND', null);
  const reject = (reason: RejectionReason, extra: EventDraft[] = [], res: Reservation | null = null) =>
    rejectSettle({ item, tally: tally ?? null, command, now }, target, reason, extra, res);
  if (!reservation) return reject('RESERVATION_NOT_FOUND');
  if (reservation.cartId !== command.cartId) return reject('PART_OF_CART');
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
    tally: changeTally(
      item,
      tally ?? null,
      reservation.userId,
      target === 'confirmed' ? { held: -q, confirmed: q } : { held: -q },
      now,
    ),
  };
}

interface SettleInput {
  item: InventoryItem;
  tally: UserTally | null;
  command: ConfirmCommand | CancelCommand;
  now: string;
}

/** A refused confirm or cancel: its rejection event, after the release of a hold that ran out. */
function rejectSettle(
  { item, tally, command, now }: SettleInput,
  target: 'confirmed' | 'cancelled',
  reason: RejectionReason,
  extra: EventDraft[],
  expired: Reservation | null,
): Decision {
  const kind = target === 'confirmed' ? 'ConfirmRejected' : 'CancelRejected';
  const drafts: EventDraft[] = [
    ...extra,
    { kind, delta: delta(0), reservationId: command.reservationId, reason },
  ];
  const next = applyEvents(item, drafts, command.commandId, now);
  return {
    kind: 'rejected',
    reason,
    item: next.item,
    reservation: expired,
    events: next.events,
    // Only an expiry moves stock here: the hold's units go back and leave the user's tally.
    tally: expired ? changeTally(item, tally, expired.userId, { held: -expired.quantity }, now) : null,
  };
}

export function decideExpireHold({
  item,
  reservation,
  tally,
  command,
  now,
}: DecisionInput<ExpireHoldCommand>): Decision {
  // Scheduled at expiresAt into the same session: whatever happened to the hold before wins.
  if (!item || !reservation || reservation.status !== 'held') return { kind: 'noop', why: 'hold-not-active' };
  if (reservation.cartId !== command.cartId) return { kind: 'noop', why: 'hold-not-active' };
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
    tally: changeTally(item, tally ?? null, reservation.userId, { held: -q }, now),
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
      tally: null,
    };
  }
  const draft: EventDraft = {
    kind: 'StockAdjusted',
    delta: delta(command.delta),
    quantity: command.delta,
    note: command.reason,
  };
  const next = applyEvents(item, [draft], command.commandId, now);
  return {
    kind: 'applied',
    reason: null,
    item: next.item,
    reservation: null,
    events: next.events,
    tally: null,
  };
}

/** A rejected reservation never held stock, so nothing of it expires: no future expiresAt to show. */
function rejectedReservation(base: Reservation, reason: RejectionReason): Reservation {
  return { ...base, status: 'rejected', reason, expiresAt: null };
}

function rejectedWithoutItem(reason: RejectionReason, reservation: Reservation | null): Decision {
  return { kind: 'rejected', reason, item: null, reservation, events: [], tally: null };
}

export function assertNever(value: never): never {
  throw new Error(`unexpected value: ${JSON.stringify(value)}`);
}
