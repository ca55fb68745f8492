import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** How to run the Bicep CLI here: argv prefix plus where it was found. */
export interface BicepCli {
  command: string;
  prefix: string[];
  source: string;
}

const REPO_ROOT = join(__dirname, '..', '..');

function runs(command: string, args: string[]): boolean {
  const probe = spawnSync(command, args, { encoding: 'utf8', timeout: 60_000 });
  return probe.status === 0;
}

/**
 * The Bicep CLI, in the order a contributor's machine or CI provides it: `.tools/bicep` (put there by
 * scripts/install-bicep.sh from NuGet), `bicep` on PATH, then `az bicep`. Null when none runs.
 */
export function findBicep(): BicepCli | null {
  const local = join(REPO_ROOT, '.tools', 'bicep');
  if (existsSync(local) && runs(local, ['--version'])) return { command: local, prefix: [], source: local };
  if (runs('bicep', ['--version'])) return { command: 'bicep', prefix: [], source: 'bicep on PATH' };
  if (runs('az', ['bicep', 'version'])) return { command: 'az', prefix: ['bicep'], source: 'az bicep' };
  return null;
}

export interface BicepRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function runBicep(cli: BicepCli, args: string[], cwd = REPO_ROOT): BicepRun {
  const result = spawnSync(cli.command, [...cli.prefix, ...args], {
    cwd,
    encoding: 'utf8',
    timeout: 180_000,
    // The CLI must not try to reach the network for telemetry or module restore here.
    env: { ...process.env, BICEP_TRACING_ENABLED: 'false', DOTNET_CLI_TELEMETRY_OPTOUT: '1' },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/**
 * The Bicep CLI for a suite that needs it. Without one the suite is not silently green: it says so loudly and
 * skips, and under CI=true it registers a failing test instead.
 */
export function requireBicep(suite: string): BicepCli | null {
  const cli = findBicep();
  if (cli) return cli;
  const inCi = process.env.CI === 'true';
  const message = `NO BICEP CLI FOUND: ${suite} did not run. Install it with scripts/install-bicep.sh, or put bicep (or az bicep) on PATH.`;
  if (!inCi) process.stderr.write(`\n${'!'.repeat(100)}\n${message}\n${'!'.repeat(100)}\n\n`);
  describe(suite, () => {
    (inCi ? it : it.skip)('has the Bicep CLI (required under CI=true)', () => {
      throw new Error(message);
    });
  });
  return null;
}
