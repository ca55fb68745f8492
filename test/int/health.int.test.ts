import { HttpRequest, InvocationContext } from '@azure/functions';
import type Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { openDatabase } from '../../src/adapters/embedded/database';
import { EmbeddedStore } from '../../src/adapters/embedded/embedded-store';
import { ServiceBusDeadLetters } from '../../src/adapters/servicebus/dead-letters';
import { ServiceBusCommandQueue } from '../../src/adapters/servicebus/service-bus-queue';
import { deadLetterAdmin } from '../../src/app/dead-letters';
import { ItemCache } from '../../src/app/item-cache';
import type { Services } from '../../src/app/services';
import { HEALTH_CACHE_MS } from '../../src/http/handlers/system';
import { bindRoutes } from '../../src/http/routes';

/**
 * GET /api/health is anonymous on Azure: it reports each dependency's kind and state, never a host name
 * or an SDK's error text, and it probes at most once per HEALTH_CACHE_MS whatever the call rate.
 * The queue here is the real Service Bus SDK pointed at a loopback port nobody listens on.
 */

let dataDir: string;
let db: Database.Database;
let store: EmbeddedStore;
let queue: ServiceBusCommandQueue;
let deadPort: number;
let now = Date.parse('2026-01-01T00:00:00Z');
let services: Services;
const logged: string[] = [];

async function unusedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== 'object' || address === null) throw new Error('no port');
  return address.port;
}

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'int-health-'));
  db = openDatabase(dataDir);
  store = new EmbeddedStore(db);
  deadPort = await unusedPort();
  const serviceBus = {
    queueName: 'reservations',
    connectionString: `Endpoint=sb://127.0.0.1:${deadPort};SharedAccessKeyName=k;SharedAccessKey=secret-value;UseDevelopmentEmulator=true`,
    retryOptions: { maxRetries: 0, retryDelayInMs: 10, maxRetryDelayInMs: 10, timeoutInMs: 2_000 },
  };
  queue = new ServiceBusCommandQueue(serviceBus);
  services = {
    store,
    queue,
    clock: { now: () => new Date(now) },
    cache: new ItemCache(10),
    pendingHorizonMs: 86_400_000,
    deadLetters: deadLetterAdmin({ deadLetters: new ServiceBusDeadLetters(serviceBus), queue, store }),
    describe: { store: 'embedded SQLite', queue: 'Service Bus' },
    close: async () => {
      await queue.close();
      await store.close();
      db.close();
    },
  };
});

afterAll(async () => {
  await services.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function getHealth() {
  const route = bindRoutes(() => Promise.resolve(services)).find((r) => r.name === 'health');
  if (!route) throw new Error('no health route');
  const context = new InvocationContext({
    functionName: 'health',
    logHandler: (_level, ...args) => logged.push(args.map(String).join(' ')),
  });
  const response = await route.handler(
    new HttpRequest({ method: 'GET', url: 'http://localhost/api/health' }),
    context,
  );
  const text = typeof response.body === 'string' ? response.body : '';
  return { status: response.status, text, body: JSON.parse(text) as unknown };
}

describe('GET /api/health', () => {
  it('answers 503 naming the failing dependency by kind, without host names or SDK error text', async () => {
    const res = await getHealth();
    expect(res.status).toBe(503);
    expect(res.body).toEqual({
      status: 'degraded',
      checks: {
        store: { status: 'ok', backend: 'embedded SQLite' },
        queue: { status: 'failed', backend: 'Service Bus', error: 'unreachable' },
      },
    });
    expect(res.text).not.toContain('127.0.0.1');
    expect(res.text).not.toContain(String(deadPort));
    expect(res.text).not.toMatch(/ECONNREFUSED|secret/);
    // The operator still finds the cause in the log.
    expect(logged.join('\n')).toMatch(/queue probe failed/);
  });

  it('probes each dependency at most once per cache period, however often it is called', async () => {
    const storePing = jest.spyOn(store, 'ping');
    const queuePing = jest.spyOn(queue, 'ping');
    now += HEALTH_CACHE_MS + 1;
    await Promise.all([getHealth(), getHealth(), getHealth()]);
    now += HEALTH_CACHE_MS - 10;
    await getHealth();
    expect([storePing.mock.calls.length, queuePing.mock.calls.length]).toEqual([1, 1]);
    now += 20;
    await getHealth();
    expect([storePing.mock.calls.length, queuePing.mock.calls.length]).toEqual([2, 2]);
  });
});
