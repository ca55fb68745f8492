import path from 'node:path';
import { loadSettings, SettingsError } from '../../src/config/settings';
import { ToolArgsError, ToolHelpRequested } from '../run-main';

/**
 * Arguments of `npm run backup -- --out FILE [--data-dir DIR] [--force]` and
 * `npm run restore -- FILE [--data-dir DIR] [--force]`. The data folder defaults to DATA_DIR, read with the
 * host's own rules (src/config/settings.ts), so both tools find the folder the host serves.
 */

export interface BackupArgs {
  out: string;
  dataDir: string;
  force: boolean;
}

export interface RestoreArgs {
  file: string;
  dataDir: string;
  force: boolean;
}

export function parseBackupArgs(argv: readonly string[], env: NodeJS.ProcessEnv): BackupArgs {
  const { flags, positionals, problems } = readArgs(argv, ['out', 'data-dir'], ['force']);
  for (const p of positionals) problems.push(`unexpected argument "${p}" (the file goes after --out)`);
  const out = flags.out;
  if (out === undefined) problems.push('--out is required: the backup file to write, such as backup.bak');
  else if (out.trim() === '' || out.endsWith(path.sep)) problems.push(`--out must name a file, got "${out}"`);
  const dataDir = resolveDataDir(flags['data-dir'], env, problems);
  if (problems.length > 0) throw new ToolArgsError(problems);
  return { out: out ?? '', dataDir, force: flags.force === 'true' };
}

export function parseRestoreArgs(argv: readonly string[], env: NodeJS.ProcessEnv): RestoreArgs {
  const { flags, positionals, problems } = readArgs(argv, ['data-dir'], ['force']);
  if (positionals.length === 0) problems.push('the backup FILE to restore is required');
  if (positionals.length > 1) {
    problems.push(`one backup FILE at a time, got ${positionals.map((p) => `"${p}"`).join(', ')}`);
  }
  const file = positionals[0] ?? '';
  if (positionals.length === 1 && file.trim() === '') problems.push('the backup FILE must not be empty');
  const dataDir = resolveDataDir(flags['data-dir'], env, problems);
  if (problems.length > 0) throw new ToolArgsError(problems);
  return { file, dataDir, force: flags.force === 'true' };
}

/** --data-dir, else DATA_DIR, else the host's default; checked with the host's rules for DATA_DIR. */
function resolveDataDir(flag: string | undefined, env: NodeJS.ProcessEnv, problems: string[]): string {
  const value = flag ?? env.DATA_DIR;
  try {
    return loadSettings(value === undefined ? {} : { DATA_DIR: value }).dataDir;
  } catch (error) {
    if (!(error instanceof SettingsError)) throw error;
    const from = flag !== undefined ? '--data-dir' : 'DATA_DIR (environment)';
    for (const p of error.problems) problems.push(`${from}: ${p}`);
    return '';
  }
}

/** `--flag value`, `--flag=value`, boolean `--flag`, and positionals (anything not starting with --). */
function readArgs(
  argv: readonly string[],
  valued: readonly string[],
  booleans: readonly string[],
): { flags: Record<string, string>; positionals: string[]; problems: string[] } {
  const flags: Record<string, string> = {};
  const positionals: string[] = [];
  const problems: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--help' || arg === '-h') throw new ToolHelpRequested();
    if (!arg.startsWith('-') || arg === '-') {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.startsWith('--') ? (eq >= 0 ? arg.slice(2, eq) : arg.slice(2)) : arg;
    if (booleans.includes(name)) {
      if (eq >= 0) problems.push(`--${name} takes no value`);
      flags[name] = 'true';
      continue;
    }
    if (!valued.includes(name)) {
      problems.push(`unknown flag ${arg.startsWith('--') ? `--${name}` : arg} (see --help)`);
      continue;
    }
    let value: string | undefined = eq >= 0 ? arg.slice(eq + 1) : argv[i + 1];
    if (eq < 0) {
      if (value === undefined || value.startsWith('--')) value = undefined;
      else i++;
    }
    if (value === undefined) problems.push(`--${name} needs a value`);
    else if (name in flags) problems.push(`--${name} given more than once`);
    else flags[name] = value;
  }
  return { flags, positionals, problems };
}

export const BACKUP_USAGE = `Usage: npm run backup -- --out FILE [--data-dir DIR] [--force]

Takes a consistent copy of the one-machine data set (inventory.db and queue.db at one point in time)
while the host keeps serving, into one file with a checksum per part. The host's writers are held for
a few milliseconds only.

  --out FILE        the backup file to write (written to FILE.tmp, fsynced, then renamed)
  --data-dir DIR    the host's data folder (default: DATA_DIR, else ./.data)
  --force           replace FILE if it exists
  --help            this text

Exit codes: 0 written, 1 failed (the message says why), 2 bad arguments.
`;

export const RESTORE_USAGE = `Usage: npm run restore -- FILE [--data-dir DIR] [--force]

Puts a backup made by npm run backup into a data folder for a STOPPED host: the file's checksums are
verified first, a folder a host is running on is refused, and the restored files are checked as the
host checks them at start.

  FILE              the backup file
  --data-dir DIR    the data folder to restore into (default: DATA_DIR, else ./.data)
  --force           replace a data set already in the folder: its files are moved into
                    DIR/replaced-<timestamp>/, not deleted
  --help            this text

Exit codes: 0 restored, 1 refused or failed (the message says why), 2 bad arguments.
`;
