import { parentPort, workerData } from 'node:worker_threads';
import { ItemCache } from '../app/item-cache';
import type { Services } from '../app/services';
import { systemClock } from '../ports/clock';
import { QueueUnavailableError } from '../ports/queue';
import { localDispatcher } from './dispatcher';
import { DataFiles, openEmbeddedQueue, openEmbeddedStore } from './embedded-wiring';
import { jsonLogSink } from './log';
import type { FromWorker, ToWorker, WorkerData } from './worker-protocol';

/**
 * The consumer side of the one-machine host, on its own thread: the embedded queue (accepts are
 * committed and fsynced here), the session dispatcher and the processor with its item cache. The
 * main thread keeps the event loop for HTTP and reaches the queue through messages.
 */
function start(port: NonNullable<typeof parentPort>, data: WorkerData): void {
  const { settings } = data;
  const sink = jsonLogSink(settings.logLevel);
  const files = new DataFiles(settings.dataDir);
  const store = openEmbeddedStore(files, systemClock);
  const queue = openEmbeddedQueue(files, systemClock, store);
  const services: Services = {
    store,
    queue,
    clock: systemClock,
    cache: new ItemCache(settings.itemCacheSize),
    pendingHorizonMs: settings.pendingHorizonMs,
    describe: { store: 'embedded SQLite', queue: 'embedded SQLite session queue' },
    close: () => Promise.resolve(),
  };
  const provider = () => Promise.resolve(services);
  const dispatcher = localDispatcher(queue, provider, settings, sink);
  dispatcher.start();

  const reply = (message: FromWorker) => port.postMessage(message);
  const answer = (id: number, work: Promise<void>) =>
    work.then(
      () => reply({ kind: 'reply', id, ok: true }),
      (error: unknown) =>
        reply({
          kind: 'reply',
          id,
          ok: false,
          error: error instanceof Error ? error.message : String(error),
          retryAfterSeconds: error instanceof QueueUnavailableError ? error.retryAfterSeconds : 5,
          // Anything but a known refusal may have left the messages on disk.
          outcome: error instanceof QueueUnavailableError ? error.outcome : 'unknown',
        }),
    );

  port.on('message', (message: ToWorker) => {
    switch (message.kind) {
      case 'send':
        void answer(message.id, queue.send(message.messages));
        break;
      case 'ping':
        void answer(
          message.id,
          Promise.all([queue.ping(), store.ping()]).then(() => undefined),
        );
        break;
      case 'stop':
        void answer(
          message.id,
          (async () => {
            await dispatcher.stop();
            await queue.close();
            await store.close();
            await files.close();
          })(),
        );
        break;
    }
  });
  reply({ kind: 'ready' });
}

if (parentPort) {
  try {
    start(parentPort, workerData as WorkerData);
  } catch (error) {
    parentPort.postMessage({ kind: 'failed', error: error instanceof Error ? error.message : String(error) });
  }
}
