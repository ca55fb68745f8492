import { z } from 'zod';

/**
 * Every setting the service reads, parsed once from the environment with one schema.
 * Azure adapters are chosen when the Azure settings are present; otherwise the embedded stand-ins.
 */

const intSetting = (name: string, min: number, max: number, fallback: number) =>
  z
    .string()
    .optional()
    .transform((raw, ctx) => {
      if (raw === undefined || raw.trim() === '') return fallback;
      const value = Number(raw);
      if (!Number.isInteger(value) || value < min || value > max) {
        ctx.addIssue({ code: 'custom', message: `${name} must be an integer between ${min} and ${max}, got "${raw}"` });
        return z.NEVER;
      }
      return value;
    });

const boolSetting = z
  .enum(['true', 'false', '1', '0', ''])
  .optional()
  .transform((raw) => raw === 'true' || raw === '1');

/** The app settings the function app must set on Azure (infra/modules/function-app.bicep is tested against this). */
export const AZURE_REQUIRED_SETTINGS = [
  'COSMOS_ENDPOINT',
  'COSMOS_DATABASE',
  'COSMOS_CONTAINER',
  'ServiceBusConnection__fullyQualifiedNamespace',
  'SERVICEBUS_QUEUE',
  'AZURE_CLIENT_ID',
] as const;

const commonSchema = z.object({
  PORT: intSetting('PORT', 0, 65535, 7071),
  DATA_DIR: z.string().min(1).optional().default('./.data'),
  DISPATCH_CONCURRENCY: intSetting('DISPATCH_CONCURRENCY', 1, 256, 8),
  DISPATCH_BATCH_SIZE: intSetting('DISPATCH_BATCH_SIZE', 1, 1000, 1),
  ITEM_CACHE_SIZE: intSetting('ITEM_CACHE_SIZE', 0, 1_000_000, 10_000),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).optional().default('info'),
});

const urlSetting = (name: string) =>
  z.string({ error: `${name} is required` }).refine((v) => /^https?:\/\/[^\s]+$/.test(v), {
    message: `${name} must be an http(s) URL`,
  });

const azureSchema = z.object({
  COSMOS_ENDPOINT: urlSetting('COSMOS_ENDPOINT'),
  COSMOS_DATABASE: z.string({ error: 'COSMOS_DATABASE is required' }).min(1, 'COSMOS_DATABASE must not be empty'),
  COSMOS_CONTAINER: z.string({ error: 'COSMOS_CONTAINER is required' }).min(1, 'COSMOS_CONTAINER must not be empty'),
  ServiceBusConnection__fullyQualifiedNamespace: z
    .string({ error: 'ServiceBusConnection__fullyQualifiedNamespace is required' })
    .regex(/^[A-Za-z0-9.-]+(:\d+)?$/, 'ServiceBusConnection__fullyQualifiedNamespace must be a host name such as my-ns.servicebus.windows.net'),
  SERVICEBUS_QUEUE: z.string({ error: 'SERVICEBUS_QUEUE is required' }).regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,259}$/, 'SERVICEBUS_QUEUE must be a queue name'),
  /** Client id of the user-assigned managed identity; absent means the default credential chain. */
  AZURE_CLIENT_ID: z.string().uuid('AZURE_CLIENT_ID must be a GUID').optional(),
  /** Emulators only: a key for the Cosmos DB emulator. Never set on Azure (local auth is disabled). */
  COSMOS_KEY: z.string().min(1).optional(),
  /** Emulators only: a Service Bus connection string with UseDevelopmentEmulator=true. */
  ServiceBusConnection: z.string().optional(),
  /** Emulators only: create the database and container when missing. */
  COSMOS_CREATE_IF_MISSING: boolSetting,
});

export type CommonSettings = z.infer<typeof commonSchema>;
export type AzureSettings = z.infer<typeof azureSchema>;
export type Settings =
  | ({ mode: 'embedded' } & CommonSettings)
  | ({ mode: 'azure' } & CommonSettings & { azure: AzureSettings });

export class SettingsError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid settings:\n  - ${problems.join('\n  - ')}`);
    this.name = 'SettingsError';
  }
}

/** Presence of either Azure endpoint selects the Azure adapters; then all Azure settings must be valid. */
export function loadSettings(env: NodeJS.ProcessEnv = process.env): Settings {
  const problems: string[] = [];
  const common = commonSchema.safeParse(env);
  if (!common.success) problems.push(...common.error.issues.map((i) => describeIssue(i)));
  const wantsAzure =
    env.COSMOS_ENDPOINT !== undefined || env.ServiceBusConnection__fullyQualifiedNamespace !== undefined;
  let azure: AzureSettings | undefined;
  if (wantsAzure) {
    const parsed = azureSchema.safeParse(env);
    if (parsed.success) azure = parsed.data;
    else problems.push(...parsed.error.issues.map((i) => describeIssue(i)));
  }
  if (problems.length > 0 || !common.success) throw new SettingsError(problems);
  return azure ? { mode: 'azure', ...common.data, azure } : { mode: 'embedded', ...common.data };
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const name = issue.path.join('.');
  return issue.message.includes(name) ? issue.message : `${name}: ${issue.message}`;
}
