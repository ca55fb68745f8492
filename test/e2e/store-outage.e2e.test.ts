import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { localSettings, startHost, type Host } from '../../src/local/host';
import type { LogSink } from '../../src/local/log';
import { startCosmosServer, type CosmosTestServer } from '../support/cosmos-server';
import { TcpProxy } from '../support/tcp-proxy';
import { ApiClient, loopback, sleep } from '../support/http-client';

/**
 * A store outage while commands wait: the one-machine host over the real @azure/cosmos SDK, whose Cosmos DB
 * (cosmosdb-server behind a loopback TCP proxy) is unreachable for a few seconds. The consumer backs off inside the delivery, as it
 * does on Azure, and applies the command once the store is back: one delivery, not ten in seconds.
 */

let cosmos: CosmosTestServer;
let network: TcpProxy;
let host: Host;
let api: ApiClient;
let dataDir: string;
const lines: { level: string; fields: Record<string, unknown> }[] = [];
const sink: LogSink = (level, fields) => lines.push({ level, fields });

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'e2e-outage-'));
  cosmos = await startCosmosServer();
  network = await TcpProxy.start(Number(new URL(cosmos.endpoint).port));
  host = await startHost(
    localSettings({
      dataDir,
      store: {
        kind: 'cosmos',
        endpoint: `http://127.0.0.1:${network.port}`,
        database: 'inventory',
        container: 'inventory',
        key: cosmos.key,
        createIfMissing: true,
      },
      queue: { kind: 'embedded' },
      transientRetryMs: 60_000,
    }),
    sink,
  );
  api = new ApiClient(loopback(host.url));
}, 20_000);

afterAll(async () => {
  await host?.stop();
  await network?.stop();
  await cosmos?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
}, 20_000);

const messages = (text: string) =>
  lines.filter((l) => JSON.stringify(l.fields).includes(text)).map((l) => l.fields);

test('a command accepted during a 4 s store outage is applied once the store is back, in one delivery', async () => {
  await api.createItem('outage-1', 5);
  await network.pause();
  const outageStarted = Date.now();
  const accepted = await api.reserve({ inventoryId: 'outage-1', quantity: 2, userId: 'u1' });
  expect(accepted.status).toBe(202);
  await sleep(4_000 - (Date.now() - outageStarted));
  await network.resume();

  const decided = await api.pollUntilDecided(accepted.headers.get('location') ?? '', { deadlineMs: 60_000 });
  expect(decided.status).toBe('held');
  const item = await api.get<{ available: number; reserved: number }>('/inventory/outage-1');
  expect([item.body.available, item.body.reserved]).toEqual([3, 2]);

  // The consumer met the outage and backed off, instead of handing the message back again and again.
  expect(messages('store unavailable; retrying').length).toBeGreaterThanOrEqual(2);
  expect(messages('handler threw; abandoning for redelivery')).toEqual([]);
}, 90_000);

test('while the store is unreachable every read answers 503 with Retry-After, never 500', async () => {
  await api.createItem('outage-2', 5);
  await network.pause();
  try {
    for (const path of [
      '/inventory/outage-2',
      '/inventory/outage-2/reservations?limit=5',
      '/inventory/outage-2/ledger?limit=5',
      '/inventory/outage-2/reservations/r-00000000000000000000000000',
    ]) {
      const res = await api.get(path);
      expect([path, res.status, res.headers.get('content-type')]).toEqual([
        path,
        503,
        'application/problem+json',
      ]);
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    }
  } finally {
    await network.resume();
  }
}, 60_000);
