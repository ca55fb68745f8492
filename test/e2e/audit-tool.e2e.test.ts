import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { localSettings, startHost, type Host } from '../../src/local/host';
import { main } from '../../tools/audit/cli';
import { corruptItem, limitedTraffic } from '../support/audit-traffic';
import { ApiClient, loopback } from '../support/http-client';
import { buildTool } from '../support/tools-build';

/**
 * `npm run audit`: the tool against an in-process host behind an API key. It exits 0 while every item is
 * consistent, 1 once one is not (or when it cannot list or audit), 2 on bad arguments naming the flag; the
 * compiled CLI's process exit code is the same.
 */

jest.setTimeout(60_000);

const KEY = 'audit-tool-test-key-0123';

let host: Host;
let url: string;
let dir: string;

/** What main printed, line by line. */
function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, output: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) } };
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'e2e-audit-tool-'));
  const dataDir = path.join(dir, 'data');
  // Traffic through an open host, then the same data served behind a key.
  const open = await startHost(localSettings({ dataDir }), () => undefined);
  const api = new ApiClient(loopback(open.url));
  await limitedTraffic(api, 'tool-a');
  await api.createItem('tool-b', 4);
  await open.stop();
  host = await startHost(localSettings({ dataDir, apiKey: KEY }), () => undefined);
  url = loopback(host.url);
});

afterAll(async () => {
  await host?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function exec(cli: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, ...args], { timeout: 30_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

describe('the audit tool', () => {
  test('exits 2 on bad arguments, naming each flag', async () => {
    const missing = capture();
    expect(await main([], {}, missing.output)).toBe(2);
    expect(missing.err.join('\n')).toMatch(/--url is required/);

    const bad = capture();
    expect(
      await main(
        ['--url', 'ftp://x', '--concurrency', '0', '--page-size=5000', '--bogus', '1'],
        {},
        bad.output,
      ),
    ).toBe(2);
    const said = bad.err.join('\n');
    for (const flag of ['--url', '--concurrency', '--page-size', '--bogus']) expect(said).toContain(flag);
    expect(bad.out).toEqual([]);
  });

  test('exits 0 when every item is consistent, with a line per item and a summary', async () => {
    const run = capture();
    expect(await main(['--url', url, '--key', KEY, '--page-size', '1'], {}, run.output)).toBe(0);
    expect(run.out).toEqual([
      'consistent    tool-a  (events 8, reservations 4, tallies 2)',
      'consistent    tool-b  (events 1, reservations 0, tallies 0)',
      'audited 2 items: 2 consistent, 0 inconsistent, 0 not audited',
    ]);
    expect(run.err).toEqual([]);
  });

  test('exits 1 when it cannot list the items (no key, nothing listening)', async () => {
    const refused = capture();
    expect(await main(['--url', url], {}, refused.output)).toBe(1);
    expect(refused.err.join('\n')).toMatch(/listing the items failed: HTTP 401/);
    const nobody = capture();
    expect(await main(['--url', 'http://127.0.0.1:9/api', '--key', KEY], {}, nobody.output)).toBe(1);
    expect(nobody.err.join('\n')).toMatch(/listing the items failed/);
  });

  test('exits 1 naming the difference once an item is changed behind the service, as a process too', async () => {
    corruptItem(path.join(dir, 'data'), 'tool-a', { confirmed: 5 });
    const run = capture();
    // The key from the environment, as a CI job would pass it.
    expect(await main(['--url', url], { AUDIT_FUNCTION_KEY: KEY }, run.output)).toBe(1);
    expect(run.out).toEqual([
      [
        'INCONSISTENT  tool-a  2 differences (events 8, reservations 4, tallies 2)',
        "    - replayed-counter item.confirmed: expected 2, found 5 (the item's confirmed is 5, its ledger replays to 2)",
        "    - confirmed-sum item.confirmed: expected 2, found 5 (the item's confirmed is 5, its confirmed reservations add up to 2)",
      ].join('\n'),
      'consistent    tool-b  (events 1, reservations 0, tallies 0)',
      'audited 2 items: 1 consistent, 1 inconsistent, 0 not audited',
    ]);

    const cli = buildTool(path.join(dir, 'cli'), 'audit');
    const failed = await exec(cli, ['--url', url, '--key', KEY]);
    expect({ code: failed.code, stderr: failed.stderr }).toEqual({ code: 1, stderr: '' });
    expect(failed.stdout).toContain('INCONSISTENT  tool-a');
    const usage = await exec(cli, ['--url', url, '--key']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('--key needs a value');
  });
});
