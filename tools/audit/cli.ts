import { parseAuditArgs, USAGE, type AuditOptions } from './args';
import { formatSummary, runAudit } from './run';
import { argsFailure, describe, runMain, STANDARD_OUTPUT, type Output } from '../run-main';

/**
 * `npm run audit -- --url URL [--key KEY]`: audits every item. Exit 0 when every item is consistent, 1 on any
 * difference or an item (or the listing) that could not be audited, 2 on bad arguments.
 */
export async function main(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
  output: Output = STANDARD_OUTPUT,
): Promise<number> {
  let options: AuditOptions;
  try {
    options = parseAuditArgs(argv, env);
  } catch (error) {
    return argsFailure('audit', USAGE, error, output);
  }
  try {
    const summary = await runAudit(options, output);
    output.out(formatSummary(summary));
    return summary.inconsistent === 0 && summary.failed === 0 ? 0 : 1;
  } catch (error) {
    output.err(`audit: ${describe(error)}`);
    return 1;
  }
}

if (require.main === module) runMain('audit', () => main(process.argv.slice(2)));
