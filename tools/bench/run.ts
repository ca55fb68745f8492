import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BackgroundCheckpointer } from '../../src/adapters/embedded/checkpointer';
import { checkDataSet } from '../../src/adapters/embedded/data-set';
import { openDatabase } from '../../src/adapters/embedded/database';
import { EmbeddedStore } from '../../src/adapters/embedded/embedded-store';
import { systemClock } from '../../src/ports/clock';
import { checkRun, type CheckResult } from './check';
import { DelayedStore } from './delayed-store';
import type { Feeder } from './feeder';
import { runOptimistic } from './optimistic';
import { runOrdered, type OrderedMode } from './ordered';
import { totalRequestUnits, zeroRequestUnits, type RequestUnitCounts } from './ru-meter';
import { ascending, percentile } from './stats';
import { createItems, makeWorkload, type Scenario } from './workload';

export type StoreKind = 'embedded' | 'delayed';

export type ModeSpec = { id: string; label: string } & (OrderedMode | { kind: 'optimistic' });

/** Large enough for every item of a run: the cache modes never miss after the first read. */
const CACHE_CAPACITY = 100_000;

export function benchModes(groupSizes: readonly number[]): ModeSpec[] {
  return [
    {
      id: 'one-read',
      label: 'one message per commit, read each time',
      kind: 'ordered',
      cacheCapacity: 0,
      groupSize: 1,
    },
    {
      id: 'one-cached',
      label: 'one message per commit, cached item',
      kind: 'ordered',
      cacheCapacity: CACHE_CAPACITY,
      groupSize: 1,
    },
    ...groupSizes.map((k): ModeSpec => ({
      id: `group-${k}`,
      label: `group commit k=${k}, cached item`,
      kind: 'ordered',
      cacheCapacity: CACHE_CAPACITY,
      groupSize: k,
    })),
    { id: 'optimistic', label: 'no ordering: read, decide, replace with ETag, retry', kind: 'optimistic' },
  ];
}

export interface BenchConfig {
  /** Injected round trip of the delayed store, ms. */
  delayMs: number;
  /** Session workers of the ordered modes (the host's maxConcurrentSessions). */
  sessions: number;
  /** Concurrent workers of the optimistic baseline. */
  workers: number;
  /** Outstanding commands (closed loop). */
  clients: number;
  /** Commands per run at most. */
  commands: number;
  /** Time cap per run, seconds. */
  seconds: number;
  items: number;
  skew: number;
  seed: number;
  /** Share of Reserves asking for more than any item holds. */
  oversizedShare: number;
}

export const DEFAULT_CONFIG: BenchConfig = {
  delayMs: 5,
  sessions: 8,
  workers: 8,
  clients: 256,
  commands: 20_000,
  seconds: 2.5,
  items: 1000,
  skew: 1.1,
  seed: 20_240_601,
  oversizedShare: 0.02,
};

export interface RunResult {
  scenario: Scenario;
  store: StoreKind;
  delayMs: number;
  mode: string;
  label: string;
  generated: number;
  decided: number;
  held: number;
  rejected: number;
  seconds: number;
  decidedPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** ETag conflicts (412) the run hit: each one is a retry. */
  conflicts: number;
  readsPerDecision: number;
  batchesPerDecision: number;
  /** What the delayed store charged the run under the RU model (ru-model.ts). */
  requestUnits: RequestUnitCounts;
  /** All request units of the run over its decisions (reads, writes, queries and failed requests). */
  ruPerDecision: number;
  /** Documents written or deleted per decision. */
  writesPerDecision: number;
  check: CheckResult;
}

export interface RunHooks {
  /** Runs after the measurement and before the check, on the undelayed store (tests tamper here). */
  beforeCheck?: (store: EmbeddedStore) => Promise<void>;
}

/** One measured run in a fresh database: create the items, run the mode, check what the store holds. */
export async function benchRun(
  config: BenchConfig,
  scenario: Scenario,
  storeKind: StoreKind,
  mode: ModeSpec,
  hooks: RunHooks = {},
): Promise<RunResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'inventory-bench-'));
  // As the host makes and opens its store (src/local/compose.ts, embedded-wiring.ts): a new data set's
  // page size, and the log copied back by a worker thread, not by SQLite's automatic checkpoint inside a
  // commit, which would stall the measured thread.
  checkDataSet(dir);
  const db = openDatabase(dir);
  const checkpointer = new BackgroundCheckpointer(db);
  try {
    const embedded = new EmbeddedStore(db);
    const delayMs = storeKind === 'delayed' ? config.delayMs : 0;
    const store = new DelayedStore(embedded, delayMs);
    const workload = makeWorkload({
      scenario,
      items: config.items,
      skew: config.skew,
      commands: config.commands,
      seed: config.seed,
      oversizedShare: config.oversizedShare,
    });
    await createItems(embedded, systemClock, workload);
    const deps = {
      store,
      clock: systemClock,
      workload,
      limits: { commands: config.commands, seconds: config.seconds, clients: config.clients },
    };
    const feeder: Feeder =
      mode.kind === 'optimistic'
        ? await runOptimistic(deps, config.workers)
        : await runOrdered(deps, mode, config.sessions);
    await hooks.beforeCheck?.(embedded);
    const check = await checkRun({
      store: embedded,
      itemIds: workload.itemIds,
      stock: workload.stock,
      settled: feeder.settled,
      settledTwice: feeder.settledTwice,
    });
    return measured(scenario, storeKind, delayMs, mode, feeder, store, check);
  } finally {
    await checkpointer.stop();
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The figures of a finished run, from what the feeder saw and the store counted. */
function measured(
  scenario: Scenario,
  storeKind: StoreKind,
  delayMs: number,
  mode: ModeSpec,
  feeder: Feeder,
  store: DelayedStore,
  check: CheckResult,
): RunResult {
  const latencies = ascending(feeder.latencies);
  const statuses = [...feeder.settled.values()];
  const decided = feeder.decided;
  const seconds = feeder.elapsedSeconds;
  return {
    scenario,
    store: storeKind,
    delayMs,
    mode: mode.id,
    label: mode.label,
    generated: feeder.generated,
    decided,
    held: statuses.filter((s) => s.status === 'applied').length,
    rejected: statuses.filter((s) => s.status === 'rejected').length,
    seconds,
    decidedPerSecond: seconds > 0 ? decided / seconds : 0,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    conflicts: store.calls.conflicts,
    readsPerDecision: decided > 0 ? store.calls.read / decided : 0,
    batchesPerDecision: decided > 0 ? store.calls.batch / decided : 0,
    requestUnits: { ...store.requestUnits.counts },
    ruPerDecision: decided > 0 ? totalRequestUnits(store.requestUnits.counts) / decided : 0,
    writesPerDecision: decided > 0 ? store.requestUnits.counts.documentsWritten / decided : 0,
    check,
  };
}

/** A run that threw (a processor or store error): recorded as a failed check so the report shows it. */
export function failedRun(
  config: BenchConfig,
  scenario: Scenario,
  storeKind: StoreKind,
  mode: ModeSpec,
  error: unknown,
): RunResult {
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return {
    scenario,
    store: storeKind,
    delayMs: storeKind === 'delayed' ? config.delayMs : 0,
    mode: mode.id,
    label: mode.label,
    generated: 0,
    decided: 0,
    held: 0,
    rejected: 0,
    seconds: 0,
    decidedPerSecond: 0,
    p50Ms: Number.NaN,
    p99Ms: Number.NaN,
    conflicts: 0,
    readsPerDecision: 0,
    batchesPerDecision: 0,
    requestUnits: zeroRequestUnits(),
    ruPerDecision: 0,
    writesPerDecision: 0,
    check: { ok: false, problems: [`the run threw ${message}`], events: 0 },
  };
}
