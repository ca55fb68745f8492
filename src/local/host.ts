import type { Settings } from '../config/settings';
import { createServices } from './compose';
import type { ComposedServices } from './composed-services';
import { bindRoutes } from '../http/routes';
import type { Clock } from '../ports/clock';
import { dashboardPages } from './dashboard/pages';
import { localDispatcher } from './dispatcher';
import type { LogSink } from './log';
import { localMetrics, metricsRoute } from './metrics';
import { startServer, type LocalServer } from './server';

export interface Host {
  url: string;
  services: ComposedServices;
  server: LocalServer;
  stop(): Promise<void>;
}

/**
 * The whole service in one process: the route table over Node HTTP and the session dispatcher calling
 * the Service Bus trigger handler, over whichever adapters the settings choose.
 */
export async function startHost(
  settings: Settings,
  sink: LogSink,
  options: { clock?: Clock } = {},
): Promise<Host> {
  // Installed first, so the consumer's instruments and the queue's backlog record into it from the start.
  const metrics = localMetrics();
  const services = await createServices(settings, options);
  const provider = () => Promise.resolve(services);
  const server = await startServer(
    [...bindRoutes(provider), metricsRoute(metrics)],
    { ...settings, pages: dashboardPages() },
    sink,
  );
  const dispatcher = services.sessions ? localDispatcher(services.sessions, provider, settings, sink) : null;
  dispatcher?.start();
  let stopping: Promise<void> | null = null;
  return {
    url: server.url,
    services,
    server,
    stop: () =>
      (stopping ??= (async () => {
        await server.stop();
        await dispatcher?.stop();
        await services.close();
      })()),
  };
}

/** Settings for tests and tools that start a host in-process on an ephemeral port. */
export function localSettings(overrides: Partial<Settings> & { dataDir: string }): Settings {
  return {
    port: 0,
    host: '127.0.0.1',
    trustProxy: false,
    dispatchConcurrency: 8,
    dispatchBatchSize: 1,
    dispatchThread: 'main',
    consumerNice: 0,
    itemCacheSize: 10_000,
    pendingHorizonMs: 24 * 3600 * 1000,
    logLevel: 'warn',
    triggerCardinality: 'one',
    telemetryTracesPerSecond: 5,
    transientRetryMs: 240_000,
    store: { kind: 'embedded' },
    queue: { kind: 'embedded' },
    ...overrides,
  };
}
