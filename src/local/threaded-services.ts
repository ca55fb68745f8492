import fs from 'node:fs';
import path from 'node:path';
import { leaveCheckpointsToBackground } from '../adapters/embedded/checkpointer';
import { openDatabase } from '../adapters/embedded/database';
import { EmbeddedStore } from '../adapters/embedded/embedded-store';
import { ItemCache } from '../app/item-cache';
import type { Settings } from '../config/settings';
import { systemClock, type Clock } from '../ports/clock';
import type { ComposedServices } from './composed-services';
import { localMetrics } from './metrics';
import { splitStore } from './split-store';
import { WorkerQueue } from './worker-queue';

const SCRIPTS = {
  consumer: path.join(__dirname, 'consumer-worker.js'),
  acceptor: path.join(__dirname, 'accept-worker.js'),
};

/**
 * The one-machine host with the queue on two threads of its own: this thread serves HTTP and reads
 * through its own connection; accepts, and the store writes of requests (idempotency records, items), go
 * to the accept thread (accept-worker.ts), which commits and fsyncs them, and the consumer thread
 * (consumer-worker.ts) delivers and decides them.
 */
export async function startThreadedServices(
  settings: Settings,
  options: { clock?: Clock },
): Promise<ComposedServices> {
  if (settings.store.kind !== 'embedded' || settings.queue.kind !== 'embedded')
    throw new Error('DISPATCH_THREAD=worker needs the embedded store and queue');
  if (options.clock)
    throw new Error(
      'an injected clock needs DISPATCH_THREAD=main: the consumer thread keeps the system clock',
    );
  for (const script of Object.values(SCRIPTS))
    if (!fs.existsSync(script))
      throw new Error(
        `DISPATCH_THREAD=worker runs the compiled queue threads (${script}): build first, or use DISPATCH_THREAD=main`,
      );
  // libuv starts its thread pool (the queue's fsyncs run there) on first use, and a thread inherits the
  // priority of the thread that starts it: use it here first, so it is never the lowered consumer's.
  await fs.promises.access(settings.dataDir);
  // Reads only: every write goes to the accept thread (splitStore below); checkpoints are the consumer's.
  const db = openDatabase(settings.dataDir, 'inventory.db');
  leaveCheckpointsToBackground(db);
  const reads = new EmbeddedStore(db, systemClock);
  let queue: WorkerQueue;
  try {
    queue = await WorkerQueue.start(SCRIPTS, settings, (error) => {
      // Without its consumer the host would accept commands it never decides, and without its accept
      // thread it would accept nothing: stop, and let the supervisor restart it. Everything accepted is on
      // disk and is processed after the restart.
      process.stderr.write(
        `${JSON.stringify({ level: 'critical', msg: 'queue thread failed', error: error.message })}\n`,
      );
      process.exit(1);
    });
  } catch (error) {
    db.close();
    throw error;
  }
  // Decisions are counted on the consumer thread: /api/metrics asks it for them at each scrape.
  const forgetMetrics = localMetrics().addRemote(() => queue.metrics());
  return {
    store: splitStore(reads, queue.storeWrites),
    queue,
    clock: systemClock,
    cache: new ItemCache(0), // decisions, and their item cache, live on the consumer thread
    pendingHorizonMs: settings.pendingHorizonMs,
    deadLetters: queue.deadLetters,
    describe: {
      store: 'embedded SQLite',
      queue: 'embedded SQLite session queue (accept and consumer threads)',
    },
    sessions: null,
    close: async () => {
      forgetMetrics();
      await queue.close();
      await reads.close();
      db.close();
    },
  };
}
