import { EmbeddedSessionQueue } from '../../src/adapters/embedded/queue';
import type { Host } from '../../src/local/host';

/** The in-process host's embedded queue, for suites that inspect or fault it (DISPATCH_THREAD=main). */
export function embeddedQueueOf(host: Host): EmbeddedSessionQueue {
  const queue = host.services.queue;
  if (!(queue instanceof EmbeddedSessionQueue))
    throw new Error('this suite needs the embedded queue on the main thread');
  return queue;
}
