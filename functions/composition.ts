import { createServiceBusDeadLetters } from '../src/adapters/servicebus/dead-letters';
import { createServiceBusCommandQueue } from '../src/adapters/servicebus/service-bus-queue';
import { ItemCache } from '../src/app/item-cache';
import type { Services } from '../src/app/services';
import type { DeadLetterQueue } from '../src/ports/dead-letters';
import { deadLetterAdmin } from '../src/app/dead-letters';
import { lazyCredential, openCosmosStore } from '../src/composition/azure-adapters';
import type { Settings } from '../src/config/settings';
import { systemClock } from '../src/ports/clock';

/**
 * The Azure composition root: Cosmos DB and Service Bus with the managed identity, nothing else. The
 * Functions host consumes the queue itself, so no session receiver is built here, and nothing of the
 * one-machine host (SQLite, worker threads) is loaded: that keeps cold starts short.
 */
/** The Azure host's services, and the raw dead-letter sub-queue its timer sweeps (functions/recordDeadLetters.ts). */
export interface AzureServices extends Services {
  deadLetterQueue: DeadLetterQueue;
}

export async function composeAzureServices(settings: Settings): Promise<AzureServices> {
  const { store: storeSettings, queue: queueSettings } = settings;
  // loadSettings({ requireAzure: true }) guarantees both; checked again for the type system.
  if (storeSettings.kind !== 'cosmos' || queueSettings.kind !== 'servicebus') {
    throw new Error('the Azure host needs COSMOS_ENDPOINT and ServiceBusConnection__fullyQualifiedNamespace');
  }
  const credential = lazyCredential(settings);
  const store = await openCosmosStore(storeSettings, credential);
  const queue = createServiceBusCommandQueue(queueSettings, credential());
  // Its client connects on first use: only the admin routes reach the dead-letter sub-queue.
  const deadLetters = createServiceBusDeadLetters(queueSettings, credential());
  return {
    store,
    queue,
    clock: systemClock,
    cache: new ItemCache(settings.itemCacheSize),
    pendingHorizonMs: settings.pendingHorizonMs,
    deadLetters: deadLetterAdmin({ deadLetters, queue, store }),
    deadLetterQueue: deadLetters,
    describe: { store: 'Cosmos DB', queue: 'Service Bus' },
    close: async () => {
      await deadLetters.close();
      await queue.close();
      await store.close();
    },
  };
}
