import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { systemClock } from '../ports/clock';
import { openAcceptSide, type AcceptSide } from './embedded-wiring';
import {
  serveRequests,
  startWorker,
  type AcceptorData,
  type StoreWrite,
  type ToAcceptor,
  type WorkerAnswer,
} from './worker-protocol';

/**
 * The accept side of the one-machine host, on a thread of its own: commits and fsyncs each group of
 * accepted commands to the queue file through its own connection, answers the main thread once they are
 * durable, and hands each commit to the consumer thread, which delivers them. An accept so waits only for
 * its own commit and fsync, never behind the decisions the consumer thread is busy with. The store writes
 * of HTTP requests (idempotency records, items) are made here too: SQLite waits for a file's write lock
 * asleep on the waiting thread, and the HTTP thread must never be the one asleep.
 */
function start(port: MessagePort, data: AcceptorData): void {
  const side = openAcceptSide(data.settings.dataDir, systemClock, data.gates, (committed) =>
    data.consumer.postMessage(committed),
  );
  serveRequests<ToAcceptor>(port, (message) => {
    switch (message.kind) {
      case 'send':
        return side.queue.send(message.messages);
      case 'store-write':
        return write(side.store, message.write);
      case 'ping':
        return Promise.all([side.queue.ping(), side.store.ping()]).then(() => undefined);
      case 'stop':
        return side.close().then(() => data.consumer.close());
    }
  });
  port.postMessage({ kind: 'ready' });
}

function write(store: AcceptSide['store'], write: StoreWrite): Promise<WorkerAnswer | void> {
  switch (write.op) {
    case 'create':
      return store.create(write.partitionKey, write.doc).then((result) => ({ kind: 'write', result }));
    case 'replace':
      return store
        .replace(write.partitionKey, write.doc, write.ifMatch)
        .then((result) => ({ kind: 'write', result }));
    case 'batch':
      return store.batch(write.partitionKey, write.operations).then((result) => ({ kind: 'batch', result }));
    case 'sync':
      return store.sync();
  }
}

startWorker<AcceptorData>(parentPort, workerData, start);
