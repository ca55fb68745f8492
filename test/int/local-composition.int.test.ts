import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EmbeddedSessionQueue } from '../../src/adapters/embedded/queue';
import { createServices } from '../../src/local/compose';
import { localSettings } from '../../src/local/host';

let dataDir: string;
beforeEach(() => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'compose-'));
});
afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

describe('the one-machine composition', () => {
  it('refuses an injected clock on the consumer thread, which keeps the system clock, and frees the data folder', async () => {
    const settings = localSettings({ dataDir, dispatchThread: 'worker' });
    await expect(createServices(settings, { clock: { now: () => new Date(0) } })).rejects.toThrow(
      'an injected clock needs DISPATCH_THREAD=main',
    );
    const services = await createServices({ ...settings, dispatchThread: 'main' });
    await services.close();
  });

  it('refuses the consumer thread over anything but the embedded pair', async () => {
    const settings = localSettings({
      dataDir,
      dispatchThread: 'worker',
      store: {
        kind: 'cosmos',
        endpoint: 'http://127.0.0.1:9/',
        database: 'd',
        container: 'c',
        createIfMissing: false,
      },
    });
    await expect(createServices(settings)).rejects.toThrow(
      'DISPATCH_THREAD=worker needs the embedded store and queue',
    );
  });

  it('on the main thread, the dispatcher takes sessions from the embedded queue the front door sends to', async () => {
    const services = await createServices(localSettings({ dataDir }));
    try {
      expect(services.queue).toBeInstanceOf(EmbeddedSessionQueue);
      expect(services.sessions).toBe(services.queue);
    } finally {
      await services.close();
    }
  });
});
