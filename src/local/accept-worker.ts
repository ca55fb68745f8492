import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { systemClock } from '../ports/clock';
import { openAcceptWriter } from './embedded-wiring';
import { serveRequests, startWorker, type AcceptorData, type ToAcceptor } from './worker-protocol';

/**
 * The accept side of the one-machine host, on a thread of its own: commits and fsyncs each group of
 * accepted commands to the queue file through its own connection, answers the main thread once they are
 * durable, and hands each commit to the consumer thread, which delivers them. An accept so waits only for
 * its own commit and fsync, never behind the decisions the consumer thread is busy with.
 */
function start(port: MessagePort, data: AcceptorData): void {
  const writer = openAcceptWriter(data.settings.dataDir, systemClock, (committed) =>
    data.consumer.postMessage(committed),
  );
  serveRequests<ToAcceptor>(port, (message) => {
    switch (message.kind) {
      case 'send':
        return writer.send(message.messages);
      case 'ping':
        return writer.ping();
      case 'stop':
        return writer.close().then(() => data.consumer.close());
    }
  });
  port.postMessage({ kind: 'ready' });
}

startWorker<AcceptorData>(parentPort, workerData, start);
