import { bindRoutes } from '../http/routes';
import { createCommandTrigger } from '../triggers/command-trigger';
import { Dispatcher } from './dispatcher';
import { createEmbeddedServices, type EmbeddedServices } from './embedded-services';
import type { LogSink } from './log';
import { startServer, type LocalServer } from './server';

export interface HostOptions {
  port: number;
  dataDir: string;
  concurrency: number;
  batchSize: number;
  cacheSize: number;
  sink: LogSink;
}

export interface Host {
  url: string;
  services: EmbeddedServices;
  server: LocalServer;
  stop(): Promise<void>;
}

/** The whole service in one process: the HTTP routes and the session dispatcher over the embedded stand-ins. */
export async function startHost(options: HostOptions): Promise<Host> {
  const services = createEmbeddedServices({ dataDir: options.dataDir, cacheSize: options.cacheSize });
  const provider = () => Promise.resolve(services);
  const server = await startServer(bindRoutes(provider), options.port, options.sink);
  const dispatcher = new Dispatcher(services.queue, createCommandTrigger(provider), {
    concurrency: options.concurrency,
    batchSize: options.batchSize,
    lockRenewalMs: 20_000,
    sink: options.sink,
  });
  dispatcher.start();
  let stopping: Promise<void> | null = null;
  return {
    url: server.url,
    services,
    server,
    stop: () =>
      (stopping ??= (async () => {
        await server.stop();
        await dispatcher.stop();
        await services.close();
      })()),
  };
}
