import fs from 'node:fs';
import path from 'node:path';
import { parseArgs, UsageError, USAGE, type BenchArgs } from './args';
import {
  describeMachine,
  evaluateTargets,
  renderMarkdown,
  scenarioTable,
  targetLines,
  type Report,
} from './report';
import { hotPartitionTable, ruTargetLine } from './ru-report';
import { benchModes, benchRun, failedRun, type ModeSpec, type RunResult } from './run';
import { SCENARIO_TITLES } from './workload';
import { runMain } from '../run-main';

const fixed = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : 'n/a');

/** Short unrecorded runs first, so the JIT has compiled the hot paths before anything is measured. */
async function warmUp(args: BenchArgs): Promise<void> {
  const config = { ...args.config, commands: 2000, seconds: 0.2, delayMs: 0 };
  for (const mode of benchModes(args.groupSizes)) {
    // A mode that fails here fails again, recorded, when it is measured.
    await benchRun(config, 'zipf', 'embedded', mode).catch(() => undefined);
  }
}

async function main(): Promise<number> {
  let args: BenchArgs;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`bench: ${error.message}\n\n${USAGE}\n`);
      return 2;
    }
    throw error;
  }
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const started = performance.now();
  const machine = describeMachine();
  const modes = benchModes(args.groupSizes);
  process.stdout.write(
    `bench: ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}; delay ${args.config.delayMs} ms; ` +
      `${args.scenarios.length * args.stores.length * modes.length} runs of at most ${args.config.seconds} s\n`,
  );
  await warmUp(args);
  const runs = await runAll(args, modes);
  const targets = evaluateTargets(runs, args.config.delayMs);
  const report: Report = {
    machine,
    config: args.config,
    quick: args.quick,
    groupSizes: args.groupSizes,
    runs,
    targets,
    totalSeconds: (performance.now() - started) / 1000,
  };
  printReport(args, report);
  const failed = runs.filter((r) => !r.check.ok);
  for (const run of failed) {
    process.stderr.write(`bench: correctness check failed for ${run.scenario}/${run.store}/${run.mode}:\n`);
    for (const problem of run.check.problems) process.stderr.write(`  ${problem}\n`);
  }
  return failed.length > 0 ? 1 : 0;
}

/** Every scenario x store x mode, one line each as it finishes; a run that throws is recorded as failed. */
async function runAll(args: BenchArgs, modes: readonly ModeSpec[]): Promise<RunResult[]> {
  const runs: RunResult[] = [];
  for (const scenario of args.scenarios) {
    for (const store of args.stores) {
      for (const mode of modes) {
        const run = await benchRun(args.config, scenario, store, mode).catch((error: unknown) =>
          failedRun(args.config, scenario, store, mode, error),
        );
        runs.push(run);
        process.stdout.write(
          `  ${scenario.padEnd(7)} ${store.padEnd(8)} ${mode.id.padEnd(10)} ${Math.round(run.decidedPerSecond)
            .toString()
            .padStart(7)}/s  p50 ${fixed(run.p50Ms)} ms  p99 ${fixed(run.p99Ms)} ms  ` +
            `conflicts ${run.conflicts}  RU/decision ${fixed(run.ruPerDecision)}  check ${run.check.ok ? 'pass' : 'FAIL'}\n`,
        );
      }
    }
  }
  return runs;
}

/** The tables and targets on stdout, and with --write the Markdown and JSON under docs/. */
function printReport(args: BenchArgs, report: Report): void {
  for (const scenario of args.scenarios) {
    process.stdout.write(
      `\n${SCENARIO_TITLES[scenario]}\n${scenarioTable(report.runs.filter((r) => r.scenario === scenario))}\n`,
    );
  }
  if (args.scenarios.includes('hot')) {
    process.stdout.write(
      `\nRequest units on the hot partition\n${ruTargetLine(report.runs)}\n${hotPartitionTable(report.runs)}\n`,
    );
  }
  process.stdout.write(`\nTargets\n${targetLines(report.targets).join('\n')}\n`);
  if (args.write) {
    const docs = path.resolve(__dirname, '../../../docs');
    fs.mkdirSync(docs, { recursive: true });
    fs.writeFileSync(path.join(docs, 'BENCHMARKS.md'), renderMarkdown(report));
    fs.writeFileSync(path.join(docs, 'benchmarks.json'), `${JSON.stringify(report, null, 2)}\n`);
    process.stdout.write(`\nwrote ${path.join(docs, 'BENCHMARKS.md')} and benchmarks.json\n`);
  } else {
    process.stdout.write(
      '\nprinted only: add --write to update docs/BENCHMARKS.md and docs/benchmarks.json\n',
    );
  }
}

runMain('bench', main);
