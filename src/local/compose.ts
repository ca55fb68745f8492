import type Database from 'better-sqlite3';
import { BackgroundCheckpointer } from '../adapters/embedded/checkpointer';
import { checkDataSet, lockDataDir } from '../adapters/embedded/data-set';
import { openDatabase } from '../adapters/embedded/database';
import { EmbeddedStore } from '../adapters/embedded/embedded-store';
import { EmbeddedSessionQueue } from '../adapters/embedded/queue';
import { createServiceBusCommandQueue, serviceBusConnection } from '../adapters/servicebus/service-bus-queue';
import { ServiceBusSessionSource } from '../adapters/servicebus/session-source';
import { ItemCache } from '../app/item-cache';
import type { Services } from '../app/services';
import type { Settings } from '../config/settings';
import type { SessionSource } from '../ports/sessions';
import { WorkerQueue } from './worker-queue';
import { systemClock, type Clock } from '../ports/clock';
import type { CommandQueue } from '../ports/queue';
import type { DocumentStore } from '../ports/store';
import { lazyCredential, openCosmosStore } from '../composition/azure-adapters';

export interface ComposedServices extends Services {
  /**
   * Where a local dispatcher takes sessions from (the embedded queue, or Service Bus); null when the
   * consumer runs on its own thread and no dispatcher is needed on this one.
   */
  sessions: (SessionSource & { close?: () => Promise<void> }) | null;
  /** The embedded queue, when that is the queue in use (tests inspect it). */
  embeddedQueue: EmbeddedSessionQueue | null;
}

/**
 * The one-machine host's composition root: the embedded SQLite stand-ins by default, or Cosmos DB and
 * Service Bus (emulators, or a deployment with a developer's login) when the settings name them, with a
 * local dispatcher consuming the sessions. The Azure host composes its own (functions/composition.ts).
 */
export async function createServices(
  settings: Settings,
  options: { clock?: Clock } = {},
): Promise<ComposedServices> {
  const usesFiles = settings.store.kind === 'embedded' || settings.queue.kind === 'embedded';
  // One host per data folder, and only a whole, sound data set: checked before anything opens the files.
  const lock = usesFiles ? lockDataDir(settings.dataDir) : null;
  try {
    if (settings.store.kind === 'embedded' && settings.queue.kind === 'embedded')
      checkDataSet(settings.dataDir);
    const services = await composeServices(settings, options);
    return {
      ...services,
      close: async () => {
        try {
          await services.close();
        } finally {
          lock?.release();
        }
      },
    };
  } catch (error) {
    lock?.release();
    throw error;
  }
}

async function composeServices(settings: Settings, options: { clock?: Clock }): Promise<ComposedServices> {
  const clock = options.clock ?? systemClock;
  if (
    settings.dispatchThread === 'worker' &&
    settings.store.kind === 'embedded' &&
    settings.queue.kind === 'embedded' &&
    !options.clock &&
    __filename.endsWith('.js') // the consumer thread runs the compiled code; tests under ts-jest stay on one thread
  ) {
    return createThreadedServices(settings);
  }
  const identity = lazyCredential(settings);
  const files: { db: Database.Database; checkpointer: BackgroundCheckpointer }[] = [];
  const database = (name: string) => {
    const db = openDatabase(settings.dataDir, name);
    files.push({ db, checkpointer: new BackgroundCheckpointer(db) });
    return db;
  };

  const store: DocumentStore =
    settings.store.kind === 'cosmos'
      ? await openCosmosStore(settings.store, identity)
      : new EmbeddedStore(database('inventory.db'), clock);

  let queue: CommandQueue;
  let embeddedQueue: EmbeddedSessionQueue | null = null;
  let sessions: ComposedServices['sessions'];
  if (settings.queue.kind === 'servicebus') {
    const q = settings.queue;
    const credential = q.connectionString ? undefined : identity();
    const connection = serviceBusConnection(q, credential);
    queue = createServiceBusCommandQueue(q, credential);
    // Created lazily: on Azure the Functions host consumes, only a local dispatcher needs this.
    let source: ServiceBusSessionSource | undefined;
    sessions = {
      acceptNextSession: (o) =>
        (source ??= new ServiceBusSessionSource({ queueName: q.queueName, ...connection })).acceptNextSession(
          o,
        ),
      close: () => source?.close() ?? Promise.resolve(),
    };
  } else {
    embeddedQueue = new EmbeddedSessionQueue(database('queue.db'), {
      clock,
      // Completed messages are deleted only once the decisions they completed are on disk.
      ...(store instanceof EmbeddedStore ? { beforeComplete: () => store.sync() } : {}),
    });
    queue = embeddedQueue;
    sessions = embeddedQueue;
  }

  return {
    store,
    queue,
    clock,
    cache: new ItemCache(settings.itemCacheSize),
    pendingHorizonMs: settings.pendingHorizonMs,
    describe: {
      // Kinds only: /health is anonymous and must not name hosts.
      store: settings.store.kind === 'cosmos' ? 'Cosmos DB' : 'embedded SQLite',
      queue: settings.queue.kind === 'servicebus' ? 'Service Bus' : 'embedded SQLite session queue',
    },
    sessions,
    embeddedQueue,
    close: async () => {
      await queue.close();
      await sessions?.close?.();
      await store.close();
      for (const file of files) {
        await file.checkpointer.stop();
        file.db.close();
      }
    },
  };
}

/**
 * The one-machine host with the consumer on its own thread (src/local/consumer-worker.ts): this thread
 * serves HTTP, reads through its own connection and writes only admin changes and idempotency records;
 * accepts go to the consumer thread, which commits and fsyncs them.
 */
async function createThreadedServices(settings: Settings): Promise<ComposedServices> {
  const db = openDatabase(settings.dataDir, 'inventory.db');
  // The consumer thread checkpoints this file; this connection must not do it inside its commits.
  db.pragma('wal_autocheckpoint = 0');
  const store = new EmbeddedStore(db, systemClock);
  let queue: WorkerQueue;
  try {
    queue = await WorkerQueue.start(settings, (error) => {
      // Without its consumer the host would accept commands it never decides: stop, and let the
      // supervisor restart it. Everything accepted is on disk and is processed after the restart.
      process.stderr.write(
        `${JSON.stringify({ level: 'critical', msg: 'consumer thread failed', error: error.message })}\n`,
      );
      process.exit(1);
    });
  } catch (error) {
    db.close();
    throw error;
  }
  return {
    store,
    queue,
    clock: systemClock,
    cache: new ItemCache(0), // decisions, and their item cache, live on the consumer thread
    pendingHorizonMs: settings.pendingHorizonMs,
    describe: { store: 'embedded SQLite', queue: 'embedded SQLite session queue (consumer thread)' },
    sessions: null,
    embeddedQueue: null,
    close: async () => {
      await queue.close();
      await store.close();
      db.close();
    },
  };
}
