import { allOrNothing, type CartView, type CheckedCart } from '../../tools/loadtest/cart-checks';
import {
  checkInvariants,
  type InvariantInput,
  type ItemSnapshot,
  type ViolationCode,
} from '../../tools/loadtest/invariants';
import { ev } from '../support/loadtest-ledger';

const HELD: [number, number, number] = [-1, 1, 0];
const CONFIRMED: [number, number, number] = [0, -1, 1];
const RELEASED: [number, number, number] = [1, -1, 0];
const NONE: [number, number, number] = [0, 0, 0];

/**
 * Items A (stock 3) and B (stock 2), four carts, all through the cart routes:
 * k1 = A:r1 + B:r2, held then confirmed; k2 = A:r3 + B:r4, rejected (r4 could not be held, r3 released);
 * k3 = A:r5 + B:r6, held then cancelled; k4 = A:r7, held.
 */
function consistent(): InvariantInput & { carts: CheckedCart[] } {
  const a: ItemSnapshot = {
    inventoryId: 'A',
    counters: { available: 1, reserved: 1, confirmed: 1, seq: 8 },
    reservations: [
      { reservationId: 'r1', status: 'confirmed', quantity: 1 },
      { reservationId: 'r3', status: 'cancelled', quantity: 1 },
      { reservationId: 'r5', status: 'cancelled', quantity: 1 },
      { reservationId: 'r7', status: 'held', quantity: 1 },
    ],
    ledger: [
      ev(1, 'ItemCreated', [3, 0, 0]),
      ev(2, 'ReservationHeld', HELD, 'r1'),
      ev(3, 'ReservationHeld', HELD, 'r3'),
      ev(4, 'ReservationHeld', HELD, 'r5'),
      ev(5, 'ReservationCancelled', RELEASED, 'r3', 'k2.0.x'),
      ev(6, 'ReservationHeld', HELD, 'r7'),
      ev(7, 'ReservationConfirmed', CONFIRMED, 'r1', 'k1.0.c'),
      ev(8, 'ReservationCancelled', RELEASED, 'r5', 'k3.0.x'),
    ],
  };
  const b: ItemSnapshot = {
    inventoryId: 'B',
    counters: { available: 1, reserved: 0, confirmed: 1, seq: 6 },
    reservations: [
      { reservationId: 'r2', status: 'confirmed', quantity: 1 },
      { reservationId: 'r4', status: 'rejected', quantity: 1 },
      { reservationId: 'r6', status: 'cancelled', quantity: 1 },
    ],
    ledger: [
      ev(1, 'ItemCreated', [2, 0, 0]),
      ev(2, 'ReservationHeld', HELD, 'r2'),
      ev(3, 'ReservationHeld', HELD, 'r6'),
      ev(4, 'ReservationRejected', NONE, 'r4'),
      ev(5, 'ReservationConfirmed', CONFIRMED, 'r2', 'k1.1.c'),
      ev(6, 'ReservationCancelled', RELEASED, 'r6', 'k3.1.x'),
    ],
  };
  const cart = (
    cartId: string,
    status: string,
    lines: [string, string, string][],
    settle?: 'Confirm' | 'Cancel',
  ): CheckedCart => ({
    cartId,
    lines: lines.map(([inventoryId, reservationId]) => ({ inventoryId, quantity: 1, reservationId })),
    view: {
      cartId,
      status,
      lines: lines.map(([inventoryId, reservationId, s]) => ({
        inventoryId,
        quantity: 1,
        reservationId,
        status: s,
        reason: s === 'rejected' ? 'INSUFFICIENT_STOCK' : null,
      })),
    },
    settle,
  });
  return {
    items: [a, b],
    accepted: [],
    settles: [],
    initialStock: { A: 3, B: 2 },
    carts: [
      cart(
        'k1',
        'confirmed',
        [
          ['A', 'r1', 'confirmed'],
          ['B', 'r2', 'confirmed'],
        ],
        'Confirm',
      ),
      cart('k2', 'rejected', [
        ['A', 'r3', 'cancelled'],
        ['B', 'r4', 'rejected'],
      ]),
      cart(
        'k3',
        'cancelled',
        [
          ['A', 'r5', 'cancelled'],
          ['B', 'r6', 'cancelled'],
        ],
        'Cancel',
      ),
      cart('k4', 'held', [['A', 'r7', 'held']]),
    ],
  };
}

const codes = (input: InvariantInput): ViolationCode[] =>
  checkInvariants(input)
    .map((v) => v.code)
    .sort();
const cartOf = (input: { carts: CheckedCart[] }, id: string) => input.carts.find((c) => c.cartId === id)!;
const viewOf = (input: { carts: CheckedCart[] }, id: string) => cartOf(input, id).view as CartView;
const itemOf = (input: InvariantInput, id: string) => input.items.find((i) => i.inventoryId === id)!;

describe('allOrNothing', () => {
  it.each([
    ['held', ['held', 'held']],
    ['confirmed', ['confirmed', 'confirmed']],
    ['rejected', ['rejected', 'cancelled']],
    ['rejected', ['rejected', 'rejected']],
    ['cancelled', ['cancelled', 'cancelled']],
    ['cancelled', ['cancelled', 'rejected']], // cancelled while pending: the line never held stays rejected
    ['expired', ['expired', 'rejected']],
  ])('accepts a %s cart with lines %j', (status, lines) => {
    expect(allOrNothing(status, lines)).toBeNull();
  });

  it.each([
    ['held', ['held', 'rejected']],
    ['held', ['held', 'pending']],
    ['confirmed', ['confirmed', 'held']],
    ['confirmed', ['confirmed', 'cancelled']],
    ['rejected', ['cancelled', 'cancelled']], // no line was refused
    ['rejected', ['rejected', 'held']], // a held line was never released
    ['rejected', ['rejected', 'confirmed']],
    ['rejected', ['rejected', 'pending']],
    ['cancelled', ['cancelled', 'held']],
    ['cancelled', ['cancelled', 'confirmed']],
    ['expired', ['expired', 'held']],
    ['expired', ['rejected', 'pending']],
    ['pending', ['held', 'held']],
    ['failed', []],
  ])('refuses a %s cart with lines %j', (status, lines) => {
    expect(allOrNothing(status, lines)).toEqual(expect.any(String));
  });
});

describe('checkInvariants with carts', () => {
  it('passes a consistent run', () => {
    expect(checkInvariants(consistent())).toEqual([]);
  });

  it('counts cart lines as reservations in the item checks, each once', () => {
    const input = consistent();
    // A cart whose line never reached its item: the item checks know it only through the cart.
    input.carts.push({
      cartId: 'k5',
      lines: [{ inventoryId: 'A', quantity: 1, reservationId: 'r9' }],
      view: { cartId: 'k5', status: 'pending' },
    });
    const found = checkInvariants(input);
    expect(found.map((v) => v.code).sort()).toEqual([
      'CART_NOT_DECIDED',
      'NOT_DECIDED',
      'RESERVATION_MISSING',
    ]);
    expect(found.find((v) => v.code === 'NOT_DECIDED')).toMatchObject({
      inventoryId: 'A',
      reservationId: 'r9',
    });
    // Also listed as a plain 202 reservation: still one violation each.
    input.accepted = [{ inventoryId: 'A', reservationId: 'r9' }];
    expect(codes(input)).toEqual(['CART_NOT_DECIDED', 'NOT_DECIDED', 'RESERVATION_MISSING']);
  });

  it('finds an oversell made of cart lines', () => {
    const input = consistent();
    const b = itemOf(input, 'B');
    // A third hold on B (stock 2) while both units are out.
    b.ledger.splice(3, 0, ev(4, 'ReservationHeld', HELD, 'r4'));
    b.ledger = b.ledger.map((e, i) => ({ ...e, seq: i + 1 }));
    b.counters = { available: 0, reserved: 0, confirmed: 1, seq: 7 };
    expect(codes(input)).toContain('OVERSELL');
  });

  it('fails a cart that is not decided, not readable, failed, or without lines', () => {
    for (const view of [
      null,
      { cartId: 'k4', status: 'pending' },
      { cartId: 'k4', status: 'failed' },
      { cartId: 'k4', status: 'held' },
    ]) {
      const input = consistent();
      cartOf(input, 'k4').view = view;
      const found = checkInvariants(input);
      expect(found.map((v) => v.code)).toEqual(['CART_NOT_DECIDED']);
      expect(found[0]).toMatchObject({ cartId: 'k4', inventoryId: 'A' });
    }
  });

  it('fails a cart whose lines are not the ones sent', () => {
    const missing = consistent();
    viewOf(missing, 'k1').lines!.pop();
    expect(codes(missing)).toEqual(['CART_LINES_MISMATCH']);
    const swapped = consistent();
    cartOf(swapped, 'k2').lines = [
      { inventoryId: 'A', quantity: 1, reservationId: 'r3' },
      { inventoryId: 'B', quantity: 2, reservationId: 'r4' },
    ];
    expect(codes(swapped)).toEqual(['CART_LINES_MISMATCH']);
  });

  it('fails a cart that is not all-or-nothing', () => {
    const input = consistent();
    viewOf(input, 'k4').status = 'confirmed'; // its one line is held, and so is the reservation
    expect(codes(input)).toEqual(['CART_NOT_ALL_OR_NOTHING']);
    const rejected = consistent();
    viewOf(rejected, 'k3').status = 'rejected'; // no line was refused
    expect(codes(rejected)).toEqual(['CART_NOT_ALL_OR_NOTHING', 'CART_SETTLE_NOT_DECIDED']);
  });

  it('fails an accepted confirm or cancel whose cart did not end that way, but not one that expired', () => {
    const confirm = consistent();
    cartOf(confirm, 'k4').settle = 'Confirm';
    expect(codes(confirm)).toEqual(['CART_SETTLE_NOT_DECIDED']);
    const cancel = consistent();
    cartOf(cancel, 'k1').settle = 'Cancel';
    expect(codes(cancel)).toEqual(['CART_SETTLE_NOT_DECIDED']);

    const expired = consistent();
    cartOf(expired, 'k4').settle = 'Confirm';
    viewOf(expired, 'k4').status = 'expired';
    viewOf(expired, 'k4').lines![0]!.status = 'expired';
    itemOf(expired, 'A').ledger.push(ev(9, 'HoldExpired', RELEASED, 'r7', 'k4.0.e'));
    expect(checkInvariants(expired)).toEqual([]);
  });

  it("fails a line whose status differs from its reservation's at the item", () => {
    const input = consistent();
    // The cart says its line expired; the item never expired it.
    viewOf(input, 'k4').status = 'expired';
    viewOf(input, 'k4').lines![0]!.status = 'expired';
    const found = checkInvariants(input);
    expect(found.map((v) => v.code)).toEqual(['CART_LINE_STATUS_MISMATCH']);
    expect(found[0]).toMatchObject({ cartId: 'k4', inventoryId: 'A', reservationId: 'r7' });

    // The cart says rejected, the item cancelled the released hold.
    const released = consistent();
    viewOf(released, 'k2').lines![0]!.status = 'rejected';
    expect(codes(released)).toEqual(['CART_LINE_STATUS_MISMATCH']);
  });

  it('leaves the lines of an unreadable item to ITEM_MISSING', () => {
    const input = consistent();
    itemOf(input, 'B').counters = null;
    expect(codes(input)).toEqual(['ITEM_MISSING']);
  });
});
