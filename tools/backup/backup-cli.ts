import { BackupError, takeBackup } from '../../src/adapters/embedded/backup';
import { argsFailure, describe, runMain, STANDARD_OUTPUT, type Output } from '../run-main';
import { BACKUP_USAGE, parseBackupArgs, type BackupArgs } from './args';

/**
 * `npm run backup -- --out FILE [--data-dir DIR] [--force]`: exit 0 once FILE is written, 1 when the
 * backup could not be taken, 2 on bad arguments.
 */
export async function main(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
  output: Output = STANDARD_OUTPUT,
): Promise<number> {
  let args: BackupArgs;
  try {
    args = parseBackupArgs(argv, env);
  } catch (error) {
    return argsFailure('backup', BACKUP_USAGE, error, output);
  }
  try {
    const summary = await takeBackup(args.dataDir, args.out, { overwrite: args.force });
    const sizes = summary.parts.map((p) => `${p.name} ${p.length} bytes`).join(', ');
    output.out(
      `backup of ${args.dataDir} written to ${summary.file}: data set ${summary.dataSetId} as of ` +
        `${summary.createdAt} (${sizes}; writers held ${summary.writersHeldMs.toFixed(1)} ms)`,
    );
    return 0;
  } catch (error) {
    output.err(`backup: ${error instanceof BackupError ? error.message : describe(error)}`);
    return 1;
  }
}

if (require.main === module) runMain('backup', () => main(process.argv.slice(2)));
