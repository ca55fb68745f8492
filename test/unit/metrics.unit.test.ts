import { InvocationContext } from '@azure/functions';
import { metrics } from '@opentelemetry/api';
import {
  AggregationTemporality,
  DataPointType,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
  type MetricData,
} from '@opentelemetry/sdk-metrics';
import { acceptReservation } from '../../src/app/accept';
import { ItemCache } from '../../src/app/item-cache';
import { METRIC_NAMES } from '../../src/app/metrics';
import { processCommands } from '../../src/app/process-commands';
import type { Services } from '../../src/app/services';
import type { PlaceCartCommand } from '../../src/domain/cart-model';
import { QueueUnavailableError, type CommandQueue } from '../../src/ports/queue';
import { MAX_DELIVERY_COUNT } from '../../src/ports/sessions';
import type { DocumentStore } from '../../src/ports/store';
import { createCommandTrigger } from '../../src/triggers/command-trigger';
import { confirm, fixedClock, ITEM, reserve, T0_MS } from '../support/domain-fixtures';
import { useProcessorHarness } from '../support/processor-harness';

/** Each test records into its own in-memory MeterProvider, installed as the global one. */
let exporter: InMemoryMetricExporter;
let reader: PeriodicExportingMetricReader;
let provider: MeterProvider;

beforeEach(() => {
  exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  // Exported only when the test flushes.
  reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  provider = new MeterProvider({ readers: [reader] });
  metrics.setGlobalMeterProvider(provider);
});

afterEach(async () => {
  metrics.disable();
  await provider.shutdown();
});

async function collected(name: string): Promise<MetricData | undefined> {
  exporter.reset();
  await reader.forceFlush();
  return exporter
    .getMetrics()
    .flatMap((r) => r.scopeMetrics)
    .flatMap((s) => s.metrics)
    .find((m) => m.descriptor.name === name);
}

/** A counter's value, or a histogram's count and sum, over the points whose attributes include `where`. */
async function reading(name: string, where: Record<string, string> = {}) {
  const metric = await collected(name);
  const matches = (attributes: Record<string, unknown>) =>
    Object.entries(where).every(([k, v]) => attributes[k] === v);
  let value = 0;
  let sum = 0;
  if (metric?.dataPointType === DataPointType.HISTOGRAM) {
    for (const point of metric.dataPoints.filter((p) => matches(p.attributes))) {
      value += point.value.count;
      sum += point.value.sum ?? 0;
    }
  } else if (metric?.dataPointType === DataPointType.SUM) {
    for (const point of metric.dataPoints.filter((p) => matches(p.attributes))) value += point.value;
  }
  return { value, sum, type: metric?.dataPointType };
}

const h = useProcessorHarness('metrics-');

describe('metrics recorded by the processor', () => {
  it('counts each decided command by type and outcome, and the operations of each committed batch', async () => {
    await h.createItem(3);
    const first = reserve('r-1', 2);
    await processCommands(ITEM, [first, reserve('r-2', 2), confirm('r-1')], h.deps());

    expect(
      await reading(METRIC_NAMES.decided, { 'command.type': 'Reserve', outcome: 'applied' }),
    ).toMatchObject({ value: 1, type: DataPointType.SUM });
    expect(
      (await reading(METRIC_NAMES.decided, { 'command.type': 'Reserve', outcome: 'rejected' })).value,
    ).toBe(1);
    expect(
      (await reading(METRIC_NAMES.decided, { 'command.type': 'Confirm', outcome: 'applied' })).value,
    ).toBe(1);
    // One atomic batch held all three decisions.
    expect(h.store.batches).toHaveLength(1);
    expect(await reading(METRIC_NAMES.batchSize)).toMatchObject({
      value: 1,
      sum: h.store.batches[0]?.length,
      type: DataPointType.HISTOGRAM,
    });
  });

  it('counts a redelivered command that an earlier delivery applied as a duplicate absorbed', async () => {
    await h.createItem(3);
    const command = reserve('r-1', 1);
    await processCommands(ITEM, [command], h.deps());
    expect((await reading(METRIC_NAMES.duplicates)).value).toBe(0);

    await processCommands(ITEM, [command], h.deps({ cache: new ItemCache(10) }));
    expect((await reading(METRIC_NAMES.duplicates, { 'command.type': 'Reserve' })).value).toBe(1);
    expect((await reading(METRIC_NAMES.decided, { outcome: 'duplicate' })).value).toBe(1);
    // The batch refused with 409 was not committed: one batch counted.
    expect((await reading(METRIC_NAMES.batchSize)).value).toBe(1);
  });

  it('counts each ETag conflict with what the store answered, and the decision once', async () => {
    await h.createItem(3);
    h.store.intercept = (call) => (call === 1 ? { ok: false, failure: 'conflict', index: 0 } : undefined);
    await processCommands(ITEM, [reserve('r-1', 1)], h.deps());
    expect(await reading(METRIC_NAMES.conflicts, { failure: 'conflict' })).toMatchObject({
      value: 1,
      type: DataPointType.SUM,
    });
    expect((await reading(METRIC_NAMES.decided)).value).toBe(1);
  });
});

describe('metrics recorded by the session trigger', () => {
  const services = (store: DocumentStore, queue: CommandQueue): Services => ({
    store,
    queue,
    clock: fixedClock,
    cache: new ItemCache(10),
    pendingHorizonMs: 86_400_000,
    deadLetters: {
      list: () => Promise.reject(new Error('not used here')),
      resubmit: () => Promise.reject(new Error('not used here')),
      discard: () => Promise.reject(new Error('not used here')),
    },
    describe: { store: 'test', queue: 'test' },
    close: () => Promise.resolve(),
  });

  const context = (messageId: string, sessionId: string, deliveryCount: number, enqueuedMs: number) =>
    new InvocationContext({
      functionName: 'processCommands',
      logHandler: () => undefined,
      triggerMetadata: {
        messageId,
        sessionId,
        deliveryCount,
        enqueuedTimeUtc: new Date(enqueuedMs).toISOString(),
      },
    });

  it('counts redeliveries and records enqueued-to-decided latency from the trigger metadata', async () => {
    await h.createItem(3);
    const trigger = createCommandTrigger(() => Promise.resolve(services(h.store, h.t.queue)));
    const command = reserve('r-1', 1);
    // The clock stands at T0: enqueued 1.5 s before.
    await trigger(command, context(command.commandId, ITEM, 3, T0_MS - 1500));
    expect((await reading(METRIC_NAMES.redeliveries)).value).toBe(1);
    expect(await reading(METRIC_NAMES.decisionLatency)).toMatchObject({ value: 1, sum: 1500 });

    const fresh = reserve('r-2', 1);
    await trigger(fresh, context(fresh.commandId, ITEM, 1, T0_MS - 500));
    expect((await reading(METRIC_NAMES.redeliveries)).value).toBe(1);
    expect(await reading(METRIC_NAMES.decisionLatency)).toMatchObject({ value: 2, sum: 2000 });
  });

  it('counts poison as dead-lettered with its reason, and gives it no decision latency', async () => {
    const trigger = createCommandTrigger(() => Promise.resolve(services(h.store, h.t.queue)));
    const result = await trigger('{"type": "Reserve", ', context('m-1', ITEM, 1, T0_MS));
    expect(result.settlements[0]).toMatchObject({ action: 'deadLetter', reason: 'MalformedJson' });
    expect((await reading(METRIC_NAMES.deadLetters, { reason: 'MalformedJson' })).value).toBe(1);
    expect((await reading(METRIC_NAMES.decisionLatency)).value).toBe(0);
  });

  it('counts a command failing at its last delivery as dead-lettered, and not before', async () => {
    await h.createItem(3);
    const broken: DocumentStore = Object.create(h.store) as DocumentStore;
    broken.read = () => Promise.reject(new Error('the disk is on fire'));
    const trigger = createCommandTrigger(() => Promise.resolve(services(broken, h.t.queue)));
    const command = reserve('r-1', 1);

    await expect(trigger(command, context(command.commandId, ITEM, 1, T0_MS))).rejects.toThrow('on fire');
    expect((await reading(METRIC_NAMES.deadLetters)).value).toBe(0);
    await expect(
      trigger(command, context(command.commandId, ITEM, MAX_DELIVERY_COUNT, T0_MS)),
    ).rejects.toThrow('on fire');
    expect((await reading(METRIC_NAMES.deadLetters, { reason: 'MaxDeliveryCountExceeded' })).value).toBe(1);
  });

  it("counts a cart's command as decided by its type", async () => {
    const trigger = createCommandTrigger(() => Promise.resolve(services(h.store, h.t.queue)));
    const place: PlaceCartCommand = {
      type: 'PlaceCart',
      cartId: 'k-1',
      commandId: 'k-1.place',
      requestedAt: new Date(T0_MS).toISOString(),
      userId: 'user-1',
      expiresAt: new Date(T0_MS + 600_000).toISOString(),
      lines: [{ inventoryId: ITEM, quantity: 1, reservationId: 'r-1' }],
    };
    await trigger(place, context(place.commandId, 'cart:k-1', 1, T0_MS));
    expect(
      (await reading(METRIC_NAMES.decided, { 'command.type': 'PlaceCart', outcome: 'applied' })).value,
    ).toBe(1);
  });
});

describe('metrics recorded when a command is accepted', () => {
  const input = { inventoryId: ITEM, quantity: 1, userId: 'user-1' };

  it('times every accept by command type and outcome: accepted, replayed, mismatch, failed', async () => {
    const deps = { store: h.t.store, queue: h.t.queue, clock: fixedClock };
    await acceptReservation(deps, input, 'key-1');
    await acceptReservation(deps, input, 'key-1');
    await acceptReservation(deps, { ...input, quantity: 2 }, 'key-1');
    const down: CommandQueue = {
      send: () => Promise.reject(new QueueUnavailableError('the queue is down')),
      ping: () => Promise.resolve(),
      close: () => Promise.resolve(),
    };
    await expect(acceptReservation({ ...deps, queue: down }, input)).rejects.toThrow('down');

    for (const outcome of ['accepted', 'replayed', 'mismatch', 'failed']) {
      const timed = await reading(METRIC_NAMES.acceptDuration, { 'command.type': 'Reserve', outcome });
      expect({ outcome, count: timed.value, type: timed.type }).toEqual({
        outcome,
        count: 1,
        type: DataPointType.HISTOGRAM,
      });
    }
  });
});
