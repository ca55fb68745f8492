import type { Distribution } from './args';

/** A seedable PRNG (mulberry32): the same seed picks the same items in the same order. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Returns item indexes in 0..items-1. */
export type Sampler = () => number;

/**
 * uniform: every item equally likely; hot: every request on item 0 (a flash sale);
 * zipf: item k (rank k+1) with probability proportional to 1 / (k+1)^skew, so low indexes are hot.
 */
export function createSampler(
  distribution: Distribution,
  items: number,
  seed: number,
  zipfSkew = 1.1,
): Sampler {
  if (!Number.isInteger(items) || items < 1) throw new Error('items must be a positive integer');
  const random = seededRandom(seed);
  switch (distribution) {
    case 'hot':
      return () => 0;
    case 'uniform':
      return () => Math.min(items - 1, Math.floor(random() * items));
    case 'zipf': {
      const cdf = zipfCdf(items, zipfSkew);
      return () => {
        const u = random();
        let lo = 0;
        let hi = items - 1;
        while (lo < hi) {
          const mid = (lo + hi) >>> 1;
          if ((cdf[mid] ?? 1) < u) lo = mid + 1;
          else hi = mid;
        }
        return lo;
      };
    }
  }
}

/** Cumulative zipf probabilities over ranks 1..items (the last entry is exactly 1). */
export function zipfCdf(items: number, skew: number): Float64Array {
  const cdf = new Float64Array(items);
  let total = 0;
  for (let k = 0; k < items; k++) {
    total += 1 / Math.pow(k + 1, skew);
    cdf[k] = total;
  }
  for (let k = 0; k < items; k++) cdf[k] = (cdf[k] ?? 0) / total;
  cdf[items - 1] = 1;
  return cdf;
}

/** Fisher-Yates with the seeded generator: used to pick which holds get confirmed or cancelled. */
export function shuffled<T>(values: readonly T[], seed: number): T[] {
  const random = seededRandom(seed);
  const out = [...values];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const a = out[i] as T;
    out[i] = out[j] as T;
    out[j] = a;
  }
  return out;
}
