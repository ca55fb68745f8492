import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { deadLetterAdmin } from '../app/dead-letters';
import { ItemCache } from '../app/item-cache';
import type { Services } from '../app/services';
import { systemClock } from '../ports/clock';
import { localDispatcher } from './dispatcher';
import { DataFiles, openEmbeddedQueue, openEmbeddedStore, type CommittedMessages } from './embedded-wiring';
import { jsonLogSink } from './log';
import { localMetrics } from './metrics';
import { lowerThreadPriority } from './thread-priority';
import { serveRequests, startWorker, type ConsumerData, type ToConsumer } from './worker-protocol';

/**
 * The consumer side of the one-machine host, on its own thread: the embedded queue's deliveries, the
 * session dispatcher and the processor with its item cache. Accepts are committed and fsynced on the
 * accept thread (accept-worker.ts), which hands each commit over through `data.accepts`; the main thread
 * keeps the event loop for HTTP and reaches this thread through messages.
 */
function start(port: MessagePort, data: ConsumerData): void {
  const { settings } = data;
  const sink = jsonLogSink(settings.logLevel);
  const files = new DataFiles(settings.dataDir);
  const store = openEmbeddedStore(files, systemClock, data.gates.store);
  const queue = openEmbeddedQueue(files, systemClock, store, data.gates.queue);
  // When every core is busy, the threads that answer requests run first and decisions wait; group commit
  // then decides more per store transaction. Only after the checkpointer threads have started, which
  // would inherit it: a log they let grow ends in a truncating pass that holds every writer up.
  const notLowered = lowerThreadPriority(settings.consumerNice);
  if (notLowered) sink('warn', { msg: 'the consumer thread keeps its priority', reason: notLowered });
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
  data.accepts.on('message', (committed: CommittedMessages) => queue.admitCommitted(committed));

  serveRequests<ToConsumer>(port, (message) => {
    switch (message.kind) {
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
          data.accepts.close();
          await dispatcher.stop();
          await queue.close();
          await store.close();
          await files.close();
        })();
    }
  });
  port.postMessage({ kind: 'ready' });
}

startWorker<ConsumerData>(parentPort, workerData, start);
