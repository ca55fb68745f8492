import { DEFAULT_CONFIG, type BenchConfig, type StoreKind } from './run';
import { SCENARIOS, type Scenario } from './workload';

export interface BenchArgs {
  config: BenchConfig;
  quick: boolean;
  scenarios: Scenario[];
  stores: StoreKind[];
  groupSizes: number[];
  /** Overwrite the tracked docs/BENCHMARKS.md and docs/benchmarks.json (only when asked: --write). */
  write: boolean;
  help: boolean;
}

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export const USAGE = `usage: npm run bench -- [options]

  --quick               short runs (about 20 s in all) instead of the default (about 3 min)
  --delay-ms <n>        injected store round trip in ms, 0-1000 (default ${DEFAULT_CONFIG.delayMs})
  --sessions <n>        session workers of the ordered modes, 1-256 (default ${DEFAULT_CONFIG.sessions})
  --workers <n>         workers of the optimistic baseline, 1-256 (default ${DEFAULT_CONFIG.workers})
  --clients <n>         outstanding commands (closed loop), 1-10000 (default ${DEFAULT_CONFIG.clients})
  --commands <n>        commands per run at most, 1-1000000 (default ${DEFAULT_CONFIG.commands}; quick 3000)
  --seconds <x>         time cap per run, 0.05-120 (default ${DEFAULT_CONFIG.seconds}; quick 0.25)
  --items <n>           items of the uniform and Zipf scenarios, 1-100000 (default ${DEFAULT_CONFIG.items})
  --skew <x>            Zipf exponent, 0-5 (default ${DEFAULT_CONFIG.skew})
  --seed <n>            workload seed (default ${DEFAULT_CONFIG.seed})
  --group-sizes <list>  k of the group-commit modes, each 2-1000 (default 10,49,98,99)
  --scenarios <list>    among ${SCENARIOS.join(',')} (default all)
  --stores <list>       among embedded,delayed (default both)
  --write               also overwrite docs/BENCHMARKS.md and docs/benchmarks.json (default: print only)
  --no-write            print only (the default)
  --help                this text`;

const QUICK = { commands: 3000, seconds: 0.25 };

type Parser = (value: string, args: BenchArgs) => void;

function number(
  name: string,
  min: number,
  max: number,
  integer: boolean,
  set: (args: BenchArgs, n: number) => void,
): Parser {
  return (value, args) => {
    const n = Number(value);
    if (
      value.trim() === '' ||
      !Number.isFinite(n) ||
      (integer && !Number.isInteger(n)) ||
      n < min ||
      n > max
    ) {
      throw new UsageError(
        `--${name} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}, got "${value}"`,
      );
    }
    set(args, n);
  };
}

function list<T extends string>(
  name: string,
  allowed: readonly T[],
  set: (args: BenchArgs, v: T[]) => void,
): Parser {
  return (value, args) => {
    const parts = value.split(',').map((p) => p.trim());
    const bad = parts.filter((p) => !(allowed as readonly string[]).includes(p));
    if (parts.length === 0 || bad.length > 0) {
      throw new UsageError(`--${name} takes a comma-separated list of ${allowed.join(', ')}; got "${value}"`);
    }
    set(args, [...new Set(parts as T[])]);
  };
}

const VALUED: Record<string, Parser> = {
  'delay-ms': number('delay-ms', 0, 1000, false, (a, n) => (a.config.delayMs = n)),
  sessions: number('sessions', 1, 256, true, (a, n) => (a.config.sessions = n)),
  workers: number('workers', 1, 256, true, (a, n) => (a.config.workers = n)),
  clients: number('clients', 1, 10_000, true, (a, n) => (a.config.clients = n)),
  commands: number('commands', 1, 1_000_000, true, (a, n) => (a.config.commands = n)),
  seconds: number('seconds', 0.05, 120, false, (a, n) => (a.config.seconds = n)),
  items: number('items', 1, 100_000, true, (a, n) => (a.config.items = n)),
  skew: number('skew', 0, 5, false, (a, n) => (a.config.skew = n)),
  seed: number('seed', 0, 2 ** 32 - 1, true, (a, n) => (a.config.seed = n)),
  'group-sizes': (value, args) => {
    const sizes = value.split(',').map((p) => Number(p.trim()));
    if (value.trim() === '' || sizes.some((k) => !Number.isInteger(k) || k < 2 || k > 1000)) {
      throw new UsageError(
        `--group-sizes takes a comma-separated list of integers from 2 to 1000, got "${value}"`,
      );
    }
    args.groupSizes = [...new Set(sizes)];
  },
  scenarios: list('scenarios', SCENARIOS, (a, v) => (a.scenarios = v)),
  stores: list('stores', ['embedded', 'delayed'] as const, (a, v) => (a.stores = v)),
};

const FLAGS: Record<string, (args: BenchArgs) => void> = {
  quick: (a) => (a.quick = true),
  write: (a) => (a.write = true),
  'no-write': (a) => (a.write = false),
  help: (a) => (a.help = true),
};

export function parseArgs(argv: readonly string[]): BenchArgs {
  const args: BenchArgs = {
    config: { ...DEFAULT_CONFIG },
    quick: false,
    scenarios: [...SCENARIOS],
    stores: ['embedded', 'delayed'],
    groupSizes: [10, 49, 98, 99],
    write: false,
    help: false,
  };
  const given = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const match = /^--([a-z-]+)(?:=(.*))?$/s.exec(arg);
    if (!match?.[1]) throw new UsageError(`unexpected argument "${arg}"`);
    const name = match[1];
    if (given.has(name)) throw new UsageError(`--${name} given twice`);
    given.add(name);
    const flag = FLAGS[name];
    const valued = VALUED[name];
    if (flag) {
      if (match[2] !== undefined) throw new UsageError(`--${name} takes no value`);
      flag(args);
    } else if (valued) {
      let value = match[2];
      if (value === undefined) {
        value = argv[i + 1];
        i += 1;
      }
      if (value === undefined || value.startsWith('--')) throw new UsageError(`--${name} needs a value`);
      valued(value, args);
    } else {
      throw new UsageError(`unknown option --${name}`);
    }
  }
  if (given.has('write') && given.has('no-write')) throw new UsageError('--write and --no-write contradict');
  if (args.quick) {
    if (!given.has('commands')) args.config.commands = QUICK.commands;
    if (!given.has('seconds')) args.config.seconds = QUICK.seconds;
  }
  return args;
}
