import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from '../../tools/loadtest/args';
import { buildReport, type LoadTestReport } from '../../tools/loadtest/report';
import { runLoadTest } from '../../tools/loadtest/runner';
import { localSettings, startHost, type Host } from '../../src/local/host';
import { buildTool } from '../support/tools-build';

jest.setTimeout(60_000);

const ROOT = path.resolve(__dirname, '../..');

/** Runs the compiled CLI as a child process: its exit code and output. */
function runCli(cli: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { ...process.env, NODE_PATH: path.join(ROOT, 'node_modules') };
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, ...args], { env, timeout: 40_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

describe('load test against the one-machine host', () => {
  let host: Host;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'loadtest-e2e-'));
    host = await startHost(localSettings({ dataDir: path.join(dir, 'data') }), () => undefined);
  });

  afterAll(async () => {
    await host?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs 400 reservations over 20 items with confirms and cancels, and every invariant holds', async () => {
    const url = host.url.replace('localhost', '127.0.0.1');
    const options = parseArgs(
      [
        '--url',
        url,
        '--items',
        '20',
        '--stock',
        '15',
        '--requests',
        '400',
        '--concurrency',
        '32',
        '--distribution',
        'zipf',
        '--confirm-fraction',
        '0.3',
        '--cancel-fraction',
        '0.3',
        '--decide-timeout',
        '30',
        '--seed',
        '11',
        '--no-progress',
      ],
      {},
    );
    const run = await runLoadTest(options);
    const report = buildReport(run);

    expect(run.violations).toEqual([]);
    expect(report.invariants.ok).toBe(true);
    expect(report.outcomes).toMatchObject({ sent: 400, accepted: 400, decided: 400, undecided: 0 });
    // 20 items x 15 units and a skewed distribution: some items sell out, so both outcomes occur.
    expect(report.outcomes.byDecision.held).toBeGreaterThan(0);
    expect(report.outcomes.byDecision.rejected).toBeGreaterThan(0);
    expect(report.outcomes.byReason.INSUFFICIENT_STOCK).toBe(report.outcomes.byDecision.rejected);
    expect(report.httpErrors.total).toBe(0);
    expect(report.settles.accepted).toBeGreaterThan(0);
    expect(report.settles.undecided).toBe(0);
    expect(report.settles.byOutcome.ReservationConfirmed).toBeGreaterThan(0);
    expect(report.settles.byOutcome.ReservationCancelled).toBeGreaterThan(0);
    expect(report.latencyMs.accept.count).toBe(400);
    expect(report.latencyMs.acceptToDecision.count).toBe(400);
    expect(report.invariants.itemsChecked).toBe(20);
  });

  it('runs open loop on a hot item without overselling', async () => {
    const options = parseArgs(
      [
        '--url',
        host.url,
        '--items',
        '3',
        '--stock',
        '50',
        '--requests',
        '150',
        '--rate',
        '300',
        '--distribution',
        'hot',
        '--seed',
        '5',
      ],
      {},
    );
    const run = await runLoadTest(options);
    const report = buildReport(run);
    expect(run.violations).toEqual([]);
    expect(report.outcomes.byDecision).toEqual({ held: 50, rejected: 100 });
    expect(report.latencyMs.scheduleLag?.count).toBe(150);
    expect(report.latencyMs.warmupAccept).toBeNull();

    // The same run with a 0.2 s warm-up: the 60 requests due in it (at 300/s) are left out of the
    // latencies and summarised on their own; counts, decisions and checks still cover all 150.
    const warm = buildReport({ ...run, options: { ...run.options, warmup: 0.2 } });
    expect(warm.load.warmupSeconds).toBe(0.2);
    expect(warm.latencyMs.warmupAccept?.count).toBe(60);
    expect(warm.latencyMs.accept.count).toBe(90);
    expect(warm.latencyMs.acceptToDecision.count).toBe(90);
    expect(warm.latencyMs.scheduleLag?.count).toBe(90);
    expect(warm.outcomes).toEqual(report.outcomes);
    expect(warm.throughput).toEqual(report.throughput);
  });

  it('runs 60 carts of 3 lines on 5 short items: carts held and rejected whole, confirms and cancels', async () => {
    const options = parseArgs(
      [
        '--url',
        host.url.replace('localhost', '127.0.0.1'),
        '--cart-lines',
        '3',
        '--items',
        '5',
        '--stock',
        '12',
        '--requests',
        '60',
        '--concurrency',
        '8',
        '--confirm-fraction',
        '0.4',
        '--cancel-fraction',
        '0.4',
        '--decide-timeout',
        '30',
        '--seed',
        '21',
        '--no-progress',
      ],
      {},
    );
    const run = await runLoadTest(options);
    const report = buildReport(run);

    expect(run.violations).toEqual([]);
    expect(report.invariants.ok).toBe(true);
    expect(report.invariants.checks.join('\n')).toMatch(/CART_LINE_STATUS_MISMATCH/);
    const carts = report.carts!;
    expect(carts).toMatchObject({ linesPerCart: 3, sent: 60, accepted: 60, decided: 60, undecided: 0 });
    // 5 items x 12 units for 180 line units: the first carts are held, the later ones cannot be.
    expect(carts.byDecision.held).toBeGreaterThan(0);
    expect(carts.byDecision.rejected).toBeGreaterThan(0);
    expect(carts.rejectedLineReasons.INSUFFICIENT_STOCK).toBeGreaterThan(0);
    expect(carts.settles.accepted).toBeGreaterThan(0);
    expect(carts.settles.undecided).toBe(0);
    expect(carts.byFinalStatus.confirmed).toBeGreaterThan(0);
    expect(carts.byFinalStatus.cancelled).toBeGreaterThan(0);
    expect(carts.latencyMs.acceptToDecided.count).toBe(60);
    // The lines are reservations: counted, decided and checked at their items like single ones.
    expect(report.outcomes).toMatchObject({ sent: 180, accepted: 180, decided: 180, undecided: 0 });
    expect(report.outcomes.byFinalStatus.confirmed).toBe(3 * carts.byFinalStatus.confirmed!);
    expect(report.httpErrors.total).toBe(0);
    expect(report.latencyMs.accept.count).toBe(60);
    expect(report.invariants.itemsChecked).toBe(5);

    // With a warm-up, the cart decide latency leaves out the same carts as the accept latency.
    const due = run.carts!.records.map((r) => r.scheduledMs).sort((a, b) => a - b);
    const warmupMs = due[30]!;
    const warm = buildReport({ ...run, options: { ...run.options, warmup: warmupMs / 1000 } });
    const measured = run.carts!.records.filter((r) => r.scheduledMs >= warmupMs).length;
    expect(measured).toBeLessThan(60);
    expect(warm.latencyMs.accept.count).toBe(measured);
    expect(warm.carts!.latencyMs.acceptToDecided.count).toBe(measured);
  });

  it('runs as a CLI: exit 0 and the JSON results written; exit 2 on bad arguments', async () => {
    const cli = buildTool(path.join(dir, 'cli'), 'loadtest');
    const out = path.join(dir, 'results', 'run.json');
    const exec = (args: string[]) => runCli(cli, args);

    const ok = await exec([
      '--url',
      host.url,
      '--items',
      '3',
      '--stock',
      '5',
      '--requests',
      '20',
      '--concurrency',
      '4',
      '--confirm-fraction',
      '0.5',
      '--out',
      out,
    ]);
    expect(ok.stderr).not.toMatch(/failed/);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/invariants {2}OK/);
    expect(existsSync(out)).toBe(true);
    const report = JSON.parse(readFileSync(out, 'utf8')) as LoadTestReport;
    expect(report.invariants.ok).toBe(true);
    expect(report.outcomes.accepted).toBe(20);

    const bad = await exec(['--url', host.url, '--confirm-fraction', '2', '--nope']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--confirm-fraction/);
    expect(bad.stderr).toMatch(/unknown flag --nope/);
  });

  it('runs carts open loop as a CLI against a host that wants a key; refuses more lines than items', async () => {
    const keyed = await startHost(
      localSettings({ dataDir: path.join(dir, 'keyed'), apiKey: 'loadtest-e2e-key-0123' }),
      () => undefined,
    );
    try {
      const cli = buildTool(path.join(dir, 'cli-carts'), 'loadtest');
      const out = path.join(dir, 'results', 'carts.json');
      const args = ['--cart-lines', '2', '--items', '3', '--stock', '6', '--requests', '20', '--rate', '100'];
      const run = await runCli(cli, [
        '--url',
        keyed.url,
        ...args,
        '--cancel-fraction',
        '0.5',
        '--key',
        'loadtest-e2e-key-0123',
        '--out',
        out,
      ]);
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/carts {7}sent 20 of 2 lines, accepted 20/);
      expect(run.stdout).toMatch(/invariants {2}OK/);
      const report = JSON.parse(readFileSync(out, 'utf8')) as LoadTestReport;
      expect(report.carts?.byDecision.held).toBeGreaterThan(0);
      expect(report.carts?.byDecision.rejected).toBeGreaterThan(0);

      const keyless = await runCli(cli, ['--url', keyed.url, ...args, '--out', out]);
      expect(keyless.code).toBe(1);

      const tooMany = await runCli(cli, ['--url', keyed.url, '--cart-lines', '4', '--items', '3']);
      expect(tooMany.code).toBe(2);
      expect(tooMany.stderr).toMatch(/--cart-lines 4 needs at least 4 items, but --items is 3/);
    } finally {
      await keyed.stop();
    }
  });
});
