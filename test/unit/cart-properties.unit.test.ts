import fc from 'fast-check';
import type { Cart } from '../../src/domain/cart-model';
import { CartSimulation, type CartPlan } from '../support/cart-simulation';

const ITEMS = ['sku-0', 'sku-1', 'sku-2', 'sku-3'];

const plan = (cartId: string): fc.Arbitrary<CartPlan> =>
  fc.record({
    cartId: fc.constant(cartId),
    userId: fc.constantFrom('user-0', 'user-1', 'user-2'),
    lines: fc
      .uniqueArray(fc.constantFrom(...ITEMS), { minLength: 1, maxLength: 3 })
      .chain((skus) =>
        fc.tuple(
          ...skus.map((sku) =>
            fc.record({ inventoryId: fc.constant(sku), quantity: fc.integer({ min: 1, max: 4 }) }),
          ),
        ),
      ),
    holdSeconds: fc.integer({ min: 5, max: 80 }),
    ask: fc.option(
      fc.record({ action: fc.constantFrom('confirm' as const, 'cancel' as const), atStep: fc.nat(60) }),
      {
        nil: null,
      },
    ),
  });

const scenario = fc.record({
  stock: fc.array(fc.integer({ min: 0, max: 8 }), { minLength: ITEMS.length, maxLength: ITEMS.length }),
  limits: fc.array(fc.option(fc.integer({ min: 1, max: 6 }), { nil: null }), {
    minLength: ITEMS.length,
    maxLength: ITEMS.length,
  }),
  carts: fc
    .integer({ min: 1, max: 6 })
    .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => plan(`cart-${i}`)))),
  deliveries: fc.array(fc.record({ pick: fc.nat(), again: fc.boolean() }), { maxLength: 120 }),
});

/** The one state every line of a decided cart is in. */
function checkCart(cart: Cart, sim: CartSimulation): void {
  const statuses = cart.lines.map((l) => l.status);
  const where = `${cart.cartId} ${cart.status} ${JSON.stringify(statuses)}`;
  for (const line of cart.lines) {
    // What the cart says of a line is what its item holds.
    expect({ where, status: sim.model.reservations.get(line.reservationId)?.status }).toEqual({
      where,
      status: line.status,
    });
  }
  const only = (...allowed: string[]) =>
    expect({ where, only: statuses.every((s) => allowed.includes(s)) }).toEqual({ where, only: true });
  switch (cart.status) {
    case 'confirmed':
      only('confirmed');
      break;
    // A cart cancelled or expired while still pending keeps the lines its items refused as rejected.
    case 'cancelled':
      only('cancelled', 'rejected', 'expired');
      break;
    case 'expired':
      only('expired', 'rejected');
      break;
    case 'rejected':
      expect({ where, some: statuses.includes('rejected') }).toEqual({ where, some: true });
      only('rejected', 'cancelled', 'expired');
      break;
    case 'pending':
    case 'held':
      throw new Error(`${where}: not decided once every message was delivered and every hold ran out`);
  }
}

describe('carts over random stock, limits and interleavings of line decisions, confirms, cancels and expiries', () => {
  it('end with every line in one state, stock conserved, nothing oversold and no user past a limit', () => {
    fc.assert(
      fc.property(scenario, ({ stock, limits, carts, deliveries }) => {
        const sim = new CartSimulation();
        ITEMS.forEach((id, i) => sim.model.create(id, stock[i] ?? 0, undefined, limits[i] ?? null));
        for (const cart of carts) sim.place(cart);
        deliveries.forEach((d, stepNo) => {
          sim.step(d.pick, d.again, stepNo);
          sim.model.checkInvariants();
          for (const [i, id] of ITEMS.entries()) {
            const limit = limits[i];
            if (typeof limit !== 'number') continue;
            for (const user of ['user-0', 'user-1', 'user-2'])
              expect(sim.model.used(id, user)).toBeLessThanOrEqual(limit);
          }
        });
        sim.drain();
        sim.model.checkInvariants();
        expect(sim.carts.size).toBe(carts.length);
        for (const cart of sim.carts.values()) checkCart(cart, sim);
        // Every hold ran out or was settled: nothing is left reserved.
        for (const id of ITEMS) expect(sim.model.items.get(id)?.reserved).toBe(0);
      }),
      { numRuns: 300 },
    );
  });
});
