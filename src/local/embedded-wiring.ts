import type Database from 'better-sqlite3';
import { BackgroundCheckpointer } from '../adapters/embedded/checkpointer';
import { openDatabase } from '../adapters/embedded/database';
import { EmbeddedStore } from '../adapters/embedded/embedded-store';
import { EmbeddedSessionQueue } from '../adapters/embedded/queue';
import type { Clock } from '../ports/clock';
import type { DocumentStore } from '../ports/store';

export type DataFileName = 'inventory.db' | 'queue.db';

/** The SQLite files of one data folder, each with its background checkpointer, closed together. */
export class DataFiles {
  private readonly opened: { db: Database.Database; checkpointer: BackgroundCheckpointer }[] = [];

  constructor(private readonly dataDir: string) {}

  open(name: DataFileName): Database.Database {
    const db = openDatabase(this.dataDir, name);
    this.opened.push({ db, checkpointer: new BackgroundCheckpointer(db) });
    return db;
  }

  async close(): Promise<void> {
    for (const { db, checkpointer } of this.opened) {
      await checkpointer.stop();
      db.close();
    }
  }
}

export function openEmbeddedStore(files: DataFiles, clock: Clock): EmbeddedStore {
  return new EmbeddedStore(files.open('inventory.db'), clock);
}

/** The embedded queue: completed messages are deleted only once the decisions they completed are durable. */
export function openEmbeddedQueue(
  files: DataFiles,
  clock: Clock,
  store: DocumentStore,
): EmbeddedSessionQueue {
  return new EmbeddedSessionQueue(files.open('queue.db'), { clock, beforeComplete: () => store.sync() });
}
