import { metrics } from '@opentelemetry/api';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  MeterProvider,
  type MetricData,
  type MetricProducer,
  type ScopeMetrics,
} from '@opentelemetry/sdk-metrics';
import { METER_NAME, METRIC_NAMES } from '../app/metrics';
import type { BoundRoute } from '../http/routes';

/** Active and scheduled messages of an embedded queue (its counts()). */
type QueueBacklog = () => { active: number; scheduled: number };

/** Another thread's collected metrics (the consumer thread's, asked for through its port). */
type RemoteMetrics = () => Promise<ScopeMetrics[]>;

/**
 * The one-machine host's OpenTelemetry metrics on this thread: a MeterProvider installed as the global one,
 * so the instruments of src/app/metrics.ts record into it. Each thread has its own (worker threads do not
 * share globals): the consumer thread collects on request, the main thread serves everything as Prometheus
 * text through the OpenTelemetry Prometheus exporter, its own metrics and, through a MetricProducer, the
 * consumer thread's.
 */
export interface LocalMetrics {
  /** Adds an embedded queue to the backlog gauge; call the answer when the queue closes. */
  observeBacklog(source: QueueBacklog): () => void;
  /** Adds another thread's metrics to what /api/metrics serves; call the answer when that thread ends. */
  addRemote(source: RemoteMetrics): () => void;
  /** This thread's metrics (what the consumer thread answers the main thread with). */
  collect(): Promise<ScopeMetrics[]>;
  /** Prometheus text exposition (format 0.0.4) of this thread's metrics and the remotes'. */
  prometheus(): Promise<string>;
}

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

let installed: LocalMetrics | undefined;

/** This thread's metrics, installed on first use (one MeterProvider per thread, shared by its hosts). */
export function localMetrics(): LocalMetrics {
  return (installed ??= install());
}

function install(): LocalMetrics {
  const backlogs = new Set<QueueBacklog>();
  let observed = false;
  const remotes = new Set<RemoteMetrics>();
  const resource = resourceFromAttributes({ 'service.name': METER_NAME });
  // The remotes' scope metrics join this thread's at every collection; a thread that cannot answer
  // (stopping, failed) leaves its metrics out of that scrape rather than failing it.
  const producer: MetricProducer = {
    collect: async () => {
      const parts = await Promise.all([...remotes].map((remote) => remote().catch(() => [])));
      return { resourceMetrics: { resource, scopeMetrics: parts.flat() }, errors: [] };
    },
  };
  // Served by our own router (/api/metrics, behind API_KEY), never on a port of its own.
  const exporter = new PrometheusExporter({ preventServerStart: true, metricProducers: [producer] });
  const provider = new MeterProvider({ resource, readers: [exporter] });
  metrics.setGlobalMeterProvider(provider);
  provider
    .getMeter(METER_NAME)
    .createObservableGauge(METRIC_NAMES.backlog, {
      description: 'Messages waiting in the embedded queue: active (deliverable) and scheduled',
      unit: '{message}',
    })
    .addCallback((result) => {
      // Nothing to say until a queue opens; once one has, a closed queue is an empty one (a series, once
      // reported, is kept by the cumulative reader: it must not go on showing the last backlog).
      if (backlogs.size === 0 && !observed) return;
      observed = true;
      let active = 0;
      let scheduled = 0;
      for (const source of backlogs) {
        const counts = source();
        active += counts.active;
        scheduled += counts.scheduled;
      }
      result.observe(active, { state: 'active' });
      result.observe(scheduled, { state: 'scheduled' });
    });
  const serializer = new PrometheusSerializer();
  return {
    observeBacklog: (source) => {
      backlogs.add(source);
      return () => backlogs.delete(source);
    },
    addRemote: (source) => {
      remotes.add(source);
      return () => remotes.delete(source);
    },
    collect: async () => (await exporter.collect()).resourceMetrics.scopeMetrics,
    prometheus: async () => {
      const { resourceMetrics } = await exporter.collect();
      const scopeMetrics = mergeScopes(resourceMetrics.scopeMetrics);
      return serializer.serialize({ ...resourceMetrics, scopeMetrics });
    },
  };
}

/**
 * One scope per name, one metric per name: the two threads record under the same meter, and Prometheus
 * refuses a metric family declared twice. Each instrument is recorded on one thread only (accepts on the
 * main thread, decisions on the consumer's), so joining the data points never repeats a series.
 */
function mergeScopes(scopes: readonly ScopeMetrics[]): ScopeMetrics[] {
  const byScope = new Map<string, { scope: ScopeMetrics['scope']; metrics: Map<string, MetricData> }>();
  for (const { scope, metrics: list } of scopes) {
    const key = `${scope.name}\n${scope.version ?? ''}\n${scope.schemaUrl ?? ''}`;
    let entry = byScope.get(key);
    if (!entry) byScope.set(key, (entry = { scope, metrics: new Map() }));
    for (const metric of list) {
      const seen = entry.metrics.get(metric.descriptor.name);
      if (seen && seen.dataPointType === metric.dataPointType)
        entry.metrics.set(metric.descriptor.name, joinPoints(seen, metric));
      else if (!seen) entry.metrics.set(metric.descriptor.name, metric);
    }
  }
  return [...byScope.values()].map(({ scope, metrics: list }) => ({ scope, metrics: [...list.values()] }));
}

function joinPoints<M extends MetricData>(a: M, b: M): M {
  return { ...a, dataPoints: [...a.dataPoints, ...b.dataPoints] };
}

/**
 * `GET /api/metrics`: a route of the one-machine host only (Azure's metrics go to Application Insights),
 * behind API_KEY like every data route.
 */
export function metricsRoute(source: LocalMetrics): BoundRoute {
  return {
    name: 'metrics',
    route: 'metrics',
    method: 'GET',
    authLevel: 'function',
    doc: {
      summary: 'OpenTelemetry metrics in Prometheus text format (one machine only)',
      noBackend: true,
      responses: { 200: { description: 'Prometheus text exposition format 0.0.4' } },
    },
    handler: async () => ({
      status: 200,
      headers: { 'content-type': PROMETHEUS_CONTENT_TYPE, 'cache-control': 'no-store' },
      body: await source.prometheus(),
    }),
  };
}
