import { SingleBar } from 'cli-progress';
import { parseArgs, USAGE, type LoadTestOptions } from './args';
import { buildReport, defaultOutPath, formatReport, writeReport } from './report';
import { newProgress, type Progress } from './progress';
import { runLoadTest } from './runner';
import { argsFailure, runMain, STANDARD_OUTPUT } from '../run-main';

/** `npm run loadtest -- --url ... --items ... --requests ...`: exit 0 ok, 1 violation or failure, 2 bad arguments. */
export async function main(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let options: LoadTestOptions;
  try {
    options = parseArgs(argv, env);
  } catch (error) {
    return argsFailure('loadtest', USAGE, error, STANDARD_OUTPUT);
  }
  const progress = newProgress(options.requests);
  const display = startDisplay(progress, options.progress && process.stderr.isTTY === true);
  let run;
  try {
    run = await runLoadTest(options, progress);
  } catch (error) {
    display.stop();
    process.stderr.write(`loadtest: run failed: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
  display.stop();
  const report = buildReport(run);
  const file = writeReport(report, options.out ?? defaultOutPath());
  process.stdout.write(formatReport(report));
  process.stdout.write(`  results     ${file}\n`);
  if (report.outcomes.accepted === 0) {
    process.stderr.write(
      `loadtest: no ${options.cartLines !== undefined ? 'cart' : 'reservation'} was accepted\n`,
    );
    return 1;
  }
  return report.invariants.ok ? 0 : 1;
}

interface Display {
  stop(): void;
}

/** A live bar on a TTY; otherwise a plain line every 2 seconds (CI logs, pipes). */
function startDisplay(progress: Progress, tty: boolean): Display {
  // Requests started per second over the last sample (not since the start, which includes setup).
  let last = { at: Date.now(), sent: 0, rate: 0 };
  const rate = () => {
    const now = Date.now();
    if (now - last.at >= 500) {
      last = {
        at: now,
        sent: progress.sent,
        rate: Math.round(((progress.sent - last.sent) * 1000) / (now - last.at)),
      };
    }
    return last.rate;
  };
  const payload = () => ({
    phase: progress.phase.padEnd(7),
    sent: progress.sent,
    accepted: progress.accepted,
    decided: progress.decided,
    errors: progress.errors,
    rate: rate(),
    settled: `${progress.settleDecided}/${progress.settleSent}`,
  });
  if (tty) {
    const bar = new SingleBar({
      format:
        '{phase} [{bar}] {value}/{total} | sent {sent} | accepted {accepted} | decided {decided} | errors {errors} | {rate} req/s | settled {settled}',
      barsize: 24,
      hideCursor: true,
      fps: 5,
    });
    bar.start(progress.total, 0, payload());
    const timer = setInterval(() => {
      const value = progress.phase === 'reserve' ? progress.sent : progress.decided;
      bar.update(value, payload());
    }, 200);
    return {
      stop: () => {
        clearInterval(timer);
        bar.update(progress.decided, payload());
        bar.stop();
      },
    };
  }
  const line = () => {
    const p = payload();
    process.stderr.write(
      `[loadtest] ${p.phase.trim()}: sent ${p.sent}/${progress.total}, accepted ${p.accepted}, decided ${p.decided}, ` +
        `errors ${p.errors}, ${p.rate} req/s, settled ${p.settled}\n`,
    );
  };
  const timer = setInterval(line, 2000);
  return {
    stop: () => {
      clearInterval(timer);
      line();
    },
  };
}

if (require.main === module) runMain('loadtest', () => main(process.argv.slice(2)));
