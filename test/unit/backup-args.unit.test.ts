import { parseBackupArgs, parseRestoreArgs } from '../../tools/backup/args';
import { ToolArgsError } from '../../tools/run-main';
import { main as backup } from '../../tools/backup/backup-cli';
import { main as restore } from '../../tools/backup/restore-cli';

/** The arguments of npm run backup and npm run restore: every bad one named, exit 2; --help exits 0. */

function problems(parse: () => unknown): string[] {
  try {
    parse();
  } catch (error) {
    if (error instanceof ToolArgsError) return error.problems;
    throw error;
  }
  throw new Error('expected the arguments to be refused');
}

async function run(command: typeof backup, argv: string[], env: NodeJS.ProcessEnv = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await command(argv, env, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('backup arguments', () => {
  test('--out and --data-dir, in both spellings; the folder defaults to DATA_DIR, then ./.data', () => {
    expect(parseBackupArgs(['--out', 'b.bak', '--data-dir=/srv/data'], {})).toEqual({
      out: 'b.bak',
      dataDir: '/srv/data',
      force: false,
    });
    expect(parseBackupArgs(['--out=b.bak', '--force'], { DATA_DIR: '/var/inv' })).toMatchObject({
      dataDir: '/var/inv',
      force: true,
    });
    expect(parseBackupArgs(['--out', 'b.bak'], {}).dataDir).toBe('./.data');
  });

  test('names each bad argument', () => {
    expect(problems(() => parseBackupArgs(['stray', '--out', '--data-dir', '~/x', '--what'], {}))).toEqual([
      '--out needs a value',
      'unknown flag --what (see --help)',
      'unexpected argument "stray" (the file goes after --out)',
      '--out is required: the backup file to write, such as backup.bak',
      '--data-dir: DATA_DIR must not start with ~ (it is not expanded here): use a full path',
    ]);
    expect(problems(() => parseBackupArgs(['--out', 'a', '--out', 'b', '--force=yes'], {}))).toEqual([
      '--out given more than once',
      '--force takes no value',
    ]);
    expect(problems(() => parseBackupArgs(['--out', 'a'], { DATA_DIR: ' ' }))).toEqual([
      'DATA_DIR (environment): DATA_DIR must not be empty',
      'DATA_DIR (environment): DATA_DIR must not start or end with white space',
    ]);
  });

  test('exit 2 with the problems on stderr, 0 with the usage for --help', async () => {
    const bad = await run(backup, ['--data-dir', '/x']);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('backup: invalid arguments\n  - --out is required');
    expect(bad.out).toBe('');
    const help = await run(backup, ['--help']);
    expect(help.code).toBe(0);
    expect(help.out).toContain('Usage: npm run backup -- --out FILE');
  });
});

describe('restore arguments', () => {
  test('one FILE, --data-dir and --force', () => {
    expect(parseRestoreArgs(['b.bak', '--data-dir', 'd', '--force'], {})).toEqual({
      file: 'b.bak',
      dataDir: 'd',
      force: true,
    });
    expect(problems(() => parseRestoreArgs([], {}))).toEqual(['the backup FILE to restore is required']);
    expect(problems(() => parseRestoreArgs(['a.bak', 'b.bak', '-f'], {}))).toEqual([
      'unknown flag -f (see --help)',
      'one backup FILE at a time, got "a.bak", "b.bak"',
    ]);
  });

  test('exit 2 on bad arguments, 0 with the usage for --help', async () => {
    const bad = await run(restore, ['--data-dir']);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--data-dir needs a value');
    expect(bad.err).toContain('the backup FILE to restore is required');
    const help = await run(restore, ['-h']);
    expect(help.code).toBe(0);
    expect(help.out).toContain('Usage: npm run restore -- FILE');
  });
});
