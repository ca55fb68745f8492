/** Small deterministic generators, so two runs of one configuration see the same workload. */

/** The load tool's seeded generator (mulberry32): one implementation for both tools. */
export { seededRandom } from '../loadtest/distribution';

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
