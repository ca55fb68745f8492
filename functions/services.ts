import { app } from '@azure/functions';
import { composeAzureServices, type AzureServices } from './composition';
import { settings } from './settings';

let services: Promise<AzureServices> | undefined;

/** One set of clients per worker process (CosmosClient, ServiceBusClient), created on first use. */
export function provideServices(): Promise<AzureServices> {
  services ??= composeAzureServices(settings).catch((error: unknown) => {
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
