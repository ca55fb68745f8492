import { assertNever } from './decide';
import type {
  Cart,
  CartCommand,
  CartGoal,
  CartLine,
  CartStatus,
  LineDecidedCommand,
  LineStatus,
  PlaceCartCommand,
} from './cart-model';
import type { CancelCommand, ConfirmCommand, ExpireHoldCommand } from './model';

export type LineCommand = ConfirmCommand | CancelCommand | ExpireHoldCommand;

/** The cart after a command (null: the command changes nothing) and the line commands to send. */
export interface CartDecision {
  cart: Cart | null;
  send: LineCommand[];
}

const NOTHING: CartDecision = { cart: null, send: [] };

/**
 * Decides one command of a cart's session (pure). Each line is a reservation in its item's session; the
 * cart records what the items decided, in order, and once every line is held or one could not be, moves
 * them all one way: confirm, cancel or expire every line, or release the held ones of a cart that failed.
 */
export function decideCart(cart: Cart | null, command: CartCommand, now: string): CartDecision {
  if (command.type === 'PlaceCart') return cart ? NOTHING : { cart: placed(command, now), send: [] };
  if (!cart) return NOTHING; // only PlaceCart starts a session, so this is a message of another cart id
  switch (command.type) {
    case 'LineDecided':
      return lineDecided(cart, command, now);
    case 'ConfirmCart':
    case 'CancelCart': {
      if (cart.goal !== 'hold' || cart.asked) return NOTHING;
      const asked = {
        action: command.type === 'ConfirmCart' ? 'confirm' : 'cancel',
        requestedAt: command.requestedAt,
      } as const;
      const next: Cart = { ...cart, asked, updatedAt: now };
      // A confirm asked while lines are pending waits until every line is held; a cancel does not.
      if (cart.status === 'held' || asked.action === 'cancel')
        return steer(next, settleGoal(next, asked), now);
      return recount(next);
    }
    case 'ExpireCart':
      // Whatever was asked before the expiry wins; otherwise every line goes, held or still pending (a
      // pending line's Reserve, decided after expiresAt, is rejected HOLD_EXPIRED by its item).
      if (cart.goal !== 'hold' || cart.asked) return NOTHING;
      return steer(cart, 'expire', now);
    default:
      return assertNever(command);
  }
}

function placed(command: PlaceCartCommand, now: string): Cart {
  return {
    type: 'cart',
    id: command.cartId,
    cartId: command.cartId,
    userId: command.userId,
    status: 'pending',
    goal: 'hold',
    lines: command.lines.map((l) => ({ ...l, status: 'pending', reason: null })),
    expiresAt: command.expiresAt,
    requestedAt: command.requestedAt,
    asked: null,
    createdAt: now,
    updatedAt: now,
  };
}

/** A confirm asked before the holds run out confirms every line; one asked at or after, none. */
function settleGoal(cart: Cart, asked: NonNullable<Cart['asked']>): CartGoal {
  if (asked.action === 'cancel') return 'cancel';
  return asked.requestedAt < cart.expiresAt ? 'confirm' : 'expire';
}

function lineDecided(cart: Cart, command: LineDecidedCommand, now: string): CartDecision {
  const index = cart.lines.findIndex((l) => l.reservationId === command.reservationId);
  const line = cart.lines[index];
  if (!line || (line.status === command.status && line.reason === command.reason)) return NOTHING;
  const lines = cart.lines.map((l, i): CartLine =>
    i === index ? { ...l, status: command.status, reason: command.reason } : l,
  );
  const next: Cart = { ...cart, lines, updatedAt: now };
  if (next.goal !== 'hold') {
    // Held after the cart turned (a cancel or expiry while it was pending): the line follows the rest.
    const follow = outstanding(next, now).filter((c) => c.reservationId === line.reservationId);
    return { cart: withStatus(next), send: follow };
  }
  if (lines.some((l) => l.status === 'pending')) return recount(next);
  // Every line is decided: all held, or at least one could not be and the held ones go back.
  if (lines.some((l) => l.status !== 'held')) return steer(next, 'release', now);
  if (next.asked) return steer(next, settleGoal(next, next.asked), now);
  return recount(next);
}

function steer(cart: Cart, goal: CartGoal, now: string): CartDecision {
  const next = withStatus({ ...cart, goal, updatedAt: now });
  return { cart: next, send: outstanding(next, now) };
}

function recount(cart: Cart): CartDecision {
  return { cart: withStatus(cart), send: [] };
}

function withStatus(cart: Cart): Cart {
  return { ...cart, status: statusOf(cart) };
}

function statusOf(cart: Cart): CartStatus {
  const all = (status: LineStatus) => cart.lines.every((l) => l.status === status);
  switch (cart.goal) {
    case 'hold':
      return all('held') ? 'held' : 'pending';
    case 'release':
      return cart.lines.some((l) => l.status === 'held' || l.status === 'pending') ? 'pending' : 'rejected';
    case 'confirm':
      return all('confirmed') ? 'confirmed' : 'held';
    case 'cancel':
    case 'expire':
      // Decided once no line is held or pending; a line that was never held stays rejected.
      if (cart.lines.some((l) => l.status === 'pending')) return 'pending';
      if (cart.lines.some((l) => l.status === 'held')) return 'held';
      return cart.goal === 'cancel' ? 'cancelled' : 'expired';
    default:
      return assertNever(cart.goal);
  }
}

/**
 * The line commands the goal still needs: sent when the goal is set, and again when a cart message is
 * redelivered (the send may not have happened). Their ids are fixed per line and goal, so a repeat is a
 * duplicate to the queue and to the item.
 */
export function outstanding(cart: Cart, now: string): LineCommand[] {
  const goal = cart.goal;
  if (goal === 'hold') return [];
  return cart.lines.flatMap((line, i): LineCommand[] => {
    // Held lines, and for a cancel or an expiry the pending ones too: an item's session is FIFO, so the
    // command lands after the line's Reserve and ends the hold it may make.
    const reach = goal === 'cancel' || goal === 'expire' ? ['held', 'pending'] : ['held'];
    if (!reach.includes(line.status)) return [];
    const base = {
      inventoryId: line.inventoryId,
      reservationId: line.reservationId,
      cartId: cart.cartId,
    };
    switch (goal) {
      case 'confirm':
        return [
          { ...base, type: 'Confirm', commandId: `${cart.cartId}.${i}.c`, requestedAt: askedAt(cart, now) },
        ];
      case 'release':
      case 'cancel':
        return [
          { ...base, type: 'Cancel', commandId: `${cart.cartId}.${i}.x`, requestedAt: askedAt(cart, now) },
        ];
      case 'expire':
        return [
          {
            ...base,
            type: 'ExpireHold',
            commandId: `${cart.cartId}.${i}.e`,
            requestedAt: now,
            expiresAt: cart.expiresAt,
          },
        ];
      default:
        return assertNever(goal);
    }
  });
}

/** A confirm or cancel carries when the caller asked (the item judges a confirm by it). */
function askedAt(cart: Cart, now: string): string {
  return cart.asked?.requestedAt ?? now;
}
