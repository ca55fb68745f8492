import { parentPort, workerData } from 'node:worker_threads';
import { deadLetterAdmin } from '../app/dead-letters';
import { ItemCache } from '../app/item-cache';
import type { Services } from '../app/services';
import { systemClock } from '../ports/clock';
import { QueueUnavailableError } from '../ports/queue';
import { InvalidContinuationError } from '../ports/store';
import { localDispatcher } from './dispatcher';
import { DataFiles, openEmbeddedQueue, openEmbeddedStore } from './embedded-wiring';
import { jsonLogSink } from './log';
import { localMetrics } from './metrics';
import type { FromWorker, ToWorker, WorkerAnswer, WorkerData } from './worker-protocol';

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
  const admin = deadLetterAdmin({ deadLetters: queue, queue, store });
  const services: Services = {
    store,
    queue,
    clock: systemClock,
    cache: new ItemCache(settings.itemCacheSize),
    pendingHorizonMs: settings.pendingHorizonMs,
    deadLetters: admin,
    describe: { store: 'embedded SQLite', queue: 'embedded SQLite session queue' },
    close: () => Promise.resolve(),
  };
  const provider = () => Promise.resolve(services);
  const dispatcher = localDispatcher(queue, provider, settings, sink);
  dispatcher.start();

  const reply = (message: FromWorker) => port.postMessage(message);
  port.on('message', (message: ToWorker) => {
    void answer(reply, message.id, work(message));
  });

  /** What each request of the main thread does here. */
  function work(message: ToWorker): Promise<WorkerAnswer | void> {
    switch (message.kind) {
      case 'send':
        return queue.send(message.messages);
      case 'ping':
        return Promise.all([queue.ping(), store.ping()]).then(() => undefined);
      case 'list-dead-letters':
        return admin.list(message.page).then((page) => ({ kind: 'dead-letters' as const, ...page }));
      case 'discard-dead-letter':
        return admin.discard(message.messageId).then((result) => ({ kind: 'discard' as const, result }));
      case 'resubmit-dead-letter':
        return admin.resubmit(message.messageId).then((result) => ({ kind: 'resubmit' as const, result }));
      case 'metrics':
        return localMetrics()
          .collect()
          .then((scopeMetrics) => ({ kind: 'metrics' as const, scopeMetrics }));
      case 'stop':
        return (async () => {
          await dispatcher.stop();
          await queue.close();
          await store.close();
          await files.close();
        })();
    }
  }
  reply({ kind: 'ready' });
}

/** Replies to one request: its answer, or why it failed. */
function answer(reply: (message: FromWorker) => void, id: number, work: Promise<WorkerAnswer | void>) {
  return work.then(
    (value) => reply({ kind: 'reply', id, ok: true, ...(value ? { value } : {}) }),
    (error: unknown) =>
      reply({
        kind: 'reply',
        id,
        ok: false,
        error: error instanceof Error ? error.message : String(error),
        retryAfterSeconds: error instanceof QueueUnavailableError ? error.retryAfterSeconds : 5,
        // Anything but a known refusal may have left the messages on disk.
        outcome: error instanceof QueueUnavailableError ? error.outcome : 'unknown',
        ...(error instanceof InvalidContinuationError ? { invalidContinuation: true as const } : {}),
      }),
  );
}

if (parentPort) {
  try {
    start(parentPort, workerData as WorkerData);
  } catch (error) {
    parentPort.postMessage({ kind: 'failed', error: error instanceof Error ? error.message : String(error) });
  }
}
