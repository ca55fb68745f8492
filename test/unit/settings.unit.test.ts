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
  it('default to the embedded stand-ins on port 7071 with data under ./.data', () => {
    const settings = loadSettings({});
    expect(settings).toMatchObject({
      port: 7071,
      dataDir: './.data',
      dispatchConcurrency: 8,
      dispatchBatchSize: 1,
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

  it.each([
    ['PORT', 'eighty', 'PORT must be an integer'],
    ['PORT', '70000', 'PORT must be an integer between 0 and 65535'],
    ['DISPATCH_CONCURRENCY', '0', 'DISPATCH_CONCURRENCY must be an integer between 1'],
    ['DISPATCH_BATCH_SIZE', '2.5', 'DISPATCH_BATCH_SIZE must be an integer'],
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
});
