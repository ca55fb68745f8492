import { app } from '@azure/functions';
import { loadSettings, type Settings } from '../src/config/settings';
import { createServices, type ComposedServices } from '../src/composition/create-services';

/**
 * Parsed when the Functions host loads the app, so a missing or malformed app setting fails the start
 * with a message naming it, instead of failing the first request.
 */
export const settings: Settings = loadSettings(process.env, { requireAzure: true });

let services: Promise<ComposedServices> | undefined;

/** One set of clients per worker process (CosmosClient, ServiceBusClient), created on first use. */
export function provideServices(): Promise<ComposedServices> {
  services ??= createServices(settings).catch((error: unknown) => {
    services = undefined;
    throw error;
  });
  return services;
}

/** The worker is shutting down (scale-in, deployment): close the Service Bus and Cosmos DB clients. */
export async function closeServices(): Promise<void> {
  const current = services;
  services = undefined;
  if (current) await (await current.catch(() => undefined))?.close();
}

app.hook.appTerminate(closeServices);
