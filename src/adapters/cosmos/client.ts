import type { Agent } from 'node:http';
import {
  CosmosClient,
  PartitionKeyDefinitionVersion,
  PartitionKeyKind,
  type Container,
  type CosmosClientOptions,
} from '@azure/cosmos';
import type { TokenCredential } from '@azure/identity';
import { CosmosStore } from './cosmos-store';
import { translateError } from './errors';
import { PARTITION_KEY_PATH } from './partition';

export interface CosmosStoreSettings {
  /** The account endpoint, e.g. https://my-account.documents.azure.com:443/ (http only for a local emulator). */
  endpoint: string;
  database: string;
  container: string;
  /** Emulators only. On Azure local auth is disabled: pass `credential`. */
  key?: string;
  /** Emulators only (needs `key`): create the database and the container when they are missing. */
  createIfMissing?: boolean;
  /** Microsoft Entra ID: `new DefaultAzureCredential({ managedIdentityClientId: AZURE_CLIENT_ID })`. */
  credential?: TokenCredential;
  /**
   * Local emulators only (localhost / 127.0.0.1 / ::1): the HTTP(S) agent for requests, e.g.
   * `new https.Agent({ rejectUnauthorized: false })` for an emulator's self-signed certificate.
   */
  agent?: Agent;
}

interface SharedClient {
  client: CosmosClient;
  leases: number;
}

/** One CosmosClient per endpoint per process: it holds the connection pool, the session tokens and the caches. */
const clients = new Map<string, SharedClient>();

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

export function isLocalEndpoint(endpoint: string): boolean {
  return LOCAL_HOSTS.has(new URL(endpoint).hostname.toLowerCase());
}

function clientKey(endpoint: string): string {
  const url = new URL(endpoint);
  return `${url.protocol}//${url.host.toLowerCase()}`;
}

function clientOptions(settings: CosmosStoreSettings, local: boolean): CosmosClientOptions {
  const options: CosmosClientOptions = {
    endpoint: settings.endpoint,
    userAgentSuffix: 'inventory-reservations',
    // Consistency is left to the account default (Session): read-your-writes for this client.
  };
  if (settings.key !== undefined) options.key = settings.key;
  else if (settings.credential !== undefined) options.aadCredentials = settings.credential;
  if (local) {
    // An emulator is one region and advertises endpoints that may not match how it is reached
    // (@vercel/cosmosdb-server answers https:// locations even when it listens on plain http).
    options.connectionPolicy = { enableEndpointDiscovery: false };
  }
  if (settings.agent) options.agent = settings.agent;
  return options;
}

function validate(settings: CosmosStoreSettings): boolean {
  let url: URL;
  try {
    url = new URL(settings.endpoint);
  } catch {
    throw new Error(`Cosmos DB endpoint is not a URL: "${settings.endpoint}"`);
  }
  const local = isLocalEndpoint(settings.endpoint);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && local)) {
    throw new Error(
      `Cosmos DB endpoint must be https (plain http only for a local emulator): "${settings.endpoint}"`,
    );
  }
  if (settings.key === undefined && settings.credential === undefined) {
    throw new Error('Cosmos DB needs a credential (managed identity) or, for an emulator, a key');
  }
  if (settings.key !== undefined && settings.credential !== undefined) {
    throw new Error('Cosmos DB takes a credential or a key, not both (a key is for emulators only)');
  }
  if (settings.createIfMissing && settings.key === undefined) {
    throw new Error(
      'createIfMissing is for emulators only (with a key); on Azure the infrastructure creates the container',
    );
  }
  if (settings.agent && !local) {
    throw new Error('a custom agent is only accepted for a local emulator endpoint (localhost / 127.0.0.1)');
  }
  return local;
}

/** A lease on the process-wide client of an endpoint; the last lease to be released disposes the client. */
function leaseClient(
  settings: CosmosStoreSettings,
  local: boolean,
): { client: CosmosClient; release(): void } {
  const key = clientKey(settings.endpoint);
  let shared = clients.get(key);
  if (!shared) {
    shared = { client: new CosmosClient(clientOptions(settings, local)), leases: 0 };
    clients.set(key, shared);
  }
  shared.leases += 1;
  const entry = shared;
  let released = false;
  return {
    client: entry.client,
    release: () => {
      if (released) return;
      released = true;
      entry.leases -= 1;
      if (entry.leases === 0) {
        if (clients.get(key) === entry) clients.delete(key);
        entry.client.dispose();
      }
    },
  };
}

async function ensureContainer(client: CosmosClient, settings: CosmosStoreSettings): Promise<Container> {
  const { database } = await client.databases.createIfNotExists({ id: settings.database });
  const { container } = await database.containers.createIfNotExists({
    id: settings.container,
    partitionKey: {
      paths: [PARTITION_KEY_PATH],
      kind: PartitionKeyKind.Hash,
      version: PartitionKeyDefinitionVersion.V2,
    },
    // TTL on, no default expiry: only documents with their own `ttl` expire.
    defaultTtl: -1,
  });
  return container;
}

/**
 * The Cosmos DB store for the settings: one CosmosClient per endpoint per process (shared between stores;
 * the store's close() releases its share and the last one disposes the client). On Azure it never creates
 * anything; `createIfMissing` (emulators) creates the database and the container
 * (partition key path `/pk`).
 *
 * Settings for the same endpoint are expected to agree: the first caller's credential and options build the
 * shared client.
 */
export async function createCosmosStore(settings: CosmosStoreSettings): Promise<CosmosStore> {
  const local = validate(settings);
  const lease = leaseClient(settings, local);
  try {
    const container = settings.createIfMissing
      ? await ensureContainer(lease.client, settings)
      : lease.client.database(settings.database).container(settings.container);
    return new CosmosStore(container, { owned: { dispose: () => lease.release() } });
  } catch (error) {
    lease.release();
    throw translateError(error);
  }
}

/** Test and shutdown helper: disposes every cached client (stores created before must not be used after). */
export function disposeAllCosmosClients(): void {
  for (const shared of clients.values()) shared.client.dispose();
  clients.clear();
}
