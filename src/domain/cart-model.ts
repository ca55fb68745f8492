import type { RejectionReason } from './model';

export const CART_STATUSES = ['pending', 'held', 'rejected', 'confirmed', 'cancelled', 'expired'] as const;
export type CartStatus = (typeof CART_STATUSES)[number];

/** A line is its reservation: pending until its item decides, then the reservation's own status. */
export type LineStatus = 'pending' | 'held' | 'rejected' | 'confirmed' | 'cancelled' | 'expired';
export type DecidedLineStatus = Exclude<LineStatus, 'pending'>;

/** Where the cart drives its lines: hold them all; release the held ones; confirm, cancel or expire them all. */
export type CartGoal = 'hold' | 'release' | 'confirm' | 'cancel' | 'expire';

export interface CartLine {
  inventoryId: string;
  quantity: number;
  reservationId: string;
  status: LineStatus;
  reason: RejectionReason | null;
}

export interface Cart {
  type: 'cart';
  id: string;
  cartId: string;
  userId: string;
  status: CartStatus;
  goal: CartGoal;
  lines: CartLine[];
  /** Every line's hold runs out here. */
  expiresAt: string;
  requestedAt: string;
  /**
   * The confirm or cancel asked of the cart, with when it was asked (the items judge a confirm by it).
   * A confirm asked while lines are still pending is carried out once every line is held.
   */
  asked: { action: 'confirm' | 'cancel'; requestedAt: string } | null;
  createdAt: string;
  updatedAt: string;
}

interface CartCommandBase {
  commandId: string;
  cartId: string;
  /** When the command was accepted (202), or when the item decided the line. */
  requestedAt: string;
}

export interface PlaceCartCommand extends CartCommandBase {
  type: 'PlaceCart';
  userId: string;
  expiresAt: string;
  lines: { inventoryId: string; quantity: number; reservationId: string }[];
}
/** Sent by an item's processor once a line command's decision is committed: the reservation as it is now. */
export interface LineDecidedCommand extends CartCommandBase {
  type: 'LineDecided';
  reservationId: string;
  status: DecidedLineStatus;
  reason: RejectionReason | null;
}
export interface ConfirmCartCommand extends CartCommandBase {
  type: 'ConfirmCart';
}
export interface CancelCartCommand extends CartCommandBase {
  type: 'CancelCart';
}
/** Scheduled at expiresAt when the cart is placed. */
export interface ExpireCartCommand extends CartCommandBase {
  type: 'ExpireCart';
  expiresAt: string;
}

export type CartCommand =
  PlaceCartCommand | LineDecidedCommand | ConfirmCartCommand | CancelCartCommand | ExpireCartCommand;
export const CART_COMMAND_TYPES = [
  'PlaceCart',
  'LineDecided',
  'ConfirmCart',
  'CancelCart',
  'ExpireCart',
] as const satisfies readonly CartCommand['type'][];

/** Carts live in partitions (and queue sessions) of their own; item ids cannot contain ':'. */
export function cartPartition(cartId: string): string {
  return `cart:${cartId}`;
}

export function cartIdOfSession(sessionId: string): string | null {
  return sessionId.startsWith('cart:') ? sessionId.slice('cart:'.length) : null;
}
