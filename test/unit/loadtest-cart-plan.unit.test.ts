import { drawDistinct, planCarts } from '../../tools/loadtest/cart-send';
import { createSampler, seededRandom } from '../../tools/loadtest/distribution';

const ids = (n: number) => Array.from({ length: n }, (_, i) => `i${i}`);
const plan = (distribution: 'uniform' | 'hot' | 'zipf', items: number, cartLines: number, seed = 1) =>
  planCarts({ requests: 400, distribution, zipfSkew: 1.1, seed, cartLines }, ids(items));

describe('cart plans', () => {
  it.each(['uniform', 'hot', 'zipf'] as const)('%s: every cart has N distinct items', (distribution) => {
    for (const cart of plan(distribution, 10, 4)) {
      expect(cart).toHaveLength(4);
      expect(new Set(cart).size).toBe(4);
    }
  });

  it('is the same for the same seed, and differs for another', () => {
    expect(plan('uniform', 20, 3, 7)).toEqual(plan('uniform', 20, 3, 7));
    expect(plan('uniform', 20, 3, 7)).not.toEqual(plan('uniform', 20, 3, 8));
  });

  it('follows the distribution: hot puts item 0 in every cart, zipf favours low ranks', () => {
    expect(plan('hot', 10, 3).every((cart) => cart[0] === 'i0')).toBe(true);
    const counts = new Map<string, number>();
    for (const cart of plan('zipf', 50, 3)) for (const id of cart) counts.set(id, (counts.get(id) ?? 0) + 1);
    expect(counts.get('i0') ?? 0).toBeGreaterThan(4 * (counts.get('i40') ?? 0));
  });

  it('takes every item when N equals the number of items, even from a steep zipf', () => {
    for (const cart of planCarts(
      { requests: 20, distribution: 'zipf', zipfSkew: 9, seed: 3, cartLines: 6 },
      ids(6),
    )) {
      expect([...cart].sort()).toEqual(ids(6));
    }
  });

  it('refuses more lines than items', () => {
    expect(() => drawDistinct(createSampler('uniform', 3, 1), seededRandom(2), 3, 4)).toThrow(
      /4 distinct of 3/,
    );
  });
});
