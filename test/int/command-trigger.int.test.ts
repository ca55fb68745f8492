import { InvocationContext } from '@azure/functions';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase } from '../../src/adapters/embedded/database';
import { EmbeddedStore } from '../../src/adapters/embedded/embedded-store';
import { EmbeddedSessionQueue } from '../../src/adapters/embedded/queue';
import { ItemCache } from '../../src/app/item-cache';
import { putItem } from '../../src/app/items';
import type { Services } from '../../src/app/services';
import type { InventoryItem, ReserveCommand } from '../../src/domain/model';
import { TransientStoreError, type DocumentStore } from '../../src/ports/store';
import { MAX_DELIVERY_COUNT } from '../../src/ports/sessions';
import { createCommandTrigger } from '../../src/triggers/command-trigger';
import { deadLetterAdmin } from '../../src/app/dead-letters';
import { failureId, type FailureRecord } from '../../src/app/failures';

const clock = { now: () => new Date('2026-03-01T10:00:00Z') };

/** The context the Functions host builds for a Service Bus session trigger with cardinality 'one'. */
function hostContext(
  command: { commandId: string; inventoryId: string },
  deliveryCount: number,
): InvocationContext {
  return new InvocationContext({
    functionName: 'processCommands',
    logHandler: () => undefined,
    triggerMetadata: {
      messageId: command.commandId,
      sessionId: command.inventoryId,
      deliveryCount,
      enqueuedTimeUtc: '2026-03-01T09:59:59.000Z',
      sequenceNumber: 7,
    },
  });
}

function reserve(id: string, quantity: number): ReserveCommand {
  return {
    type: 'Reserve',
    commandId: `c-${id}`,
    inventoryId: 'sku-1',
    requestedAt: '2026-03-01T09:59:59.000Z',
    reservationId: `r-${id}`,
    quantity,
    userId: 'u1',
    expiresAt: '2026-03-01T10:15:00.000Z',
  };
}

describe('Service Bus trigger handler invoked as the Functions host does', () => {
  let store: EmbeddedStore;
  let services: Services;
  let failing: { next: Error | null };
  let dir: string;
  let queue: EmbeddedSessionQueue;

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trigger-'));
    store = new EmbeddedStore(openDatabase(dir), clock);
    // The consumer sends one thing: the ExpireHold of each hold it makes, scheduled at expiresAt.
    queue = new EmbeddedSessionQueue(openDatabase(dir, 'queue.db'), { clock });
    failing = { next: null };
    // Fails the next batch the way Cosmos DB does under throttling; reads and everything else pass through.
    const flaky: DocumentStore = Object.create(store) as DocumentStore;
    flaky.batch = (pk, ops) => {
      const error = failing.next;
      failing.next = null;
      return error ? Promise.reject(error) : store.batch(pk, ops);
    };
    services = {
      store: flaky,
      queue,
      clock,
      cache: new ItemCache(100),
      pendingHorizonMs: 86_400_000,
      deadLetters: deadLetterAdmin({ deadLetters: queue, queue, store }),
      describe: { store: 'test', queue: 'test' },
      close: () => Promise.resolve(),
    };
    await putItem({ store, clock }, { inventoryId: 'sku-1', available: 3, name: 'Widget' }, undefined);
  });

  afterEach(async () => {
    await queue.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const item = async () => (await store.read<InventoryItem>('sku-1', 'sku-1'))?.doc;

  it('applies a command from the message body and its trigger metadata', async () => {
    const trigger = createCommandTrigger(() => Promise.resolve(services));
    const command = reserve('a', 2);
    const result = await trigger(command, hostContext(command, 1));
    expect(result.settlements).toEqual([
      { action: 'complete', outcome: expect.objectContaining({ status: 'applied', reservationId: 'r-a' }) },
    ]);
    expect(await item()).toMatchObject({ available: 1, reserved: 2, seq: 2 });
  });

  it('accepts the body as the JSON text or bytes the host may hand over', async () => {
    const trigger = createCommandTrigger(() => Promise.resolve(services));
    const command = reserve('b', 1);
    await trigger(Buffer.from(JSON.stringify(command)), hostContext(command, 1));
    const again = reserve('c', 1);
    await trigger(JSON.stringify(again), hostContext(again, 1));
    expect(await item()).toMatchObject({ available: 1, reserved: 2 });
  });

  it('treats a redelivered command as a duplicate and changes nothing', async () => {
    const trigger = createCommandTrigger(() => Promise.resolve(services));
    const command = reserve('a', 2);
    await trigger(command, hostContext(command, 1));
    services.cache = new ItemCache(100); // as after a restart: no cached item
    const redelivered = await trigger(command, hostContext(command, 2));
    expect(redelivered.settlements[0]).toEqual({
      action: 'complete',
      outcome: expect.objectContaining({ status: 'duplicate' }),
    });
    expect(await item()).toMatchObject({ available: 1, reserved: 2, seq: 2 });
  });

  it('returns normally for a business rejection', async () => {
    const trigger = createCommandTrigger(() => Promise.resolve(services));
    const command = reserve('big', 10);
    const result = await trigger(command, hostContext(command, 1));
    expect(result.settlements[0]).toEqual({
      action: 'complete',
      outcome: expect.objectContaining({ status: 'rejected', reason: 'INSUFFICIENT_STOCK' }),
    });
  });

  it('retries a throttled store inside the invocation (waiting its retry-after) and applies the command once', async () => {
    const trigger = createCommandTrigger(() => Promise.resolve(services));
    const command = reserve('a', 1);
    failing.next = new TransientStoreError('throttled', 'request rate is large', 100);
    const started = Date.now();
    const result = await trigger(command, hostContext(command, 1));
    expect(Date.now() - started).toBeGreaterThanOrEqual(95);
    expect(result.settlements[0]).toEqual({
      action: 'complete',
      outcome: expect.objectContaining({ status: 'applied' }),
    });
    expect(failing.next).toBeNull();
    expect(await item()).toMatchObject({ available: 2, reserved: 1, seq: 2 });
  });

  it('throws once the retry budget is spent, so the host abandons and redelivers, then applies once', async () => {
    const trigger = createCommandTrigger(() => Promise.resolve(services), {
      retry: { initialDelayMs: 10, maxDelayMs: 10, budgetMs: 50 },
    });
    const command = reserve('a', 1);
    failing.next = new TransientStoreError('throttled', 'request rate is large', 100);
    await expect(trigger(command, hostContext(command, 1))).rejects.toThrow(TransientStoreError);
    expect(await item()).toMatchObject({ available: 3, reserved: 0, seq: 1 });
    await trigger(command, hostContext(command, 2));
    expect(await item()).toMatchObject({ available: 2, reserved: 1, seq: 2 });
  });

  it('records a command whose last delivery fails as failed, with the reason, before it is dead-lettered', async () => {
    const trigger = createCommandTrigger(() => Promise.resolve(services), {
      retry: { initialDelayMs: 1, maxDelayMs: 1, budgetMs: 0 },
    });
    const command = reserve('doomed', 1);
    failing.next = new TransientStoreError('unavailable', 'still down');
    await expect(trigger(command, hostContext(command, 9))).rejects.toThrow('still down');
    expect(await store.read('sku-1', failureId(command.reservationId))).toBeNull();
    failing.next = new TransientStoreError('unavailable', 'still down');
    await expect(trigger(command, hostContext(command, MAX_DELIVERY_COUNT))).rejects.toThrow('still down');
    const record = await store.read<FailureRecord>('sku-1', failureId(command.reservationId));
    expect(record?.doc).toMatchObject({
      type: 'failure',
      commandId: command.commandId,
      commandType: 'Reserve',
      reservationId: command.reservationId,
      reason: 'MaxDeliveryCountExceeded',
      deliveryCount: MAX_DELIVERY_COUNT,
    });
    expect(record?.doc.description).toContain('still down');
  });

  it('does not throw for a poison message: it is recorded and marked for dead-lettering', async () => {
    const trigger = createCommandTrigger(() => Promise.resolve(services));
    const context = hostContext({ commandId: 'bad-1', inventoryId: 'sku-1' }, 1);
    const result = await trigger('{"type":"Reserve", nope', context);
    expect(result.settlements[0]).toMatchObject({ action: 'deadLetter', reason: 'MalformedJson' });
    const page = await store.query('sku-1', { type: 'reservation', orderBy: 'id' }, { limit: 10 });
    expect(page.items).toHaveLength(0);
    expect(await item()).toMatchObject({ available: 3, seq: 1 });
  });
});
