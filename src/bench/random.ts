/** Small deterministic generators, so two runs of one configuration see the same workload. */

/** mulberry32: a 32-bit seeded generator, uniform in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Probabilities of ranks 1..n under Zipf's law with exponent `skew` (rank 1 is the hottest). */
export function zipfWeights(n: number, skew: number): number[] {
  const raw = Array.from({ length: n }, (_, i) => 1 / Math.pow(i + 1, skew));
  const total = raw.reduce((a, b) => a + b, 0);
  return raw.map((w) => w / total);
}

/** Draws indexes with the given probabilities (binary search over the cumulative distribution). */
export function weightedSampler(weights: readonly number[], random: () => number): () => number {
  const cumulative: number[] = [];
  let sum = 0;
  for (const w of weights) {
    sum += w;
    cumulative.push(sum);
  }
  return () => {
    const target = random() * sum;
    let lo = 0;
    let hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((cumulative[mid] ?? sum) > target) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  };
}
