import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { localSettings, startHost, type Host } from '../../src/local/host';
import { ApiClient, loopback } from './http-client';

export interface InProcessHost {
  host: Host;
  api: ApiClient;
}

/**
 * The in-process host (HTTP server + dispatcher + SQLite) over a fresh data directory named `dirPrefix...`,
 * started before the suite's tests and stopped (its directory removed) after them. `ready` runs once it
 * listens: to keep the host and its client, or to seed data.
 */
export function useInProcessHost(
  dirPrefix: string,
  ready: (started: InProcessHost) => void | Promise<void>,
): void {
  let host: Host | undefined;
  let dataDir = '';

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), dirPrefix));
    host = await startHost(localSettings({ dataDir }), () => undefined);
    await ready({ host, api: new ApiClient(loopback(host.url)) });
  }, 20_000);

  afterAll(async () => {
    await host?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }, 20_000);
}
