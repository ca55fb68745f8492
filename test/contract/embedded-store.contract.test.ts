import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase } from '../../src/adapters/embedded/database';
import { EmbeddedStore } from '../../src/adapters/embedded/embedded-store';
import { describeStoreContract } from './store-contract';

describeStoreContract('embedded SQLite', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'store-'));
  const db = openDatabase(dir);
  return {
    store: new EmbeddedStore(db),
    rollsBackFailedBatches: true,
    dispose: async () => {
      db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
});
