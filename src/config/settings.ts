import { isIPv6 } from 'node:net';
import { z } from 'zod';

/**
 * Every setting the service reads, parsed once from the environment with one schema. The store and the
 * queue are chosen by the settings present: COSMOS_ENDPOINT selects Cosmos DB, a Service Bus namespace
 * (or an emulator connection string) selects Service Bus; otherwise the embedded stand-ins.
 */

/** The settings the Functions entry point refuses to start without (on Azure, or under `func start`). */
export const AZURE_REQUIRED_SETTINGS = [
  'COSMOS_ENDPOINT',
  'COSMOS_DATABASE',
  'COSMOS_CONTAINER',
  'ServiceBusConnection__fullyQualifiedNamespace',
  'SERVICEBUS_QUEUE',
] as const;

/**
 * What the deployed function app sets (infra/modules/function-app.bicep is tested against this). The app
 * runs as a user-assigned identity, so AZURE_CLIENT_ID names it there; under `func start` it is left out
 * and the credential chain uses the developer's own login.
 */
export const AZURE_DEPLOYED_SETTINGS = [...AZURE_REQUIRED_SETTINGS, 'AZURE_CLIENT_ID'] as const;

const intSetting = (name: string, min: number, max: number, fallback: number) =>
  z
    .string()
    .optional()
    .transform((raw, ctx) => {
      if (raw === undefined || raw.trim() === '') return fallback;
      const value = Number(raw);
      if (!/^\s*-?\d+\s*$/.test(raw) || !Number.isSafeInteger(value) || value < min || value > max) {
        ctx.addIssue({
          code: 'custom',
          message: `${name} must be an integer between ${min} and ${max}, got "${raw}"`,
        });
        return z.NEVER;
      }
      return value;
    });

const optionalText = (name: string, pattern: RegExp, expected: string) =>
  z
    .string()
    .optional()
    .refine((v) => v === undefined || pattern.test(v), { message: `${name} must be ${expected}` });

/** `http(s)://host[:port]` with an optional trailing slash, and a port URL parsing accepts (1-65535). */
function isOrigin(value: string): boolean {
  if (!/^https?:\/\/(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?\/?$/.test(value)) return false;
  return URL.canParse(value);
}

const envSchema = z.object({
  PORT: intSetting('PORT', 0, 65535, 7071),
  /** Interface the one-machine host binds: loopback unless exposed on purpose (then set API_KEY). */
  HOST: z
    .string()
    .optional()
    .default('127.0.0.1')
    .refine((v) => /^[A-Za-z0-9.-]+$/.test(v) || isIPv6(v.replace(/^\[(.*)\]$/, '$1')), {
      message: 'HOST must be a host name or an IP address such as 127.0.0.1, 0.0.0.0 or ::1',
    })
    // [::1] as written in a URL; Node's listen wants it bare.
    .transform((v) => v.replace(/^\[(.*)\]$/, '$1')),
  /** When set, every route but health and the OpenAPI document needs it in x-api-key or x-functions-key. */
  API_KEY: z
    .string()
    .optional()
    .refine((v) => v === undefined || /^[\x21-\x7e]{16,256}$/.test(v), {
      message: 'API_KEY must be 16 to 256 printable ASCII characters',
    }),
  /** The base URL links are built from (Location, statusUrl, next); default: the bound address. */
  PUBLIC_BASE_URL: z
    .string()
    .optional()
    .refine((v) => v === undefined || isOrigin(v), {
      message: 'PUBLIC_BASE_URL must be an http(s) origin such as https://inventory.example.com (no path)',
    }),
  /** true: a reverse proxy is in front, so X-Forwarded-Host and X-Forwarded-Proto are honoured. */
  TRUST_PROXY: z
    .enum(['true', 'false'], { error: 'TRUST_PROXY must be true or false' })
    .optional()
    .transform((v) => v === 'true'),
  DATA_DIR: z
    .string()
    .optional()
    .default('./.data')
    .refine((v) => v.trim() !== '', 'DATA_DIR must not be empty')
    // Quoted in a unit file or .env, ~ reaches us unexpanded and would become a folder named "~".
    .refine(
      (v) => !v.startsWith('~'),
      'DATA_DIR must not start with ~ (it is not expanded here): use a full path',
    )
    .refine((v) => v === v.trim(), 'DATA_DIR must not start or end with white space'),
  /**
   * The local dispatcher's defaults are what kept decisions up with 5,000 accepts/s over 1,000 items and
   * decided one hot item at 5,800/s here (docs/LOADTEST.md): 8 sessions one message at a time managed
   * about 2,000/s and 900/s. Group commit hands over up to 98 of a session's messages at once: as many
   * Reserves as one store batch of 100 operations holds beside the item and its ledger page (99 would
   * take a second batch, docs/BENCHMARKS.md).
   */
  DISPATCH_CONCURRENCY: intSetting('DISPATCH_CONCURRENCY', 1, 256, 32),
  DISPATCH_BATCH_SIZE: intSetting('DISPATCH_BATCH_SIZE', 1, 1000, 98),
  /**
   * Where the local dispatcher runs: its own thread (HTTP keeps the event loop), the default over the
   * embedded store and queue, which is the only pair it opens; or the main one.
   */
  DISPATCH_THREAD: z.enum(['worker', 'main'], { error: 'DISPATCH_THREAD must be worker or main' }).optional(),
  /**
   * The consumer thread's nice value (with DISPATCH_THREAD=worker, on Linux): decisions may lag, accepts
   * should not wait for a core behind them (docs/LOADTEST.md). 0 keeps it at the host's own priority.
   */
  CONSUMER_NICE: intSetting('CONSUMER_NICE', 0, 19, 10),
  ITEM_CACHE_SIZE: intSetting('ITEM_CACHE_SIZE', 0, 1_000_000, 10_000),
  PENDING_HORIZON_SECONDS: intSetting('PENDING_HORIZON_SECONDS', 60, 14 * 86_400, 86_400),
  /** 'many' hands the trigger a batch of one session's messages (group commit) for hot-item deployments. */
  SERVICEBUS_TRIGGER_CARDINALITY: z
    .enum(['one', 'many'], { error: 'SERVICEBUS_TRIGGER_CARDINALITY must be one or many' })
    .optional()
    .default('one'),
  LOG_LEVEL: z
    .enum(['debug', 'info', 'warn', 'error'], { error: 'LOG_LEVEL must be one of debug, info, warn, error' })
    .optional()
    .default('info'),
  /**
   * How long the consumer keeps retrying a throttling or unreachable store within one delivery before it
   * gives the message back; at most 280 s, inside the 5 minutes the Functions host renews a session lock.
   */
  TRANSIENT_RETRY_SECONDS: intSetting('TRANSIENT_RETRY_SECONDS', 0, 280, 240),
  /** Azure: traces the worker exports per second (Azure Monitor distro rate limiting); 0 exports every trace. */
  TELEMETRY_TRACES_PER_SECOND: intSetting('TELEMETRY_TRACES_PER_SECOND', 0, 10_000, 5),
  COSMOS_ENDPOINT: optionalText(
    'COSMOS_ENDPOINT',
    /^https?:\/\/[^\s/]+(:\d+)?\/?$/,
    'an http(s) URL such as https://acct.documents.azure.com:443/',
  ),
  COSMOS_DATABASE: optionalText('COSMOS_DATABASE', /^[^/\\#?\s][^/\\#?]{0,254}$/, 'a database name'),
  COSMOS_CONTAINER: optionalText('COSMOS_CONTAINER', /^[^/\\#?\s][^/\\#?]{0,254}$/, 'a container name'),
  /** Emulators only: a key for the Cosmos DB emulator. Never set on Azure (local auth is disabled). */
  COSMOS_KEY: z.string().min(1, 'COSMOS_KEY must not be empty').optional(),
  /** Emulators only: create the database and container when missing. */
  COSMOS_CREATE_IF_MISSING: z
    .enum(['true', 'false', '1', '0'], { error: 'COSMOS_CREATE_IF_MISSING must be true or false' })
    .optional()
    .transform((v) => v === 'true' || v === '1'),
  ServiceBusConnection__fullyQualifiedNamespace: optionalText(
    'ServiceBusConnection__fullyQualifiedNamespace',
    /^[A-Za-z0-9][A-Za-z0-9.-]*(:\d+)?$/,
    'a host name such as my-ns.servicebus.windows.net',
  ),
  /** Emulators only: a Service Bus connection string with UseDevelopmentEmulator=true. */
  ServiceBusConnection: optionalText(
    'ServiceBusConnection',
    /^Endpoint=sb:\/\/.+/i,
    'a connection string starting with Endpoint=sb://',
  ),
  SERVICEBUS_QUEUE: optionalText('SERVICEBUS_QUEUE', /^[A-Za-z0-9][A-Za-z0-9._-]{0,259}$/, 'a queue name'),
  /** Client id of the user-assigned managed identity; absent means the default credential chain. */
  AZURE_CLIENT_ID: optionalText(
    'AZURE_CLIENT_ID',
    /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i,
    'a GUID',
  ),
});

export type EnvSettings = z.infer<typeof envSchema>;

export type StoreSettings =
  | { kind: 'embedded' }
  | {
      kind: 'cosmos';
      endpoint: string;
      database: string;
      container: string;
      key?: string;
      createIfMissing: boolean;
    };

export type QueueSettings =
  | { kind: 'embedded' }
  | { kind: 'servicebus'; queueName: string; fullyQualifiedNamespace?: string; connectionString?: string };

export interface Settings {
  port: number;
  host: string;
  apiKey?: string;
  publicBaseUrl?: string;
  trustProxy: boolean;
  dataDir: string;
  dispatchConcurrency: number;
  dispatchBatchSize: number;
  dispatchThread: 'worker' | 'main';
  consumerNice: number;
  itemCacheSize: number;
  pendingHorizonMs: number;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  triggerCardinality: 'one' | 'many';
  telemetryTracesPerSecond: number;
  transientRetryMs: number;
  store: StoreSettings;
  queue: QueueSettings;
  azureClientId?: string;
}

export class SettingsError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid settings:\n  - ${problems.join('\n  - ')}`);
    this.name = 'SettingsError';
  }
}

/**
 * Parses the environment once. With `requireAzure` (the Functions entry points), every Azure setting must
 * be present and emulator-only settings are refused. Throws SettingsError naming each bad setting.
 */
export function loadSettings(
  env: NodeJS.ProcessEnv = process.env,
  options: { requireAzure?: boolean } = {},
): Settings {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) throw new SettingsError(parsed.error.issues.map(describeIssue));
  const e = parsed.data;
  const problems = combinationProblems(e, env, options.requireAzure ?? false);
  if (problems.length > 0) throw new SettingsError(problems);
  const store = storeSettings(e);
  const queue = queueSettings(e);
  const embeddedPair = store.kind === 'embedded' && queue.kind === 'embedded';
  return {
    port: e.PORT,
    host: e.HOST,
    ...(e.API_KEY !== undefined ? { apiKey: e.API_KEY } : {}),
    ...(e.PUBLIC_BASE_URL !== undefined ? { publicBaseUrl: e.PUBLIC_BASE_URL.replace(/\/$/, '') } : {}),
    trustProxy: e.TRUST_PROXY,
    dataDir: e.DATA_DIR,
    dispatchConcurrency: e.DISPATCH_CONCURRENCY,
    dispatchBatchSize: e.DISPATCH_BATCH_SIZE,
    dispatchThread: e.DISPATCH_THREAD ?? (embeddedPair ? 'worker' : 'main'),
    consumerNice: e.CONSUMER_NICE,
    itemCacheSize: e.ITEM_CACHE_SIZE,
    pendingHorizonMs: e.PENDING_HORIZON_SECONDS * 1000,
    logLevel: e.LOG_LEVEL,
    triggerCardinality: e.SERVICEBUS_TRIGGER_CARDINALITY,
    telemetryTracesPerSecond: e.TELEMETRY_TRACES_PER_SECOND,
    transientRetryMs: e.TRANSIENT_RETRY_SECONDS * 1000,
    store,
    queue,
    ...(e.AZURE_CLIENT_ID !== undefined ? { azureClientId: e.AZURE_CLIENT_ID } : {}),
  };
}

/** Settings that are each valid but do not go together (or are missing what they need). */
function combinationProblems(e: EnvSettings, env: NodeJS.ProcessEnv, requireAzure: boolean): string[] {
  const problems: string[] = [];
  const require = (name: keyof EnvSettings, why: string) => {
    if (e[name] === undefined || e[name] === '') problems.push(`${name} is required ${why}`);
  };
  if (requireAzure) {
    for (const name of AZURE_REQUIRED_SETTINGS) require(name, 'on Azure');
    if (e.COSMOS_KEY !== undefined)
      problems.push('COSMOS_KEY must not be set on Azure: Cosmos DB local auth is disabled');
    if (e.ServiceBusConnection !== undefined) {
      problems.push(
        'ServiceBusConnection must not be set on Azure: use ServiceBusConnection__fullyQualifiedNamespace',
      );
    }
  }
  if (e.COSMOS_ENDPOINT !== undefined) {
    require('COSMOS_DATABASE', 'when COSMOS_ENDPOINT is set');
    require('COSMOS_CONTAINER', 'when COSMOS_ENDPOINT is set');
  } else if (
    e.COSMOS_DATABASE !== undefined ||
    e.COSMOS_CONTAINER !== undefined ||
    e.COSMOS_KEY !== undefined ||
    env.COSMOS_CREATE_IF_MISSING !== undefined
  ) {
    problems.push('COSMOS_ENDPOINT is required when other COSMOS_ settings are set');
  }
  if (e.DISPATCH_THREAD === 'worker' && (e.COSMOS_ENDPOINT !== undefined || wantsServiceBus(e)))
    problems.push('DISPATCH_THREAD=worker needs the embedded store and queue: unset it, or set it to main');
  if (wantsServiceBus(e)) require('SERVICEBUS_QUEUE', 'when a Service Bus namespace or connection is set');
  else if (e.SERVICEBUS_QUEUE !== undefined && !requireAzure) {
    // Refused rather than ignored: a half-configured Service Bus would silently use the embedded queue.
    problems.push(
      'ServiceBusConnection__fullyQualifiedNamespace (or, for an emulator, ServiceBusConnection) is required when SERVICEBUS_QUEUE is set',
    );
  }
  return problems;
}

function wantsServiceBus(e: EnvSettings): boolean {
  return (
    e.ServiceBusConnection__fullyQualifiedNamespace !== undefined || e.ServiceBusConnection !== undefined
  );
}

function storeSettings(e: EnvSettings): StoreSettings {
  if (e.COSMOS_ENDPOINT === undefined || e.COSMOS_DATABASE === undefined || e.COSMOS_CONTAINER === undefined)
    return { kind: 'embedded' };
  return {
    kind: 'cosmos',
    endpoint: e.COSMOS_ENDPOINT,
    database: e.COSMOS_DATABASE,
    container: e.COSMOS_CONTAINER,
    ...(e.COSMOS_KEY !== undefined ? { key: e.COSMOS_KEY } : {}),
    createIfMissing: e.COSMOS_CREATE_IF_MISSING,
  };
}

function queueSettings(e: EnvSettings): QueueSettings {
  if (!wantsServiceBus(e) || e.SERVICEBUS_QUEUE === undefined) return { kind: 'embedded' };
  return {
    kind: 'servicebus',
    queueName: e.SERVICEBUS_QUEUE,
    ...(e.ServiceBusConnection__fullyQualifiedNamespace !== undefined
      ? { fullyQualifiedNamespace: e.ServiceBusConnection__fullyQualifiedNamespace }
      : {}),
    ...(e.ServiceBusConnection !== undefined ? { connectionString: e.ServiceBusConnection } : {}),
  };
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const name = issue.path.join('.');
  return issue.message.includes(name) ? issue.message : `${name}: ${issue.message}`;
}
