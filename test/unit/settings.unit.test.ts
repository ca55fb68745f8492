import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AZURE_REQUIRED_SETTINGS, loadSettings, SettingsError } from '../../src/config/settings';

const AZURE = {
  COSMOS_ENDPOINT: 'https://acct.documents.azure.com:443/',
  COSMOS_DATABASE: 'inventory',
  COSMOS_CONTAINER: 'inventory',
  ServiceBusConnection__fullyQualifiedNamespace: 'ns.servicebus.windows.net',
  SERVICEBUS_QUEUE: 'reservations',
  AZURE_CLIENT_ID: '6f1c2a3b-0000-4000-8000-000000000abc',
};

function problemsOf(env: NodeJS.ProcessEnv, requireAzure = false): string[] {
  try {
    loadSettings(env, { requireAzure });
  } catch (error) {
    if (error instanceof SettingsError) return error.problems;
    throw error;
  }
  return [];
}

describe('settings', () => {
  it('default to the embedded stand-ins on port 7071 with data under ./.data, 32 sessions at once with group commit', () => {
    const settings = loadSettings({});
    expect(settings).toMatchObject({
      port: 7071,
      dataDir: './.data',
      dispatchConcurrency: 32,
      dispatchBatchSize: 98,
      store: { kind: 'embedded' },
      queue: { kind: 'embedded' },
    });
  });

  it('choose Cosmos DB and Service Bus when their settings are present', () => {
    const settings = loadSettings(AZURE, { requireAzure: true });
    expect(settings.store).toEqual({
      kind: 'cosmos',
      endpoint: AZURE.COSMOS_ENDPOINT,
      database: 'inventory',
      container: 'inventory',
      createIfMissing: false,
    });
    expect(settings.queue).toEqual({
      kind: 'servicebus',
      queueName: 'reservations',
      fullyQualifiedNamespace: 'ns.servicebus.windows.net',
    });
    expect(settings.azureClientId).toBe(AZURE.AZURE_CLIENT_ID);
  });

  it.each(AZURE_REQUIRED_SETTINGS.map((name) => [name]))('reject a missing %s on Azure, by name', (name) => {
    const env: NodeJS.ProcessEnv = { ...AZURE };
    delete env[name];
    expect(problemsOf(env, true).join('\n')).toContain(`${name} is required`);
  });

  it('start the Functions entry point without AZURE_CLIENT_ID, as `func start` does with a developer login', () => {
    const env: NodeJS.ProcessEnv = { ...AZURE };
    delete env.AZURE_CLIENT_ID;
    const settings = loadSettings(env, { requireAzure: true });
    expect(settings.azureClientId).toBeUndefined();
    expect(settings.store.kind).toBe('cosmos');
  });

  it.each([
    ['PORT', 'eighty', 'PORT must be an integer'],
    ['PORT', '70000', 'PORT must be an integer between 0 and 65535'],
    ['DISPATCH_CONCURRENCY', '0', 'DISPATCH_CONCURRENCY must be an integer between 1'],
    ['DISPATCH_BATCH_SIZE', '2.5', 'DISPATCH_BATCH_SIZE must be an integer'],
    ['CONSUMER_NICE', '20', 'CONSUMER_NICE must be an integer between 0 and 19'],
    ['LOG_LEVEL', 'verbose', 'LOG_LEVEL must be one of'],
    ['COSMOS_ENDPOINT', 'acct.documents.azure.com', 'COSMOS_ENDPOINT must be an http(s) URL'],
    [
      'ServiceBusConnection__fullyQualifiedNamespace',
      'sb://ns/',
      'ServiceBusConnection__fullyQualifiedNamespace must be a host name',
    ],
    ['AZURE_CLIENT_ID', 'not-a-guid', 'AZURE_CLIENT_ID must be a GUID'],
    ['SERVICEBUS_TRIGGER_CARDINALITY', 'all', 'SERVICEBUS_TRIGGER_CARDINALITY must be one or many'],
    ['DISPATCH_THREAD', 'both', 'DISPATCH_THREAD must be worker or main'],
  ])('reject a malformed %s (%s) with a message naming it', (name, value, message) => {
    expect(problemsOf({ ...AZURE, [name]: value }).join('\n')).toContain(message);
  });

  it('refuse emulator-only keys on Azure', () => {
    expect(problemsOf({ ...AZURE, COSMOS_KEY: 'abc' }, true).join('\n')).toContain(
      'COSMOS_KEY must not be set on Azure',
    );
  });

  it('require the database and container once a Cosmos endpoint is given', () => {
    const problems = problemsOf({ COSMOS_ENDPOINT: 'http://127.0.0.1:8081/' });
    expect(problems).toEqual(
      expect.arrayContaining([
        'COSMOS_DATABASE is required when COSMOS_ENDPOINT is set',
        'COSMOS_CONTAINER is required when COSMOS_ENDPOINT is set',
      ]),
    );
  });

  it('refuse SERVICEBUS_QUEUE alone instead of silently using the embedded queue, naming what is missing', () => {
    expect(problemsOf({ SERVICEBUS_QUEUE: 'reservations' })).toEqual([
      'ServiceBusConnection__fullyQualifiedNamespace (or, for an emulator, ServiceBusConnection) is required when SERVICEBUS_QUEUE is set',
    ]);
    expect(
      problemsOf({ ServiceBusConnection__fullyQualifiedNamespace: 'ns.servicebus.windows.net' }),
    ).toEqual(['SERVICEBUS_QUEUE is required when a Service Bus namespace or connection is set']);
    expect(problemsOf({ COSMOS_CREATE_IF_MISSING: 'true' })).toEqual([
      'COSMOS_ENDPOINT is required when other COSMOS_ settings are set',
    ]);
  });

  it.each([
    ['', 'DATA_DIR must not be empty'],
    ['~/inventory', 'DATA_DIR must not start with ~'],
    ['/srv/data ', 'DATA_DIR must not start or end with white space'],
  ])('refuse a DATA_DIR of %j by name', (value, message) => {
    expect(problemsOf({ DATA_DIR: value }).join('\n')).toContain(message);
  });

  it('allow the Cosmos store with the embedded queue for local runs against an emulator', () => {
    const settings = loadSettings({
      COSMOS_ENDPOINT: 'http://127.0.0.1:8081/',
      COSMOS_DATABASE: 'db',
      COSMOS_CONTAINER: 'c',
      COSMOS_KEY: 'k',
      COSMOS_CREATE_IF_MISSING: 'true',
    });
    expect(settings.store).toMatchObject({ kind: 'cosmos', key: 'k', createIfMissing: true });
    expect(settings.queue).toEqual({ kind: 'embedded' });
  });

  it('run the consumer on its own thread by default only over the embedded store and queue, which it opens', () => {
    expect(loadSettings({}).dispatchThread).toBe('worker');
    expect(loadSettings({ DISPATCH_THREAD: 'main' }).dispatchThread).toBe('main');
    expect(loadSettings(AZURE).dispatchThread).toBe('main');
    expect(problemsOf({ ...AZURE, DISPATCH_THREAD: 'worker' })).toEqual([
      'DISPATCH_THREAD=worker needs the embedded store and queue: unset it, or set it to main',
    ]);
  });
});

describe('local.settings.example.json (func start against Azurite and the deployed Service Bus and Cosmos DB)', () => {
  const example = JSON.parse(
    readFileSync(join(__dirname, '..', '..', 'local.settings.example.json'), 'utf8'),
  ) as { Values: Record<string, string> };
  const values = example.Values;

  it('names every setting the Functions entry point requires, and no client id (the developer login is used)', () => {
    for (const name of AZURE_REQUIRED_SETTINGS) expect([name, name in values]).toEqual([name, true]);
    expect(values).not.toHaveProperty('AZURE_CLIENT_ID');
    expect(values.AzureWebJobsStorage).toBe('UseDevelopmentStorage=true');
  });

  it('sets no __credential other than the only documented value, managedidentity', () => {
    const credentials = Object.entries(values).filter(([name]) => name.endsWith('__credential'));
    expect(credentials.filter(([, value]) => value !== 'managedidentity')).toEqual([]);
  });

  it('parses once its placeholders are filled in', () => {
    const filled: NodeJS.ProcessEnv = {
      ...values,
      ServiceBusConnection__fullyQualifiedNamespace: 'sb-abc.servicebus.windows.net',
      SERVICEBUS_QUEUE: 'reservations',
      COSMOS_ENDPOINT: 'https://cosmos-abc.documents.azure.com:443/',
      COSMOS_DATABASE: 'inventory',
      COSMOS_CONTAINER: 'inventory',
    };
    expect(loadSettings(filled, { requireAzure: true }).queue.kind).toBe('servicebus');
  });
});
