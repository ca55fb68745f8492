import { metrics, type Counter, type Histogram, type Meter, type MeterProvider } from '@opentelemetry/api';

/**
 * The service's metrics, recorded through the OpenTelemetry API: a no-op until a host installs a
 * MeterProvider (Azure: useAzureMonitor, exported to Application Insights `customMetrics`; one machine:
 * src/local/metrics.ts, served as Prometheus text at /api/metrics). The names are a contract: dashboards
 * and the Azure workbook query them.
 */
export const METER_NAME = 'inventory-reservations';

export const METRIC_NAMES = {
  decided: 'inventory.commands.decided',
  conflicts: 'inventory.etag.conflicts',
  duplicates: 'inventory.duplicates.absorbed',
  redeliveries: 'inventory.redeliveries',
  deadLetters: 'inventory.dead_letters',
  acceptDuration: 'inventory.accept.duration',
  decisionLatency: 'inventory.decision.latency',
  batchSize: 'inventory.batch.size',
  backlog: 'inventory.queue.backlog',
} as const;

/** Milliseconds: an accept is an fsync or a Service Bus send, a few ms; past seconds something is wrong. */
const ACCEPT_BUCKETS_MS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000];
/** Milliseconds from enqueued to decided: a backlog or a store outage stretches it to minutes. */
const LATENCY_BUCKETS_MS = [
  5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000, 60_000, 300_000, 900_000,
];
/** Operations per batch: 1 to the 100 a transactional batch holds. */
const BATCH_BUCKETS = [1, 2, 3, 4, 6, 8, 12, 16, 25, 50, 75, 100];

interface Instruments {
  decided: Counter;
  conflicts: Counter;
  duplicates: Counter;
  redeliveries: Counter;
  deadLetters: Counter;
  acceptDuration: Histogram;
  decisionLatency: Histogram;
  batchSize: Histogram;
}

function create(meter: Meter): Instruments {
  const counter = (name: string, description: string) => meter.createCounter(name, { description });
  const histogram = (name: string, description: string, unit: string, buckets: number[]) =>
    meter.createHistogram(name, { description, unit, advice: { explicitBucketBoundaries: buckets } });
  return {
    decided: counter(METRIC_NAMES.decided, 'Commands decided, by command type and outcome'),
    conflicts: counter(METRIC_NAMES.conflicts, 'Writes refused because the partition changed (ETag 412)'),
    duplicates: counter(METRIC_NAMES.duplicates, 'Commands found already applied by an earlier delivery'),
    redeliveries: counter(METRIC_NAMES.redeliveries, 'Messages handled with a delivery count above 1'),
    deadLetters: counter(METRIC_NAMES.deadLetters, 'Messages dead-lettered or recorded as poison or failed'),
    acceptDuration: histogram(
      METRIC_NAMES.acceptDuration,
      'Time to accept a command (validated request to durable send)',
      'ms',
      ACCEPT_BUCKETS_MS,
    ),
    decisionLatency: histogram(
      METRIC_NAMES.decisionLatency,
      'Time from a message being enqueued to its decision being committed',
      'ms',
      LATENCY_BUCKETS_MS,
    ),
    batchSize: histogram(
      METRIC_NAMES.batchSize,
      'Operations per committed batch',
      '{operation}',
      BATCH_BUCKETS,
    ),
  };
}

let bound: { provider: MeterProvider; instruments: Instruments } | undefined;

/**
 * The instruments of the global MeterProvider as it is now. The metrics API has no proxy provider (unlike
 * traces): a meter taken before the host installs its provider would stay a no-op, so the instruments are
 * created again whenever the global provider changes.
 */
function instruments(): Instruments {
  const provider = metrics.getMeterProvider();
  if (bound?.provider !== provider) bound = { provider, instruments: create(provider.getMeter(METER_NAME)) };
  return bound.instruments;
}

/** What the use cases record; each call names the event, the attributes stay few and bounded. */
export const measure = {
  /** `outcome`: applied, rejected, noop or duplicate (CommandOutcome's status). */
  decided(commandType: string, outcome: string): void {
    instruments().decided.add(1, { 'command.type': commandType, outcome });
  },
  /** `failure`: what the store answered (conflict, notFound, duplicate). */
  conflict(failure: string): void {
    instruments().conflicts.add(1, { failure });
  },
  duplicateAbsorbed(commandType: string): void {
    instruments().duplicates.add(1, { 'command.type': commandType });
  },
  redelivered(messages: number): void {
    if (messages > 0) instruments().redeliveries.add(messages);
  },
  /** `reason`: the dead-letter or poison reason (MalformedJson, SchemaViolation, MaxDeliveryCountExceeded, ...). */
  deadLettered(reason: string, messages = 1): void {
    if (messages > 0) instruments().deadLetters.add(messages, { reason });
  },
  /** `outcome`: accepted, replayed (same Idempotency-Key and body), mismatch or failed. */
  accepted(commandType: string, outcome: string, ms: number): void {
    instruments().acceptDuration.record(ms, { 'command.type': commandType, outcome });
  },
  decisionLatency(ms: number): void {
    instruments().decisionLatency.record(Math.max(0, ms));
  },
  batchCommitted(operations: number): void {
    instruments().batchSize.record(operations);
  },
};
