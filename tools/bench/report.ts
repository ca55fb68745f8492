import fs from 'node:fs';
import os from 'node:os';
import type { BenchConfig, RunResult, StoreKind } from './run';
import { hotPartitionTable, ruModelSection, ruTargetLine } from './ru-report';
import { SCENARIO_TITLES, type Scenario } from './workload';

export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  node: string;
  platform: string;
  date: string;
}

export function describeMachine(): Machine {
  let cpu = os.cpus()[0]?.model ?? 'unknown';
  try {
    const line = fs
      .readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('model name'));
    const model = line?.split(':').slice(1).join(':').trim();
    if (model) cpu = model;
  } catch {
    // not Linux: os.cpus() is the best we have
  }
  return {
    cpu,
    cores: os.cpus().length,
    memoryGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    date: new Date().toISOString(),
  };
}

export const TARGET_RATE = 2000;
export const TARGET_RATIO = 10;
/** Issue 13: one hot item, in-process behind a 5 ms round trip, with the best group size. */
export const HOT_ITEM_TARGET_RATE = 12_000;

export interface TargetRow {
  mode: string;
  decidedPerSecond: number;
  rateMet: boolean;
  /** Against one message per commit with a read each time, and with the cached item. */
  ratioToRead: number;
  ratioToCached: number;
  ratioMet: boolean;
  /** The run's invariant check passed: a run that failed it meets no target. */
  checkOk: boolean;
}

export interface Targets {
  evaluated: boolean;
  delayMs: number;
  rows: TargetRow[];
  /** Both targets met by at least one group size. */
  met: boolean;
  bestMode: string | null;
  oneRead: number | null;
  oneCached: number | null;
  optimistic: number | null;
  optimisticConflicts: number | null;
}

/**
 * The targets, on the hot item behind the injected round trip: group commit at least 2,000 decided/s and
 * at least 10 times one message per commit with a read each time, both measured in the same run.
 */
export function evaluateTargets(runs: readonly RunResult[], delayMs: number): Targets {
  const hot = runs.filter((r) => r.scenario === 'hot' && r.store === 'delayed');
  const find = (mode: string) => hot.find((r) => r.mode === mode);
  const oneRead = find('one-read')?.decidedPerSecond ?? null;
  const oneCached = find('one-cached')?.decidedPerSecond ?? null;
  const optimistic = find('optimistic');
  const rows = hot
    .filter((r) => r.mode.startsWith('group-'))
    .map((r): TargetRow => {
      const ratioToRead = oneRead ? r.decidedPerSecond / oneRead : Number.NaN;
      const ratioToCached = oneCached ? r.decidedPerSecond / oneCached : Number.NaN;
      return {
        mode: r.mode,
        decidedPerSecond: r.decidedPerSecond,
        rateMet: r.decidedPerSecond >= TARGET_RATE && r.check.ok,
        ratioToRead,
        ratioToCached,
        ratioMet: ratioToRead >= TARGET_RATIO && r.check.ok,
        checkOk: r.check.ok,
      };
    });
  const best = rows.reduce<TargetRow | null>(
    (b, r) => (!b || r.decidedPerSecond > b.decidedPerSecond ? r : b),
    null,
  );
  return {
    evaluated: rows.length > 0 && oneRead !== null,
    delayMs,
    rows,
    met: rows.some((r) => r.rateMet && r.ratioMet),
    bestMode: best?.mode ?? null,
    oneRead,
    oneCached,
    optimistic: optimistic?.decidedPerSecond ?? null,
    optimisticConflicts: optimistic?.conflicts ?? null,
  };
}

const int = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a');
const ms = (n: number) =>
  Number.isFinite(n) ? (n < 10 ? n.toFixed(1) : Math.round(n).toLocaleString('en-US')) : 'n/a';
const ratio = (n: number) => (Number.isFinite(n) ? `${n.toFixed(1)}×` : 'n/a');
const perDecision = (n: number) => n.toFixed(2);

function storeLabel(store: StoreKind, delayMs: number): string {
  return store === 'embedded' ? 'embedded' : `embedded + ${delayMs} ms`;
}

export function scenarioTable(runs: readonly RunResult[]): string {
  const header =
    '| Store | Mode | Decided | Decided/s | p50 ms | p99 ms | Conflicts | Reads/decision | Batches/decision | RU/decision | Held / rejected | Check |';
  const rule = '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |';
  const lines = runs.map((r) =>
    [
      storeLabel(r.store, r.delayMs),
      r.label,
      int(r.decided),
      int(r.decidedPerSecond),
      ms(r.p50Ms),
      ms(r.p99Ms),
      int(r.conflicts),
      perDecision(r.readsPerDecision),
      perDecision(r.batchesPerDecision),
      perDecision(r.ruPerDecision),
      `${int(r.held)} / ${int(r.rejected)}`,
      r.check.ok ? 'pass' : `FAIL: ${r.check.problems[0] ?? ''}`,
    ].join(' | '),
  );
  return [header, rule, ...lines.map((l) => `| ${l} |`)].join('\n');
}

export function targetLines(targets: Targets): string[] {
  if (!targets.evaluated)
    return [
      'Targets not evaluated: they need the hot scenario on the delayed store with the one-message mode.',
    ];
  const lines = [
    `One hot item behind a ${targets.delayMs} ms round trip: one message per commit ${int(targets.oneRead ?? Number.NaN)}/s ` +
      `(read each time), ${int(targets.oneCached ?? Number.NaN)}/s (cached item); optimistic retry without ordering ` +
      `${int(targets.optimistic ?? Number.NaN)}/s with ${int(targets.optimisticConflicts ?? Number.NaN)} conflict retries.`,
    '',
  ];
  for (const row of targets.rows) {
    lines.push(
      `- ${row.mode}: ${int(row.decidedPerSecond)} decided/s — ≥ ${int(TARGET_RATE)}/s ${row.rateMet ? 'MET' : 'NOT MET'}; ` +
        `${ratio(row.ratioToRead)} one message per commit (≥ ${TARGET_RATIO}×) ${row.ratioMet ? 'MET' : 'NOT MET'} ` +
        `(${ratio(row.ratioToCached)} the cached one-message mode)`,
    );
  }
  lines.push(
    '',
    targets.met ? `Targets MET (best: ${targets.bestMode ?? 'n/a'}).` : 'Targets NOT MET by any group size.',
  );
  const best = Math.max(0, ...targets.rows.filter((row) => row.checkOk).map((row) => row.decidedPerSecond));
  const met = targets.delayMs >= 5 && best >= HOT_ITEM_TARGET_RATE;
  lines.push(
    '',
    `Best group commit behind ${targets.delayMs} ms that passed its check: ${int(best)} decided/s — ≥ ${int(HOT_ITEM_TARGET_RATE)}/s ` +
      `behind at least 5 ms ${met ? 'MET' : 'NOT MET'}.`,
  );
  return lines;
}

export interface Report {
  machine: Machine;
  config: BenchConfig;
  quick: boolean;
  groupSizes: number[];
  runs: RunResult[];
  targets: Targets;
  totalSeconds: number;
}

/** The closing section of BENCHMARKS.md: how the figures above are produced and checked. */
const HOW_IT_IS_MEASURED = [
  '## How it is measured',
  '',
  '- Every run starts from a fresh SQLite file with its items created, and generates Reserve commands',
  '  (quantity 1-3, plus 2% asking for far more than any item holds) as a closed loop: a fixed number of',
  '  commands is outstanding and each decision lets its caller send the next one. The stock is 90% of the',
  '  demand of a full-length run, so runs that go the distance sell out near the end.',
  "- The file is made and opened as the host does it: a new data set's page size (`checkDataSet`), and its",
  '  log copied back by the background checkpointer (`src/adapters/embedded/checkpointer.ts`), not by',
  "  SQLite's automatic checkpoint inside a commit.",
  "- The callers' next commands are made once the decisions being settled are all told (the next turn of",
  '  the event loop): in the host the HTTP thread makes commands, so their ids and hashes stay off the',
  "  session's path to its next batch, as the request-unit charges do (below).",
  '- Ordered modes model the session dispatcher: per-item FIFO queues, one holder per item (a session) at',
  '  a time, S workers each taking the next ready item and up to k of its commands for one `processCommands`',
  '  call, then releasing it. The hot item therefore runs on one worker whatever S is. No queue costs are',
  "  modelled (receive, complete, lock renewal), nor the host's idle wait before it lets go of a session.",
  '- "One message per commit, read each time" is k = 1 without the item cache; "cached item" keeps the item',
  '  and its ETag between calls; group commit passes k commands of one session per call, committed in as',
  '  few batches as the 100-operation limit allows (a Reserve costs 1 operation, its reservation, beside the',
  "  shared item replace and the batch's one ledger page, so at most 98 Reserves fit in one batch: k = 98 is",
  '  one batch a call, k = 99 takes 2, the last with a single command). A command of a call waits for all the',
  '  batches before it.',
  '- The baseline has no ordering: C workers take commands in arrival order and each reads the item, decides,',
  '  and commits item replace (ifMatch) + reservation + ledger page in one batch, retrying on 412.',
  '- Decided/s is decisions over the time from the start to the last commit. Latency is from when a command',
  '  became available to when the batch that decided it committed. At the time cap no new command is sent',
  '  and calls in flight finish. Conflicts counts 412s; reads and batches are store calls per decision;',
  '  RU/decision is what the request-unit model above charged the run, per decision.',
  "- Check: after each run the store is read back directly. Each item's counters must equal the replay of",
  '  its ledger (`query(type: event, orderBy: seq)`, pages of 1,000), stock is conserved and never oversold',
  '  (available ≥ 0, held + confirmed ≤ stock), reserved equals the held reservations, and every decided',
  '  command appears in the ledger exactly once with the reported outcome (and nothing else does).',
  '- The machine is shared with other jobs and has 2 cores: figures of the undelayed embedded store are',
  '  CPU-bound (mostly SQLite commits) and move by tens of percent between runs; the delayed-store figures are',
  '  bounded by the injected round trips and are steadier.',
  '',
];

export function renderMarkdown(report: Report): string {
  const { machine, config } = report;
  const scenarios = [...new Set(report.runs.map((r) => r.scenario))] as Scenario[];
  const out: string[] = [
    '# Benchmarks',
    '',
    'Generated by `npm run bench -- --write` (`tools/bench/main.ts`); do not edit by hand, run it again. The',
    'figures are from one run on the machine below, with the processor (`processCommands`) and the embedded',
    'store in one process; the delayed store adds a fixed wait before every store call to stand in for a',
    'Cosmos DB round trip.',
    '',
    '## Machine and settings',
    '',
    `- CPU: ${machine.cpu}, ${machine.cores} cores (shared with other jobs); memory ${machine.memoryGiB} GiB`,
    `- Node ${machine.node} on ${machine.platform}`,
    `- Date: ${machine.date}${report.quick ? ' (quick run: short, noisy figures)' : ''}; whole bench ${report.totalSeconds.toFixed(0)} s`,
    `- Injected round trip: ${config.delayMs} ms per store call (read, create, replace, batch, query)`,
    `- Ordered modes: ${config.sessions} session workers; baseline: ${config.workers} workers; ${config.clients} outstanding ` +
      `commands (closed loop); at most ${int(config.commands)} commands or ${config.seconds} s per run`,
    `- Items: 1 (hot), ${int(config.items)} (uniform), ${int(config.items)} Zipf with skew ${config.skew}; seed ${config.seed}`,
    '',
    '## Targets',
    '',
    ...targetLines(report.targets),
    '',
  ];
  const notes = observations(report.runs);
  if (notes.length > 0) out.push('## Observations from this run', '', ...notes, '');
  for (const scenario of scenarios) {
    out.push(
      `## ${SCENARIO_TITLES[scenario]}`,
      '',
      scenarioTable(report.runs.filter((r) => r.scenario === scenario)),
      '',
    );
  }
  if (report.runs.some((r) => r.scenario === 'hot')) {
    out.push(
      '## Request units on the hot partition',
      '',
      'What one hot item costs per decision under the request-unit model (next section), and the most',
      'decisions per second its one logical partition can take before Cosmos DB throttles it (429), whatever',
      'the round trip: the ceiling. Where decided/s is above the ceiling, Cosmos DB would hold the item to the ceiling.',
      '',
      ruTargetLine(report.runs),
      '',
      hotPartitionTable(report.runs),
      '',
    );
  }
  out.push(...ruModelSection(), ...HOW_IT_IS_MEASURED);
  return out.join('\n');
}

/** Findings computed from the figures of this run, so they stay true when the bench is run again. */
export function observations(runs: readonly RunResult[]): string[] {
  const notes: string[] = [];
  const get = (scenario: Scenario, store: StoreKind, mode: string) =>
    runs.find((r) => r.scenario === scenario && r.store === store && r.mode === mode);
  const k98 = get('hot', 'delayed', 'group-98');
  const k99 = get('hot', 'delayed', 'group-99');
  if (k98 && k99) {
    notes.push(
      `- Batch filling: on the hot item behind the round trip, k = 98 decided ${int(k98.decidedPerSecond)}/s ` +
        `(${perDecision(k98.batchesPerDecision)} batches per decision) and k = 99 ${int(k99.decidedPerSecond)}/s ` +
        `(${perDecision(k99.batchesPerDecision)}): the 99th Reserve does not fit the 100-operation batch and costs a ` +
        'round trip of its own. Size k by operations, not by message count.',
    );
  }
  const read = get('hot', 'delayed', 'one-read');
  const cached = get('hot', 'delayed', 'one-cached');
  if (read && cached) {
    notes.push(
      `- The item cache halves the round trips of one message per commit on the hot item ` +
        `(${perDecision(read.readsPerDecision + read.batchesPerDecision)} → ` +
        `${perDecision(cached.readsPerDecision + cached.batchesPerDecision)} store calls per decision): ` +
        `${int(read.decidedPerSecond)}/s → ${int(cached.decidedPerSecond)}/s.`,
    );
  }
  const optimistic = get('hot', 'delayed', 'optimistic');
  if (optimistic && optimistic.decided > 0) {
    notes.push(
      `- Without ordering, the hot item costs ${perDecision(optimistic.conflicts / optimistic.decided)} ETag ` +
        `conflicts per decision (${perDecision(optimistic.readsPerDecision)} reads and batches each): ` +
        `${int(optimistic.decidedPerSecond)}/s, and the commands are no longer decided in arrival order.`,
    );
  }
  const uniformGroup = get('uniform', 'delayed', 'group-99');
  const uniformOne = get('uniform', 'delayed', 'one-cached');
  if (uniformGroup && uniformOne) {
    notes.push(
      `- Over many cool items a session rarely has more than one command waiting, so group commit changes ` +
        `little (uniform, behind the round trip: ${int(uniformOne.decidedPerSecond)}/s one message per commit, ` +
        `${int(uniformGroup.decidedPerSecond)}/s with k = 99): throughput is about sessions ÷ round trip, and ` +
        'the lever there is more concurrent sessions (maxConcurrentSessions), not bigger batches.',
    );
  }
  return notes;
}
