import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { failureId, type FailureRecord } from '../../src/app/failures';
import { getReservation } from '../../src/app/queries';
import type { ReserveCommand } from '../../src/domain/model';
import { DataFiles, openEmbeddedQueue, openEmbeddedStore } from '../../src/local/embedded-wiring';
import { MAX_DELIVERY_COUNT } from '../../src/ports/sessions';
import { systemClock } from '../../src/ports/clock';

/**
 * A message whose deliveries all end without a settlement (the consumer's lock lost, the host stopped) is
 * dead-lettered by the queue itself, unseen by any handler: its status must still answer `failed`.
 */

let dir: string;
let files: DataFiles;

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'int-exhausted-'));
  files = new DataFiles(dir);
});

afterEach(async () => {
  await files.close();
  rmSync(dir, { recursive: true, force: true });
});

const reserve: ReserveCommand = {
  type: 'Reserve',
  commandId: 'cmd-ex-1',
  inventoryId: 'ex-item',
  requestedAt: new Date().toISOString(),
  reservationId: 'res-ex-1',
  quantity: 1,
  userId: 'u1',
  expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
};

test('a reservation whose deliveries run out unsettled answers failed, with the reason', async () => {
  const store = openEmbeddedStore(files, systemClock);
  const queue = openEmbeddedQueue(files, systemClock, store);
  await queue.send([{ sessionId: 'ex-item', messageId: reserve.commandId, body: reserve }]);
  for (let delivery = 1; delivery <= MAX_DELIVERY_COUNT; delivery++) {
    const receiver = await queue.acceptNextSession();
    expect(await receiver!.receiveMessages(1)).toHaveLength(1);
    await receiver!.close(); // released unsettled, as a lost lock or a stop leaves it
  }
  const last = await queue.acceptNextSession();
  expect(await last!.receiveMessages(1)).toEqual([]);
  await last!.close();
  expect(queue.deadLetters().map((d) => d.reason)).toEqual(['MaxDeliveryCountExceeded']);

  const deps = { store, clock: systemClock, pendingHorizonMs: 86_400_000 };
  let status = await getReservation(deps, 'ex-item', 'res-ex-1');
  for (let i = 0; i < 100 && status.kind !== 'failed'; i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
    status = await getReservation(deps, 'ex-item', 'res-ex-1');
  }
  expect(status).toMatchObject({ kind: 'failed', failure: { reason: 'MaxDeliveryCountExceeded' } });
  const record = await store.read<FailureRecord>('ex-item', failureId('res-ex-1'));
  expect(record?.doc.description).toMatch(/without being settled/);
  await queue.close();
});

test('a failure the handler recorded keeps its own description when the queue then dead-letters the message', async () => {
  const store = openEmbeddedStore(files, systemClock);
  const queue = openEmbeddedQueue(files, systemClock, store);
  const earlier: FailureRecord = {
    type: 'failure',
    id: failureId('res-ex-1'),
    inventoryId: 'ex-item',
    commandId: 'cmd-ex-1',
    commandType: 'Reserve',
    reservationId: 'res-ex-1',
    reason: 'MaxDeliveryCountExceeded',
    description: 'the store refuses this item',
    deliveryCount: MAX_DELIVERY_COUNT,
    failedAt: new Date().toISOString(),
  };
  await store.create('ex-item', earlier);
  await queue.send([{ sessionId: 'ex-item', messageId: reserve.commandId, body: reserve }]);
  for (let delivery = 1; delivery <= MAX_DELIVERY_COUNT; delivery++) {
    const receiver = await queue.acceptNextSession();
    const [message] = await receiver!.receiveMessages(1);
    await receiver!.abandon(message!); // the 10th abandon dead-letters it
    await receiver!.close();
  }
  expect(queue.deadLetters()).toHaveLength(1);
  await new Promise((resolve) => setTimeout(resolve, 50));
  const record = await store.read<FailureRecord>('ex-item', failureId('res-ex-1'));
  expect(record?.doc.description).toBe('the store refuses this item');
  await queue.close();
});
