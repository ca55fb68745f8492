import type Database from 'better-sqlite3';
import { BackgroundCheckpointer } from '../adapters/embedded/checkpointer';
import { openDatabase } from '../adapters/embedded/database';
import { EmbeddedStore } from '../adapters/embedded/embedded-store';
import {
  EmbeddedAcceptWriter,
  EmbeddedSessionQueue,
  type CommittedMessages,
} from '../adapters/embedded/queue';
import type { Clock } from '../ports/clock';
import type { CommandQueue } from '../ports/queue';
import type { DocumentStore } from '../ports/store';
import { recordExhausted } from '../app/failures';
import { silentLogger, type Logger } from '../app/logger';
import { jsonLogSink } from './log';
import { localMetrics } from './metrics';

export type DataFileName = 'inventory.db' | 'queue.db';
export type { CommittedMessages };

const sink = jsonLogSink('warn');
/** A failure record that cannot be written is worth a line on stderr whatever LOG_LEVEL says. */
const warnings: Logger = { ...silentLogger, warn: (msg, fields) => sink('warn', { msg, ...fields }) };

/** The SQLite files of one data folder, each with its background checkpointer, closed together. */
export class DataFiles {
  private readonly opened: { db: Database.Database; checkpointer: BackgroundCheckpointer }[] = [];
  private readonly onClose: (() => void)[] = [];

  constructor(private readonly dataDir: string) {}

  open(name: DataFileName): Database.Database {
    const db = openDatabase(this.dataDir, name);
    this.opened.push({ db, checkpointer: new BackgroundCheckpointer(db) });
    return db;
  }

  /** Runs `done` when the files close, before the databases do. */
  whenClosed(done: () => void): void {
    this.onClose.push(done);
  }

  async close(): Promise<void> {
    for (const done of this.onClose.splice(0)) done();
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
  const queue = new EmbeddedSessionQueue(files.open('queue.db'), {
    clock,
    beforeComplete: () => store.sync(),
    // A message whose deliveries ran out unseen (locks lost, restarts) answers `failed`, not `pending`.
    onExhausted: (message) => void recordExhausted(store, message, clock.now(), warnings),
  });
  // The backlog gauge of this thread's metrics reads the queue while its files are open.
  files.whenClosed(localMetrics().observeBacklog(() => queue.counts()));
  return queue;
}

/**
 * The accept side of the embedded queue on a connection of its own (the host's accept thread): what it
 * commits is delivered by the queue that `openEmbeddedQueue` opened on the same file, once handed to it.
 */
export function openAcceptWriter(
  dataDir: string,
  clock: Clock,
  onCommitted: (committed: CommittedMessages) => void,
): Pick<CommandQueue, 'send' | 'ping' | 'close'> {
  const db = openDatabase(dataDir, 'queue.db');
  // The consumer's checkpointer (DataFiles) checkpoints this file; this connection must not do it in its commits.
  db.pragma('wal_autocheckpoint = 0');
  const writer = new EmbeddedAcceptWriter(db, { clock, onCommitted });
  return {
    send: (messages) => writer.send(messages),
    ping: () => writer.ping(),
    close: async () => {
      await writer.close();
      db.close();
    },
  };
}
