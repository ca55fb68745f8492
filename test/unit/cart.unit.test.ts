import { decideCart, outstanding } from '../../src/domain/cart';
import type { Cart, CartCommand, DecidedLineStatus } from '../../src/domain/cart-model';
import type { RejectionReason } from '../../src/domain/model';
import { at, T0 } from '../support/domain-fixtures';

const CART = 'k-cart-1';
const EXPIRES = at(600);
const base = { cartId: CART, requestedAt: T0 };

const place: CartCommand = {
  ...base,
  type: 'PlaceCart',
  commandId: 'place',
  userId: 'user-1',
  expiresAt: EXPIRES,
  lines: ['a', 'b', 'c'].map((sku, i) => ({
    inventoryId: `sku-${sku}`,
    quantity: i + 1,
    reservationId: `r-${sku}`,
  })),
};
const told = (
  sku: string,
  status: DecidedLineStatus,
  reason: RejectionReason | null = null,
): CartCommand => ({
  ...base,
  type: 'LineDecided',
  commandId: `told-${sku}-${status}`,
  reservationId: `r-${sku}`,
  status,
  reason,
});
const confirmAt = (requestedAt: string): CartCommand => ({
  ...base,
  type: 'ConfirmCart',
  commandId: 'cc',
  requestedAt,
});
const cancelCart: CartCommand = { ...base, type: 'CancelCart', commandId: 'xc' };
const expireCart: CartCommand = { ...base, type: 'ExpireCart', commandId: 'ec', expiresAt: EXPIRES };

/** Runs commands in order from nothing; answers the last cart and every line command sent. */
function run(...commands: CartCommand[]) {
  let cart: Cart | null = null;
  const sent: string[] = [];
  for (const command of commands) {
    const d = decideCart(cart, command, at(1));
    cart = d.cart ?? cart;
    sent.push(...d.send.map((c) => `${c.type} ${c.reservationId} ${c.commandId}`));
  }
  if (!cart) throw new Error('no cart');
  return { cart, sent, lines: cart.lines.map((l) => `${l.reservationId}:${l.status}`) };
}
const allHeld = [told('a', 'held'), told('b', 'held'), told('c', 'held')];

describe('a cart', () => {
  it('is pending with every line pending once placed, and a second PlaceCart changes nothing', () => {
    const { cart } = run(place);
    expect(cart).toMatchObject({ status: 'pending', goal: 'hold', expiresAt: EXPIRES, userId: 'user-1' });
    expect(cart.lines.every((l) => l.status === 'pending')).toBe(true);
    expect(decideCart(cart, place, at(2))).toEqual({ cart: null, send: [] });
  });

  it('is held once every line is held, and sends nothing', () => {
    expect(run(place, told('a', 'held'), told('b', 'held')).cart.status).toBe('pending');
    expect(run(place, ...allHeld)).toMatchObject({ cart: { status: 'held' }, sent: [] });
  });

  it('waits for every line when one is rejected, then releases the held ones and is rejected once they are back', () => {
    const early = run(place, told('a', 'rejected', 'INSUFFICIENT_STOCK'), told('b', 'held'));
    expect(early).toMatchObject({ cart: { status: 'pending', goal: 'hold' }, sent: [] });
    const all = run(place, told('a', 'rejected', 'INSUFFICIENT_STOCK'), told('b', 'held'), told('c', 'held'));
    expect(all.cart).toMatchObject({ status: 'pending', goal: 'release' });
    expect(all.sent).toEqual([`Cancel r-b ${CART}.1.x`, `Cancel r-c ${CART}.2.x`]);
    const done = run(
      place,
      told('a', 'rejected', 'INSUFFICIENT_STOCK'),
      told('b', 'held'),
      told('c', 'held'),
      told('b', 'cancelled'),
      told('c', 'cancelled'),
    );
    expect(done.cart.status).toBe('rejected');
    expect(done.cart.lines.map((l) => [l.status, l.reason])).toEqual([
      ['rejected', 'INSUFFICIENT_STOCK'],
      ['cancelled', null],
      ['cancelled', null],
    ]);
  });

  it('is rejected at once when no line was held', () => {
    const { cart, sent } = run(
      place,
      told('a', 'rejected', 'USER_LIMIT_EXCEEDED'),
      told('b', 'rejected', 'INSUFFICIENT_STOCK'),
      told('c', 'rejected', 'INVENTORY_NOT_FOUND'),
    );
    expect(cart.status).toBe('rejected');
    expect(sent).toEqual([]);
  });

  it('confirms every line with the time the confirm was asked, and is confirmed once all are', () => {
    const asked = at(100);
    const { cart, sent } = run(place, ...allHeld, confirmAt(asked));
    expect(cart).toMatchObject({
      status: 'held',
      goal: 'confirm',
      asked: { action: 'confirm', requestedAt: asked },
    });
    expect(sent).toEqual(['a', 'b', 'c'].map((sku, i) => `Confirm r-${sku} ${CART}.${i}.c`));
    expect(decideCart(cart, cancelCart, at(2))).toEqual({ cart: null, send: [] });
    const confirmed = run(
      place,
      ...allHeld,
      confirmAt(asked),
      ...['a', 'b', 'c'].map((s) => told(s, 'confirmed')),
    );
    expect(confirmed.cart.status).toBe('confirmed');
  });

  it('sends the confirm with when it was asked, not when it is processed', () => {
    const { cart } = run(place, ...allHeld, confirmAt(at(100)));
    expect(outstanding(cart, at(9_999)).map((c) => c.requestedAt)).toEqual([at(100), at(100), at(100)]);
  });

  it('expires every line when the confirm is asked at or after expiresAt', () => {
    const { cart, sent } = run(place, ...allHeld, confirmAt(EXPIRES));
    expect(cart.goal).toBe('expire');
    expect(sent).toEqual(['a', 'b', 'c'].map((sku, i) => `ExpireHold r-${sku} ${CART}.${i}.e`));
  });

  it('remembers a confirm asked while lines are pending and carries it out once they are held', () => {
    const { cart, sent } = run(
      place,
      told('a', 'held'),
      confirmAt(at(100)),
      told('b', 'held'),
      told('c', 'held'),
    );
    expect(cart.goal).toBe('confirm');
    expect(sent).toHaveLength(3);
  });

  it('releases, not confirms, when a line is rejected after a confirm was asked', () => {
    const { cart } = run(
      place,
      confirmAt(at(100)),
      told('a', 'held'),
      told('b', 'held'),
      told('c', 'rejected', 'INSUFFICIENT_STOCK'),
    );
    expect(cart.goal).toBe('release');
  });

  it('cancels every held line on CancelCart, and is cancelled once all are', () => {
    const { cart, sent } = run(place, ...allHeld, cancelCart);
    expect(cart.goal).toBe('cancel');
    expect(sent).toEqual(['a', 'b', 'c'].map((sku, i) => `Cancel r-${sku} ${CART}.${i}.x`));
    expect(
      run(place, ...allHeld, cancelCart, ...['a', 'b', 'c'].map((s) => told(s, 'cancelled'))).cart.status,
    ).toBe('cancelled');
  });

  it('expires a held cart at expiresAt, and a pending one at once: every line, held or pending (behind its Reserve), again as one is held', () => {
    expect(run(place, ...allHeld, expireCart).cart.goal).toBe('expire');
    const pending = run(place, told('a', 'held'), expireCart);
    expect(pending.cart).toMatchObject({ goal: 'expire', status: 'pending' });
    expect(pending.sent).toEqual([
      `ExpireHold r-a ${CART}.0.e`,
      `ExpireHold r-b ${CART}.1.e`,
      `ExpireHold r-c ${CART}.2.e`,
    ]);
    const late = run(
      place,
      told('a', 'held'),
      expireCart,
      told('b', 'held'),
      told('c', 'rejected', 'HOLD_EXPIRED'),
    );
    expect(late.sent).toEqual([
      `ExpireHold r-a ${CART}.0.e`,
      `ExpireHold r-b ${CART}.1.e`,
      `ExpireHold r-c ${CART}.2.e`,
      `ExpireHold r-b ${CART}.1.e`,
    ]);
    expect(late.cart.status).toBe('held');
    const done = run(
      place,
      told('a', 'held'),
      expireCart,
      told('b', 'held'),
      told('c', 'rejected', 'HOLD_EXPIRED'),
      told('a', 'expired'),
      told('b', 'expired'),
    );
    expect(done.cart.status).toBe('expired');
  });

  it('cancels a pending cart at once, pending lines too, and a line held afterwards follows', () => {
    const { cart, sent } = run(
      place,
      told('a', 'held'),
      cancelCart,
      told('b', 'held'),
      told('c', 'rejected', 'INSUFFICIENT_STOCK'),
    );
    expect(cart.goal).toBe('cancel');
    expect(sent).toEqual([
      `Cancel r-a ${CART}.0.x`,
      `Cancel r-b ${CART}.1.x`,
      `Cancel r-c ${CART}.2.x`,
      `Cancel r-b ${CART}.1.x`,
    ]);
  });

  it('keeps whichever of confirm, cancel and expiry came first', () => {
    expect(run(place, ...allHeld, confirmAt(at(1)), expireCart).cart.goal).toBe('confirm');
    expect(run(place, ...allHeld, expireCart, confirmAt(at(1))).cart.goal).toBe('expire');
    expect(run(place, ...allHeld, cancelCart, confirmAt(at(1))).cart.goal).toBe('cancel');
    expect(
      run(place, told('a', 'held'), expireCart, confirmAt(at(1)), told('b', 'held'), told('c', 'held')).cart
        .goal,
    ).toBe('expire');
  });

  it('ignores a report it already has, a line it does not know and messages before its PlaceCart', () => {
    const held = run(place, ...allHeld).cart;
    expect(decideCart(held, told('a', 'held'), at(2))).toEqual({ cart: null, send: [] });
    expect(decideCart(held, told('zzz', 'held'), at(2))).toEqual({ cart: null, send: [] });
    expect(decideCart(null, told('a', 'held'), at(2))).toEqual({ cart: null, send: [] });
  });

  it('names only the line commands still needed, under fixed ids, for a redelivery to send again', () => {
    const { cart } = run(place, ...allHeld, cancelCart, told('b', 'cancelled'));
    expect(outstanding(cart, at(5)).map((c) => c.commandId)).toEqual([`${CART}.0.x`, `${CART}.2.x`]);
    expect(outstanding(run(place, told('a', 'held')).cart, at(5))).toEqual([]);
  });
});
