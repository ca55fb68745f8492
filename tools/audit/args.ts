import { ToolArgsError, ToolHelpRequested } from '../run-main';

/** The audit tool's options: `--url URL [--key KEY] [--concurrency N]`; the key may come from the environment. */

export interface AuditOptions {
  /** The API root, without a trailing slash, e.g. http://localhost:7071/api */
  url: string;
  key: string | undefined;
  /** Items audited at once. */
  concurrency: number;
  /** Items listed per page. */
  pageSize: number;
}

const FLAGS = new Set(['url', 'key', 'concurrency', 'page-size']);

/** Parses `--flag value` and `--flag=value`; the key may also come from AUDIT_FUNCTION_KEY. */
export function parseAuditArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): AuditOptions {
  const { raw, problems } = readFlags(argv);
  const url = checkUrl(raw.url, problems);
  const key = raw.key ?? (env.AUDIT_FUNCTION_KEY || undefined);
  if (key !== undefined && !/^[\x21-\x7e]{1,1024}$/.test(key)) {
    problems.push('--key must be 1 to 1024 printable characters without spaces');
  }
  const concurrency = checkInt('concurrency', raw.concurrency, 4, 1, 64, problems);
  const pageSize = checkInt('page-size', raw['page-size'], 100, 1, 1000, problems);
  if (problems.length > 0) throw new ToolArgsError(problems);
  return { url, key, concurrency, pageSize };
}

function readFlags(argv: readonly string[]): { raw: Record<string, string>; problems: string[] } {
  const raw: Record<string, string> = {};
  const problems: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--help' || arg === '-h') throw new ToolHelpRequested();
    if (!arg.startsWith('--') || arg === '--') {
      problems.push(`unexpected argument "${arg}" (flags start with --)`);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
    let value: string | undefined = eq >= 0 ? arg.slice(eq + 1) : argv[i + 1];
    if (eq < 0) {
      if (value === undefined || value.startsWith('--')) value = undefined;
      else i++;
    }
    if (!FLAGS.has(name)) {
      problems.push(`unknown flag --${name} (see --help)`);
      continue;
    }
    if (value === undefined) {
      problems.push(`--${name} needs a value`);
      continue;
    }
    if (name in raw) problems.push(`--${name} given more than once`);
    raw[name] = value;
  }
  return { raw, problems };
}

function checkUrl(value: string | undefined, problems: string[]): string {
  if (value === undefined) {
    problems.push('--url is required: the API root, such as http://localhost:7071/api');
    return '';
  }
  try {
    const url = new URL(value);
    if ((url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '' && !url.search) {
      return value.replace(/\/+$/, '');
    }
  } catch {
    // refused below
  }
  problems.push(`--url must be an http(s) URL such as http://localhost:7071/api, got "${value}"`);
  return '';
}

function checkInt(
  name: string,
  value: string | undefined,
  fallback: number,
  min: number,
  max: number,
  problems: string[],
): number {
  if (value === undefined) return fallback;
  const parsed = /^\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
  if (!Number.isInteger(parsed) || parsed < min || parsed > max) {
    problems.push(`--${name} must be an integer from ${min} to ${max}, got "${value}"`);
    return fallback;
  }
  return parsed;
}

export const USAGE = `Usage: npm run audit -- --url URL [--key KEY] [--concurrency N] [--page-size N]

Lists every item (GET /inventory, paged) and audits each (GET /inventory/{id}/audit): its ledger replayed
and compared with its counters, its reservations and its users' tallies. Prints a line per item, every
difference found, and a summary.

  --url URL            the API root, such as http://localhost:7071/api (required)
  --key KEY            function key (API_KEY on one machine), sent as x-functions-key
                       (or env AUDIT_FUNCTION_KEY)
  --concurrency N      items audited at once (1-64, default 4)
  --page-size N        items listed per page (1-1000, default 100)
  --help               this text

Exit codes: 0 every item consistent, 1 a difference (or an item that could not be audited), 2 bad arguments.
`;
