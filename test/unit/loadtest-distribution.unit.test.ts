import { createSampler, seededRandom, shuffled, zipfCdf } from '../../tools/loadtest/distribution';
import { percentile, summarize } from '../../tools/loadtest/stats';

function histogram(sample: () => number, n: number, items: number): number[] {
  const counts = new Array<number>(items).fill(0);
  for (let i = 0; i < n; i++) {
    const k = sample();
    counts[k] = (counts[k] ?? 0) + 1;
  }
  return counts;
}

describe('distributions', () => {
  it('hot puts every request on one item', () => {
    const counts = histogram(createSampler('hot', 50, 1), 1000, 50);
    expect(counts[0]).toBe(1000);
  });

  it('uniform covers every item, roughly evenly', () => {
    const counts = histogram(createSampler('uniform', 100, 1), 20_000, 100);
    expect(counts.every((c) => c > 100 && c < 300)).toBe(true);
  });

  it('zipf puts most of the mass on the low ranks, more so with a higher skew', () => {
    const n = 20_000;
    const low = (skew: number) => {
      const counts = histogram(createSampler('zipf', 1000, 3, skew), n, 1000);
      return counts.slice(0, 10).reduce((a, b) => a + b, 0) / n;
    };
    const counts = histogram(createSampler('zipf', 1000, 3, 1.1), n, 1000);
    expect(counts[0]).toBeGreaterThan(counts[1] ?? 0);
    expect(counts[1]).toBeGreaterThan(counts[9] ?? 0);
    expect(low(1.1)).toBeGreaterThan(0.4);
    expect(low(2)).toBeGreaterThan(0.9);
    expect(low(0.5)).toBeLessThan(low(1.1));
    const cdf = zipfCdf(1000, 1.1);
    expect(cdf[999]).toBe(1);
  });

  it('is reproducible from its seed', () => {
    const a = createSampler('zipf', 100, 42);
    const b = createSampler('zipf', 100, 42);
    const c = createSampler('zipf', 100, 43);
    const draw = (s: () => number) => Array.from({ length: 50 }, s);
    expect(draw(a)).toEqual(draw(b));
    expect(draw(createSampler('zipf', 100, 42))).not.toEqual(draw(c));
    expect(shuffled([1, 2, 3, 4, 5], 9)).toEqual(shuffled([1, 2, 3, 4, 5], 9));
    expect([...shuffled([1, 2, 3, 4, 5], 9)].sort()).toEqual([1, 2, 3, 4, 5]);
    const r = seededRandom(1);
    for (let i = 0; i < 1000; i++) {
      const v = r();
      expect(v >= 0 && v < 1).toBe(true);
    }
  });
});

describe('stats', () => {
  it('computes nearest-rank percentiles', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 99)).toBe(99);
    expect(percentile(values, 100)).toBe(100);
    expect(summarize([3, 1, 2])).toMatchObject({ count: 3, min: 1, p50: 2, max: 3, mean: 2 });
    expect(summarize([]).count).toBe(0);
  });
});
