/** Latency summaries: nearest-rank percentiles over milliseconds. */

export interface Summary {
  count: number;
  min: number;
  mean: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** Nearest-rank percentile of an ascending array; NaN when empty. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] ?? Number.NaN;
}

export function summarize(values: readonly number[]): Summary {
  const sorted = Float64Array.from(values).sort();
  const list = Array.from(sorted);
  let sum = 0;
  for (const v of list) sum += v;
  const round = (v: number) => (Number.isFinite(v) ? Math.round(v * 100) / 100 : Number.NaN);
  return {
    count: list.length,
    min: round(list[0] ?? Number.NaN),
    mean: round(list.length ? sum / list.length : Number.NaN),
    p50: round(percentile(list, 50)),
    p95: round(percentile(list, 95)),
    p99: round(percentile(list, 99)),
    max: round(list[list.length - 1] ?? Number.NaN),
  };
}

/** Counts by key, sorted by key for stable output. */
export function countBy<T>(values: Iterable<T>, key: (v: T) => string): Record<string, number> {
  const counts = new Map<string, number>();
  for (const v of values) {
    const k = key(v);
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return Object.fromEntries([...counts.entries()].sort(([a], [b]) => a.localeCompare(b)));
}

export function fmtSummary(s: Summary): string {
  if (s.count === 0) return 'n/a';
  return `p50 ${s.p50} ms, p95 ${s.p95} ms, p99 ${s.p99} ms, max ${s.max} ms (n=${s.count})`;
}

export function fmtCounts(counts: Record<string, number>): string {
  const entries = Object.entries(counts);
  return entries.length ? entries.map(([k, v]) => `${k} ${v}`).join(', ') : 'none';
}

export function round(v: number): number {
  return Math.round(v * 100) / 100;
}

/** Seconds between the first and the last request start, client clock. */
export function startSpreadSeconds(reserves: readonly { startedMs: number }[]): number {
  let firstStart = Number.POSITIVE_INFINITY;
  let lastStart = 0;
  for (const r of reserves) {
    firstStart = Math.min(firstStart, r.startedMs);
    lastStart = Math.max(lastStart, r.startedMs);
  }
  return (lastStart - firstStart) / 1000;
}
