import type Database from 'better-sqlite3';
import { openDatabase } from '../adapters/embedded/database';
import { EmbeddedStore } from '../adapters/embedded/embedded-store';
import { EmbeddedSessionQueue } from '../adapters/embedded/session-queue';
import { ItemCache } from '../app/item-cache';
import type { Services } from '../app/services';
import { systemClock, type Clock } from '../ports/clock';

export interface EmbeddedServices extends Services {
  queue: EmbeddedSessionQueue;
  db: Database.Database;
}

export const PENDING_HORIZON_MS = 24 * 3600 * 1000;

/** The one-machine stand-ins: store and queue in one SQLite file under the data folder. */
export function createEmbeddedServices(options: { dataDir: string; cacheSize: number; clock?: Clock }): EmbeddedServices {
  const clock = options.clock ?? systemClock;
  const db = openDatabase(options.dataDir);
  const store = new EmbeddedStore(db, clock);
  const queue = new EmbeddedSessionQueue(db, { clock });
  return {
    store,
    queue,
    db,
    clock,
    cache: new ItemCache(options.cacheSize),
    pendingHorizonMs: PENDING_HORIZON_MS,
    describe: { store: 'embedded SQLite', queue: 'embedded SQLite session queue' },
    close: async () => {
      await queue.close();
      await store.close();
      db.close();
    },
  };
}
