import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { putItem } from '../../src/app/items';
import type { ReserveCommand } from '../../src/domain/model';
import { DataFiles, openEmbeddedQueue, openEmbeddedStore } from '../../src/local/embedded-wiring';
import { systemClock } from '../../src/ports/clock';
import { ApiClient } from '../support/http-client';
import { startHostProcess, type HostProcess } from '../support/host-process';

/**
 * The compiled host, consumer on its own thread (the default): the operator routes reach the dead letters
 * the consumer thread's queue holds, behind the API key. The dead letter is made offline, before start.
 */

jest.setTimeout(60_000);

const KEY = 'dead-letter-test-key-0123';
let dir: string;
let host: HostProcess | undefined;

const reserve: ReserveCommand = {
  type: 'Reserve',
  commandId: 'cmd-dl-1',
  inventoryId: 'dl-item',
  requestedAt: new Date().toISOString(),
  reservationId: 'res-dl-1',
  quantity: 2,
  userId: 'u1',
  expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
};

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'e2e-dead-letters-'));
  const files = new DataFiles(dir);
  const store = openEmbeddedStore(files, systemClock);
  const queue = openEmbeddedQueue(files, systemClock, store);
  await putItem(
    { store, clock: systemClock },
    { inventoryId: 'dl-item', available: 5, name: 'x' },
    undefined,
  );
  const poison = { ...reserve, commandId: 'cmd-dl-poison', quantity: 0 }; // quantity 0: not a command
  await queue.send([
    { sessionId: 'dl-item', messageId: reserve.commandId, body: reserve },
    { sessionId: 'dl-item', messageId: poison.commandId, body: poison },
  ]);
  const receiver = await queue.acceptNextSession();
  for (const message of (await receiver?.receiveMessages(2)) ?? []) {
    await receiver!.deadLetter(message, 'MaxDeliveryCountExceeded', 'the store refused it');
  }
  await receiver!.close();
  await queue.close();
  await files.close();
  host = await startHostProcess({ dataDir: dir, env: { API_KEY: KEY } });
});

afterAll(async () => {
  await host?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('lists, resubmits and discards dead letters held by the consumer thread, and only with the key', async () => {
  const anonymous = new ApiClient(host!.url);
  expect((await anonymous.get('/ops/dead-letters')).status).toBe(401);
  const api = new ApiClient(host!.url);
  const headers = { 'x-api-key': KEY };
  const listed = await api.get<{ items: { messageId: string; commandType: string }[] }>('/ops/dead-letters', {
    headers,
  });
  expect(listed.status).toBe(200);
  expect(listed.body.items).toMatchObject([
    { messageId: 'cmd-dl-1', commandType: 'Reserve' },
    { messageId: 'cmd-dl-poison', commandType: null },
  ]);
  const refused = await api.request('POST', '/ops/dead-letters/cmd-dl-poison/resubmit', { headers });
  expect(refused.status).toBe(409);
  const discarded = await api.request('POST', '/ops/dead-letters/cmd-dl-poison/discard', { headers });
  expect(discarded).toMatchObject({ status: 200, body: { status: 'discarded', messageId: 'cmd-dl-poison' } });
  const forged = await api.get('/ops/dead-letters?continuation=forged', { headers });
  expect(forged.status).toBe(400);

  const resubmitted = await api.request('POST', '/ops/dead-letters/cmd-dl-1/resubmit', { headers });
  expect(resubmitted.status).toBe(200);
  const status = `/inventory/dl-item/reservations/res-dl-1`;
  const deadline = Date.now() + 10_000;
  let answer = await api.get<{ status: string }>(status, { headers });
  while (answer.body.status !== 'held' && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    answer = await api.get<{ status: string }>(status, { headers });
  }
  expect(answer.body.status).toBe('held');
  expect((await api.get<{ items: unknown[] }>('/ops/dead-letters', { headers })).body.items).toEqual([]);
  const missing = await api.request('POST', '/ops/dead-letters/cmd-dl-1/resubmit', { headers });
  expect(missing.status).toBe(404);
});
