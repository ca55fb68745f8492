import { BackupFileError } from '../../src/adapters/embedded/backup-format';
import { restoreBackup, RestoreError } from '../../src/adapters/embedded/restore';
import { argsFailure, describe, runMain, STANDARD_OUTPUT, type Output } from '../run-main';
import { parseRestoreArgs, RESTORE_USAGE, type RestoreArgs } from './args';

/**
 * `npm run restore -- FILE [--data-dir DIR] [--force]`: exit 0 once the data set is back and passes the
 * host's start-up check, 1 when refused (a running host, a damaged file, data already there) or failed,
 * 2 on bad arguments.
 */
export async function main(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
  output: Output = STANDARD_OUTPUT,
): Promise<number> {
  let args: RestoreArgs;
  try {
    args = parseRestoreArgs(argv, env);
  } catch (error) {
    return argsFailure('restore', RESTORE_USAGE, error, output);
  }
  try {
    const summary = await restoreBackup(args.file, args.dataDir, { force: args.force });
    output.out(
      `restored ${args.file} into ${args.dataDir}: data set ${summary.dataSetId} as of ${summary.createdAt}` +
        (summary.movedAside ? `; the files it replaced are in ${summary.movedAside}` : ''),
    );
    return 0;
  } catch (error) {
    const known = error instanceof RestoreError || error instanceof BackupFileError;
    output.err(`restore: ${known ? error.message : describe(error)}`);
    return 1;
  }
}

if (require.main === module) runMain('restore', () => main(process.argv.slice(2)));
