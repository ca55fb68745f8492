import { createServiceBusDeadLetters } from '../adapters/servicebus/dead-letters';
import { checkDataSet, lockDataDir } from '../adapters/embedded/data-set';
import { createServiceBusCommandQueue, serviceBusConnection } from '../adapters/servicebus/service-bus-queue';
import { ServiceBusSessionSource } from '../adapters/servicebus/session-source';
import { deadLetterAdmin } from '../app/dead-letters';
import { lazyCredential, openCosmosStore } from '../composition/azure-adapters';
import { ItemCache } from '../app/item-cache';
import type { QueueSettings, Settings } from '../config/settings';
import { systemClock, type Clock } from '../ports/clock';
import type { DeadLetterQueue } from '../ports/dead-letters';
import type { CommandQueue } from '../ports/queue';
import type { SessionSource } from '../ports/sessions';
import type { DocumentStore } from '../ports/store';
import type { ComposedServices, LocalSessions } from './composed-services';
import { DataFiles, openEmbeddedQueue, openEmbeddedStore } from './embedded-wiring';
import { startThreadedServices } from './threaded-services';

/**
 * The one-machine host's composition root: the embedded SQLite stand-ins by default, or Cosmos DB and
 * Service Bus (emulators, or a deployment with a developer's login) when the settings name them, with a
 * local dispatcher consuming the sessions: on its own thread when settings.dispatchThread is 'worker'.
 * The Azure host composes its own (functions/composition.ts).
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
    const services =
      settings.dispatchThread === 'worker'
        ? await startThreadedServices(settings, options)
        : await composeOnThisThread(settings, options.clock ?? systemClock);
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

async function composeOnThisThread(settings: Settings, clock: Clock): Promise<ComposedServices> {
  const identity = lazyCredential(settings);
  const files = new DataFiles(settings.dataDir);
  try {
    const store: DocumentStore =
      settings.store.kind === 'cosmos'
        ? await openCosmosStore(settings.store, identity)
        : openEmbeddedStore(files, clock);
    const { queue, sessions, deadLetters } =
      settings.queue.kind === 'servicebus'
        ? serviceBusQueue(settings.queue, identity)
        : embeddedQueue(openEmbeddedQueue(files, clock, store));
    return {
      store,
      queue,
      clock,
      cache: new ItemCache(settings.itemCacheSize),
      pendingHorizonMs: settings.pendingHorizonMs,
      deadLetters: deadLetterAdmin({ deadLetters, queue, store }),
      describe: {
        // Kinds only: /health is anonymous and must not name hosts.
        store: settings.store.kind === 'cosmos' ? 'Cosmos DB' : 'embedded SQLite',
        queue: settings.queue.kind === 'servicebus' ? 'Service Bus' : 'embedded SQLite session queue',
      },
      sessions,
      close: async () => {
        await queue.close();
        await sessions.close?.();
        await deadLetters.close?.();
        await store.close();
        await files.close();
      },
    };
  } catch (error) {
    await files.close();
    throw error;
  }
}

/** The embedded queue is all three; closing it twice is harmless. */
function embeddedQueue<Q extends CommandQueue & SessionSource & LocalDeadLetters>(queue: Q) {
  return { queue, sessions: queue, deadLetters: queue };
}

type LocalDeadLetters = DeadLetterQueue & { close?: () => Promise<void> };

function serviceBusQueue(
  settings: Extract<QueueSettings, { kind: 'servicebus' }>,
  identity: ReturnType<typeof lazyCredential>,
): {
  queue: CommandQueue;
  sessions: LocalSessions;
  deadLetters: LocalDeadLetters;
} {
  const credential = settings.connectionString ? undefined : identity();
  const connection = serviceBusConnection(settings, credential);
  // Created lazily: only a local dispatcher that is consuming needs a receiver.
  let source: ServiceBusSessionSource | undefined;
  return {
    queue: createServiceBusCommandQueue(settings, credential),
    deadLetters: createServiceBusDeadLetters(settings, credential),
    sessions: {
      acceptNextSession: (options) =>
        (source ??= new ServiceBusSessionSource({
          queueName: settings.queueName,
          ...connection,
        })).acceptNextSession(options),
      close: () => source?.close() ?? Promise.resolve(),
    },
  };
}
