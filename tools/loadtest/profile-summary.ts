import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

/**
 * Where the host's time goes, per thread, from the .cpuprofile files `node --cpu-prof` writes (one per
 * thread: CPU.<date>.<time>.<pid>.<thread id>.<seq>.cpuprofile, thread 0 the main thread).
 * Each sample's time goes to the category of its innermost frame that matches a rule, so time in a
 * native callee (a SQLite statement, JSON.parse) counts for the code that called it.
 *
 *   npx tsc -p tools/tsconfig.json && node dist-tools/tools/loadtest/profile-summary.js /tmp/prof [--top N]
 */

const profileSchema = z.object({
  nodes: z.array(
    z.object({
      id: z.number(),
      callFrame: z.object({ functionName: z.string(), url: z.string(), lineNumber: z.number() }),
      children: z.array(z.number()).optional(),
    }),
  ),
  startTime: z.number(),
  endTime: z.number(),
  samples: z.array(z.number()),
  timeDeltas: z.array(z.number()),
});
export type CpuProfile = z.infer<typeof profileSchema>;

export const CATEGORIES = [
  'HTTP parsing and writing',
  'JSON and validation',
  'idempotency path',
  'accept handler',
  'hand-off between threads',
  'queue writes (accept inserts, deletes), fsync',
  'queue: receive and settle',
  'decision processing',
  'poller reads (GET handlers)',
  'store reads (SQLite queries)',
  'metrics and logging',
  'WAL checkpoints',
  'GC',
  'VM and native (program)',
  'idle',
  'other',
] as const;
export type Category = (typeof CATEGORIES)[number];

type Frame = { functionName: string; url: string };

const STORE_READS = new Set(['read', 'query', 'queryAcrossPartitions', 'listRows', 'ping']);

/** Rules on one frame, first match wins; null when the frame says nothing (look at its caller). */
export function categorize(frame: Frame): Category | null {
  const { functionName: fn, url } = frame;
  if (fn === '(garbage collector)') return 'GC';
  if (fn === '(idle)') return 'idle';
  if (fn === '(program)') return 'VM and native (program)';
  if (url === '' && (fn === 'parse' || fn === 'stringify')) return 'JSON and validation';
  const has = (...parts: string[]) => parts.some((p) => url.includes(p));
  if (has('/zod/', 'src/http/schemas', 'src/http/request', 'src/http/problem', 'command-schema', 'json-keys'))
    return 'JSON and validation';
  if (has('src/app/idempotency')) return 'idempotency path';
  if (has('src/app/queries', 'embedded/continuation')) return 'poller reads (GET handlers)';
  if (has('src/app/metrics', 'src/local/metrics', 'src/local/log', 'src/app/logger', '@opentelemetry'))
    return 'metrics and logging';
  if (
    has(
      'src/local/worker-queue',
      'src/local/worker-link',
      'src/local/worker-protocol',
      'src/local/threaded-services',
    )
  )
    return 'hand-off between threads';
  if (has('node:internal/worker', 'node:worker_threads', 'node:internal/per_context/messageport'))
    return 'hand-off between threads';
  if (has('queue/group-commit', 'embedded/wal-sync', 'queue/message-table', 'queue/core'))
    return 'queue writes (accept inserts, deletes), fsync';
  if (has('queue/receiver', 'queue/settlement', 'queue/session', 'queue/heap', 'queue/waiters'))
    return 'queue: receive and settle';
  if (has('src/app/process', 'src/app/processing/', 'src/app/handle-messages', 'src/domain/'))
    return 'decision processing';
  // The store: its reads serve GETs and item checks (their async callers are lost in the profile);
  // the rest is the consumer's batched writes.
  if (has('embedded/embedded-store') && fn !== '') {
    return STORE_READS.has(fn) ? 'store reads (SQLite queries)' : 'decision processing';
  }
  if (has('src/local/dispatcher', 'item-cache')) return 'decision processing';
  if (has('embedded/checkpointer', '[worker eval]')) return 'WAL checkpoints';
  if (has('src/app/accept', 'src/http/handlers/')) return 'accept handler';
  if (has('node:_http', 'node:net', 'node:internal/streams', 'node:stream', 'stream_base_commons'))
    return 'HTTP parsing and writing';
  if (has('src/local/server', 'src/local/local-request', 'src/local/router', 'src/local/front-door'))
    return 'HTTP parsing and writing';
  return null;
}

export interface ThreadSummary {
  file: string;
  threadId: number;
  wallMs: number;
  busyMs: number;
  byCategory: Partial<Record<Category, number>>;
  /** Self time by function (name, file:line), largest first. */
  topFunctions: { name: string; ms: number }[];
  /** Busy ms in each second of the profile (what the load looked like over time). */
  busyBySecond: number[];
}

/** Pure: the summary of one profile. */
export function summarizeProfile(profile: CpuProfile, file = '', top = 15): ThreadSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const categoryOf = new Map<number, Category>();
  const resolve = (id: number): Category => {
    const known = categoryOf.get(id);
    if (known) return known;
    const node = byId.get(id);
    const own = node ? categorize(node.callFrame) : null;
    const up = parent.get(id);
    const category = own ?? (up !== undefined ? resolve(up) : 'other');
    categoryOf.set(id, category);
    return category;
  };
  const byCategory: Partial<Record<Category, number>> = {};
  const byFunction = new Map<string, number>();
  const busyBySecond: number[] = [];
  let t = 0;
  let busyMs = 0;
  profile.samples.forEach((id, i) => {
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    t += ms;
    const category = resolve(id);
    byCategory[category] = (byCategory[category] ?? 0) + ms;
    if (category === 'idle') return;
    busyMs += ms;
    const second = Math.floor(t / 1000);
    busyBySecond[second] = (busyBySecond[second] ?? 0) + ms;
    const frame = byId.get(id)?.callFrame;
    const where = frame?.url ? `${shortUrl(frame.url)}:${frame.lineNumber + 1}` : '(native)';
    const key = `${frame?.functionName || '(anonymous)'} ${where}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + ms);
  });
  const topFunctions = [...byFunction]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, ms]) => ({ name, ms: Math.round(ms) }));
  return {
    file,
    threadId: threadIdOf(file),
    wallMs: Math.round((profile.endTime - profile.startTime) / 1000),
    busyMs: Math.round(busyMs),
    byCategory,
    topFunctions,
    busyBySecond: Array.from(busyBySecond, (v) => Math.round(v ?? 0)),
  };
}

function shortUrl(url: string): string {
  const at = url.search(/(src|node_modules|tools)\//);
  return at >= 0 ? url.slice(at) : url.replace(/^file:\/\//, '');
}

/** The thread id in Node's profile file name (…<pid>.<tid>.<seq>.cpuprofile); -1 if not that form. */
export function threadIdOf(file: string): number {
  const m = /\.(\d+)\.(\d+)\.(\d+)\.cpuprofile$/.exec(path.basename(file));
  return m ? Number(m[2]) : -1;
}

export function formatSummary(s: ThreadSummary): string {
  const label = s.threadId === 0 ? 'main thread (HTTP)' : `thread ${s.threadId}`;
  const pct = (ms: number) => `${((ms / Math.max(1, s.busyMs)) * 100).toFixed(1)} %`;
  const lines = [
    `${label}: ${path.basename(s.file)}`,
    `  wall ${(s.wallMs / 1000).toFixed(1)} s, busy (not idle) ${(s.busyMs / 1000).toFixed(2)} s`,
    '  self time by category (share of busy time):',
  ];
  for (const c of CATEGORIES) {
    const ms = s.byCategory[c];
    if (ms === undefined || ms < 0.5) continue;
    lines.push(
      `    ${c.padEnd(44)} ${Math.round(ms).toString().padStart(7)} ms  ${c === 'idle' ? '' : pct(ms)}`,
    );
  }
  lines.push('  top functions by self time:');
  for (const f of s.topFunctions) lines.push(`    ${f.ms.toString().padStart(7)} ms  ${f.name}`);
  lines.push(`  busy ms per second: ${s.busyBySecond.join(' ')}`);
  return lines.join('\n');
}

/** The .cpuprofile files among `inputs` (files, or folders searched one level deep). */
export function profileFiles(inputs: readonly string[]): string[] {
  return inputs.flatMap((input) =>
    statSync(input).isDirectory()
      ? readdirSync(input)
          .filter((f) => f.endsWith('.cpuprofile'))
          .sort()
          .map((f) => path.join(input, f))
      : [input],
  );
}

export function main(argv: readonly string[]): number {
  const topAt = argv.indexOf('--top');
  const top = topAt >= 0 ? Number(argv[topAt + 1]) : 15;
  const inputs = argv.filter((a, i) => a !== '--top' && (topAt < 0 || i !== topAt + 1));
  if (inputs.length === 0 || !Number.isInteger(top) || top < 1) {
    process.stderr.write('usage: profile-summary <dir or .cpuprofile>... [--top N]\n');
    return 2;
  }
  const files = profileFiles(inputs);
  if (files.length === 0) {
    process.stderr.write(`profile-summary: no .cpuprofile file in ${inputs.join(', ')}\n`);
    return 2;
  }
  for (const file of files) {
    const parsed = profileSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    if (!parsed.success) {
      process.stderr.write(`profile-summary: ${file} is not a V8 CPU profile: ${parsed.error.message}\n`);
      return 1;
    }
    process.stdout.write(`${formatSummary(summarizeProfile(parsed.data, file, top))}\n\n`);
  }
  return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
