export const RESERVATION_STATUSES = ['held', 'rejected', 'confirmed', 'cancelled', 'expired'] as const;
export type ReservationStatus = (typeof RESERVATION_STATUSES)[number];

/** What the API shows: `pending` exists only until the decision is recorded and is never stored. */
export type ReservationView = ReservationStatus | 'pending';

export const REJECTION_REASONS = [
  'INSUFFICIENT_STOCK',
  'INVENTORY_NOT_FOUND',
  'RESERVATION_NOT_FOUND',
  'HOLD_NOT_ACTIVE',
  'HOLD_EXPIRED',
  'USER_LIMIT_EXCEEDED',
  /** A cart's line is confirmed, cancelled and expired by its cart, never on its own. */
  'PART_OF_CART',
] as const;
export type RejectionReason = (typeof REJECTION_REASONS)[number];

export interface Counters {
  available: number;
  reserved: number;
  confirmed: number;
}

export interface InventoryItem extends Counters {
  type: 'inventory';
  id: string;
  inventoryId: string;
  name: string;
  /** Sequence number of the last ledger event of this item. */
  seq: number;
  /** Most a user may hold plus have confirmed of this item; absent or null: no limit. */
  maxPerUser?: number | null;
  /** The sequence number at which the current limit was set: tallies from an earlier limit are rebuilt. */
  limitSince?: number | null;
  createdAt: string;
  updatedAt: string;
}

export interface Reservation {
  type: 'reservation';
  id: string;
  inventoryId: string;
  quantity: number;
  userId: string;
  status: ReservationStatus;
  reason: RejectionReason | null;
  /** When the hold runs out; null for a rejected reservation, which never held anything. */
  expiresAt: string | null;
  requestedAt: string;
  decidedAt: string;
  updatedAt: string;
  commandId: string;
  /** Set on a cart's line: only that cart confirms, cancels or expires it. */
  cartId?: string;
}

/** What one user holds and has confirmed of one item, kept while the item has a per-user limit. */
export interface UserTally {
  type: 'tally';
  id: string;
  inventoryId: string;
  userId: string;
  held: number;
  confirmed: number;
  /** The item's `limitSince` this tally was counted under. */
  since: number;
  updatedAt: string;
}

export const EVENT_KINDS = [
  'ItemCreated',
  'StockSet',
  'StockAdjusted',
  'AdjustmentRejected',
  'ReservationHeld',
  'ReservationRejected',
  'ReservationConfirmed',
  'ConfirmRejected',
  'ReservationCancelled',
  'CancelRejected',
  'HoldExpired',
] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

export interface LedgerEvent {
  type: 'event';
  id: string;
  inventoryId: string;
  seq: number;
  kind: EventKind;
  commandId: string;
  reservationId: string | null;
  quantity: number | null;
  /** Change of each counter; stock added by this event is the sum of the three. */
  delta: Counters;
  reason: RejectionReason | null;
  note: string | null;
  at: string;
}

/**
 * A ledger page: the events one committed batch appended, in sequence, in one document (one write instead of
 * one per event). Its `seq` is its first event's, so pages list in ledger order. The item's ETag, replaced in
 * the same batch, is what keeps two writers from appending at the same place.
 */
export interface LedgerPage {
  type: 'ledger-page';
  id: string;
  inventoryId: string;
  /** The first event's sequence number. */
  seq: number;
  events: LedgerEvent[];
}

/** Written with the decision of every command other than Reserve, so a redelivery hits 409. */
export interface CommandMarker {
  type: 'command';
  id: string;
  inventoryId: string;
  commandId: string;
  commandType: CommandType;
  outcome: 'applied' | 'rejected';
  reason: RejectionReason | null;
  reservationId: string | null;
  requestedAt: string;
  decidedAt: string;
  /** Seconds until the store may drop the marker (Cosmos DB per-item TTL). */
  ttl: number;
}

interface CommandBase {
  commandId: string;
  inventoryId: string;
  /** When the command was accepted (202). */
  requestedAt: string;
}

/** A cart's line commands carry its id: the item tells the cart what became of the line. */
interface LineOfCart {
  cartId?: string;
}

export interface ReserveCommand extends CommandBase, LineOfCart {
  type: 'Reserve';
  reservationId: string;
  quantity: number;
  userId: string;
  expiresAt: string;
}
export interface ConfirmCommand extends CommandBase, LineOfCart {
  type: 'Confirm';
  reservationId: string;
}
export interface CancelCommand extends CommandBase, LineOfCart {
  type: 'Cancel';
  reservationId: string;
}
export interface ExpireHoldCommand extends CommandBase, LineOfCart {
  type: 'ExpireHold';
  reservationId: string;
  expiresAt: string;
}
export interface AdjustCommand extends CommandBase {
  type: 'Adjust';
  delta: number;
  reason: string;
}

export type Command = ReserveCommand | ConfirmCommand | CancelCommand | ExpireHoldCommand | AdjustCommand;
export type CommandType = Command['type'];
export const COMMAND_TYPES = [
  'Reserve',
  'Confirm',
  'Cancel',
  'ExpireHold',
  'Adjust',
] as const satisfies readonly CommandType[];

export const ZERO: Counters = { available: 0, reserved: 0, confirmed: 0 };
