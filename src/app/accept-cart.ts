import type { CartCommand, PlaceCartCommand } from '../domain/cart-model';
import type { Command, ReserveCommand } from '../domain/model';
import { accept, type AcceptDeps, type TraceContext } from './accept';
import { LIMITS } from './command-schema';
import { newId } from './ids';

/** Cart ids carry their issue time and a check over this scope, as reservation ids do over their item. */
export const CART_ID_SCOPE = 'carts';

export interface CartInput {
  userId: string;
  holdSeconds?: number | undefined;
  lines: { inventoryId: string; quantity: number }[];
}

export interface AcceptedCart {
  cartId: string;
  userId: string;
  expiresAt: string;
  acceptedAt: string;
  lines: { inventoryId: string; quantity: number; reservationId: string }[];
}

/**
 * A cart is accepted as one send: its PlaceCart into the cart's session, one Reserve per line (carrying
 * the cart id) into each item's session, and its ExpireCart scheduled at expiresAt. PlaceCart is first
 * in the cart's session, so every line report finds the cart there.
 */
export function acceptCart(deps: AcceptDeps, input: CartInput, key?: string, trace?: TraceContext) {
  return accept<AcceptedCart>(deps, 'cart', input, key, trace, (now) => {
    const requestedAt = now.toISOString();
    const expiresAt = new Date(now.getTime() + (input.holdSeconds ?? LIMITS.defaultHoldSeconds) * 1000);
    const cartId = newId('k', now, CART_ID_SCOPE);
    const lines = input.lines.map((l) => ({ ...l, reservationId: newId('r', now, l.inventoryId) }));
    const base = { cartId, requestedAt };
    const place: PlaceCartCommand = {
      ...base,
      type: 'PlaceCart',
      commandId: `${cartId}.place`,
      userId: input.userId,
      expiresAt: expiresAt.toISOString(),
      lines,
    };
    const reserves = lines.map((l): ReserveCommand => ({
      type: 'Reserve',
      commandId: newId('c', now, l.inventoryId),
      inventoryId: l.inventoryId,
      requestedAt,
      reservationId: l.reservationId,
      quantity: l.quantity,
      userId: input.userId,
      expiresAt: place.expiresAt,
      cartId,
    }));
    const expire: CartCommand = {
      ...base,
      type: 'ExpireCart',
      commandId: `${cartId}.expire`,
      expiresAt: place.expiresAt,
    };
    const commands: { command: Command | CartCommand; at: Date | undefined }[] = [
      { command: place, at: undefined },
      ...reserves.map((command) => ({ command, at: undefined })),
      { command: expire, at: expiresAt },
    ];
    return {
      accepted: { cartId, userId: input.userId, expiresAt: place.expiresAt, acceptedAt: requestedAt, lines },
      commands,
    };
  });
}

/** Confirm or cancel a cart: one message into the cart's session; the cart moves every line. */
export function acceptCartSettle(
  deps: AcceptDeps,
  type: 'ConfirmCart' | 'CancelCart',
  cartId: string,
  key?: string,
  trace?: TraceContext,
) {
  return accept<{ cartId: string; acceptedAt: string }>(deps, type, { cartId }, key, trace, (now) => {
    const command: CartCommand = {
      type,
      commandId: newId('c', now, CART_ID_SCOPE),
      cartId,
      requestedAt: now.toISOString(),
    };
    return { accepted: { cartId, acceptedAt: command.requestedAt }, commands: [{ command, at: undefined }] };
  });
}
