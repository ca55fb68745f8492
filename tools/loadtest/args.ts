import { z } from 'zod';
import { ToolArgsError, ToolHelpRequested } from '../run-main';

/** The load tool's options, parsed from argv and the environment with one schema. */

export const DISTRIBUTIONS = ['uniform', 'hot', 'zipf'] as const;
export type Distribution = (typeof DISTRIBUTIONS)[number];

export interface LoadTestOptions {
  url: string;
  key: string | undefined;
  items: number;
  stock: number;
  requests: number;
  quantity: number;
  /** Cart mode: each request is a cart of this many lines on distinct items (undefined: single reservations). */
  cartLines: number | undefined;
  distribution: Distribution;
  zipfSkew: number;
  /** Open loop: requests started per second. Exactly one of rate and concurrency is set. */
  rate: number | undefined;
  /** Closed loop: requests in flight. */
  concurrency: number | undefined;
  /**
   * Seconds at the start of the load whose requests are sent, counted and checked like the rest but left
   * out of the latency figures (reported on their own): the host's and the tool's cold start.
   */
  warmup: number;
  confirmFraction: number;
  cancelFraction: number;
  holdSeconds: number | undefined;
  decideTimeout: number;
  requestTimeout: number;
  maxSockets: number;
  seed: number;
  runId: string;
  out: string | undefined;
  progress: boolean;
  /** Also run the same load against a bare node:http server first (the machine's HTTP ceiling). */
  ceiling: boolean;
  /** Send each reservation with an Idempotency-Key of its own (the keyed accept path). */
  idempotencyKeys: boolean;
}

const num = (name: string) =>
  z.string().transform((raw, ctx) => {
    const value = raw.trim() === '' ? Number.NaN : Number(raw);
    if (!Number.isFinite(value)) {
      ctx.addIssue({ code: 'custom', message: `--${name} must be a number, got "${raw}"` });
      return z.NEVER;
    }
    return value;
  });

const int = (name: string, min: number, max: number) =>
  num(name).pipe(
    z
      .number()
      .refine(Number.isInteger, { message: `--${name} must be an integer` })
      .refine((v) => v >= min && v <= max, { message: `--${name} must be between ${min} and ${max}` }),
  );

const real = (name: string, min: number, max: number, exclusiveMin = false) =>
  num(name).pipe(
    z.number().refine((v) => (exclusiveMin ? v > min : v >= min) && v <= max, {
      message: `--${name} must be ${exclusiveMin ? 'greater than' : 'at least'} ${min} and at most ${max}`,
    }),
  );

const fraction = (name: string) => real(name, 0, 1);

/** The service's limit on lines per cart. */
export const MAX_CART_LINES = 50;

const ID_PART = /^[A-Za-z0-9][A-Za-z0-9._-]{0,40}$/;

const schema = z
  .strictObject({
    url: z
      .string()
      .default('http://localhost:7071/api')
      .refine(
        (v) => {
          try {
            const u = new URL(v);
            return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '';
          } catch {
            return false;
          }
        },
        { message: '--url must be an http(s) URL such as http://localhost:7071/api' },
      )
      .transform((v) => v.replace(/\/+$/, '')),
    key: z.string().min(1, '--key must not be empty').optional(),
    items: int('items', 1, 1_000_000).default(100),
    stock: int('stock', 0, 1_000_000_000).default(100),
    requests: int('requests', 1, 100_000_000).default(1000),
    quantity: int('quantity', 1, 1_000_000).default(1),
    'cart-lines': int('cart-lines', 1, MAX_CART_LINES).optional(),
    distribution: z
      .enum(DISTRIBUTIONS, { error: `--distribution must be one of ${DISTRIBUTIONS.join(', ')}` })
      .default('uniform'),
    'zipf-skew': real('zipf-skew', 0, 10, true).default(1.1),
    rate: real('rate', 0, 1_000_000, true).optional(),
    concurrency: int('concurrency', 1, 100_000).optional(),
    warmup: real('warmup', 0, 3600).default(0),
    'confirm-fraction': fraction('confirm-fraction').default(0),
    'cancel-fraction': fraction('cancel-fraction').default(0),
    'hold-seconds': int('hold-seconds', 1, 86_400).optional(),
    'decide-timeout': real('decide-timeout', 0, 86_400, true).default(120),
    'request-timeout': real('request-timeout', 0, 3600, true).default(30),
    'max-sockets': int('max-sockets', 1, 100_000).default(256),
    seed: int('seed', 0, 2 ** 32 - 1).optional(),
    'run-id': z.string().regex(ID_PART, '--run-id must be letters, digits, . _ - (at most 41)').optional(),
    out: z.string().min(1, '--out must not be empty').optional(),
    progress: z.boolean().default(true),
    ceiling: z.boolean().default(false),
    'idempotency-keys': z.boolean().default(false),
  })
  .superRefine((o, ctx) => {
    if (o.rate !== undefined && o.concurrency !== undefined) {
      ctx.addIssue({
        code: 'custom',
        message: '--rate (open loop) and --concurrency (closed loop) are exclusive',
      });
    }
    if (o.rate !== undefined && o.warmup * o.rate >= o.requests) {
      ctx.addIssue({
        code: 'custom',
        message: `--warmup ${o.warmup} s at --rate ${o.rate} takes all ${o.requests} requests: none would be measured`,
      });
    }
    const lines = o['cart-lines'];
    if (o.ceiling && lines !== undefined) {
      ctx.addIssue({
        code: 'custom',
        message: '--ceiling measures single reservations; it cannot be combined with --cart-lines',
      });
    }
    if (lines !== undefined && lines > o.items) {
      ctx.addIssue({
        code: 'custom',
        message: `--cart-lines ${lines} needs at least ${lines} items, but --items is ${o.items} (a cart's lines are on distinct items)`,
      });
    }
    if (o['confirm-fraction'] + o['cancel-fraction'] > 1 + 1e-9) {
      ctx.addIssue({
        code: 'custom',
        message: '--confirm-fraction plus --cancel-fraction must not exceed 1',
      });
    }
  });

const BOOLEAN_FLAGS = new Set(['progress', 'ceiling', 'idempotency-keys']);

/** Parses `--flag value`, `--flag=value`, `--no-progress`; the key may also come from LOADTEST_FUNCTION_KEY. */
export function parseArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): LoadTestOptions {
  const { raw, problems } = readFlags(argv);
  if (raw.key === undefined && env.LOADTEST_FUNCTION_KEY) raw.key = env.LOADTEST_FUNCTION_KEY;
  const parsed = schema.safeParse(raw);
  if (!parsed.success) problems.push(...parsed.error.issues.map((i) => i.message));
  if (problems.length > 0 || !parsed.success) throw new ToolArgsError(problems);
  return toOptions(parsed.data);
}

/** The flags as given (values still strings), and every problem found on the way. */
function readFlags(argv: readonly string[]): { raw: Record<string, string | boolean>; problems: string[] } {
  const raw: Record<string, string | boolean> = {};
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
    if (name.startsWith('no-') && BOOLEAN_FLAGS.has(name.slice(3))) {
      if (eq >= 0) problems.push(`${arg}: --${name} takes no value`);
      raw[name.slice(3)] = false;
      continue;
    }
    if (BOOLEAN_FLAGS.has(name)) {
      if (eq >= 0) problems.push(`${arg}: --${name} takes no value`);
      raw[name] = true;
      continue;
    }
    if (!Object.hasOwn(schema.shape, name)) {
      problems.push(`unknown flag --${name} (see --help)`);
      if (eq < 0 && i + 1 < argv.length && !(argv[i + 1] ?? '').startsWith('--')) i++;
      continue;
    }
    let value: string | undefined;
    if (eq >= 0) value = arg.slice(eq + 1);
    else {
      const next = argv[i + 1];
      if (next === undefined || (next.startsWith('--') && next.length > 2)) {
        problems.push(`--${name} needs a value`);
        continue;
      }
      value = next;
      i++;
    }
    if (name in raw) problems.push(`--${name} given more than once`);
    raw[name] = value;
  }
  return { raw, problems };
}

function toOptions(o: z.infer<typeof schema>): LoadTestOptions {
  const seed = o.seed ?? Math.floor(Math.random() * 2 ** 32) >>> 0;
  return {
    url: o.url,
    key: o.key,
    items: o.items,
    stock: o.stock,
    requests: o.requests,
    quantity: o.quantity,
    cartLines: o['cart-lines'],
    distribution: o.distribution,
    zipfSkew: o['zipf-skew'],
    rate: o.rate,
    concurrency: o.rate === undefined ? (o.concurrency ?? 32) : undefined,
    warmup: o.warmup,
    confirmFraction: o['confirm-fraction'],
    cancelFraction: o['cancel-fraction'],
    holdSeconds: o['hold-seconds'],
    decideTimeout: o['decide-timeout'],
    requestTimeout: o['request-timeout'],
    maxSockets: o['max-sockets'],
    seed,
    runId: o['run-id'] ?? defaultRunId(),
    out: o.out,
    progress: o.progress,
    ceiling: o.ceiling,
    idempotencyKeys: o['idempotency-keys'],
  };
}

/** Run-unique and id-safe: items are `lt-<runId>-<n>`, so every run starts from fresh stock. */
export function defaultRunId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${stamp}-${Math.floor(Math.random() * 36 ** 4)
    .toString(36)
    .padStart(4, '0')}`;
}

export const USAGE = `Usage: npm run loadtest -- [flags]

Creates --items fresh items (lt-<run-id>-<n>) with --stock units each, sends --requests reservations
(or carts, with --cart-lines), optionally confirms/cancels a fraction of the holds, waits until
everything is decided, prints throughput and latency, writes JSON, and checks the invariants (exit 1
on any violation).

Target
  --url URL                base URL including /api (default http://localhost:7071/api)
  --key KEY                function key, sent as x-functions-key (or env LOADTEST_FUNCTION_KEY)
Workload
  --items N                items to create (default 100)
  --stock N                units of stock per item (default 100)
  --requests N             reservations (or carts) to send (default 1000)
  --quantity N             units per reservation (default 1); in cart mode, per line
  --cart-lines N           cart mode: each request is a cart (POST /carts) of N lines (1..${MAX_CART_LINES}) on N
                           distinct items drawn from --distribution; N must not exceed --items
  --distribution D         uniform | hot | zipf (default uniform); hot = every request on one item
  --zipf-skew S            zipf exponent s > 0 (default 1.1)
  --hold-seconds N         holdSeconds on each reservation or cart (default: the service's, 900)
  --seed N                 seed for the item sampler and the confirm/cancel choice (default random)
  --run-id ID              id part for item names (default timestamp + random)
Load shape (one of)
  --rate R                 open loop: start R requests/s on schedule regardless of responses;
                           latency counts from the scheduled start
  --concurrency C          closed loop: C requests in flight (default 32 when --rate is absent)
  --warmup SECS            requests due in the first SECS seconds of the load are sent, counted and
                           checked like the others, but left out of the latency figures and reported on
                           their own (the cold start of host and tool; default 0)
Settling
  --confirm-fraction F     confirm this fraction of holds (0..1, default 0); in cart mode, of held carts
  --cancel-fraction F      cancel this fraction of holds (0..1, default 0; confirm + cancel <= 1)
  --decide-timeout SECS    give up waiting for decisions after this long (default 120)
HTTP
  --request-timeout SECS   per-request timeout (default 30)
  --max-sockets N          keep-alive connection pool size (default 256)
  --idempotency-keys       send each reservation with an Idempotency-Key of its own (<run id>-<n>),
                           so the service takes its keyed accept path
Output
  --out PATH               JSON results (default loadtest-results/<timestamp>.json)
  --no-progress            periodic plain lines instead of the live bar (automatic when not a TTY)
  --ceiling                first run the same load against a bare node:http server on 127.0.0.1
                           answering a fixed 202 (the machine's HTTP ceiling), and report the
                           service's fraction of it (not with --cart-lines)
  --help                   this text

Exit codes: 0 all invariants hold, 1 a violation (or the run could not complete), 2 bad arguments.
`;
