import type { AddressInfo } from 'node:net';
import { createHttpServer } from '@vercel/cosmosdb-server';

/** The well-known key of the Cosmos DB emulators (public, not a secret). */
export const COSMOS_EMULATOR_KEY =
  'C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==';

export interface CosmosTestServer {
  /** e.g. http://127.0.0.1:54321 (plain HTTP: no certificate to trust). */
  endpoint: string;
  key: string;
  /** Stops listening and destroys every open socket, so the test process can exit. */
  stop(): Promise<void>;
}

/**
 * Starts @vercel/cosmosdb-server in this process, over plain HTTP on 127.0.0.1 and a free port.
 * It keeps everything in memory; each server starts empty. Clients must not use endpoint discovery against
 * it (it advertises https:// locations): createCosmosStore turns discovery off for local endpoints.
 */
export async function startCosmosServer(): Promise<CosmosTestServer> {
  const server = createHttpServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  let stopped: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    key: COSMOS_EMULATOR_KEY,
    stop: () => {
      stopped ??= new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
      return stopped;
    },
  };
}
