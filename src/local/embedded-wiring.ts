import type Database from 'better-sqlite3';
import { BackgroundCheckpointer, leaveCheckpointsToBackground } from '../adapters/embedded/checkpointer';
import { openDatabase } from '../adapters/embedded/database';
import { UNGATED, WriteGate, type Gate } from '../adapters/embedded/write-gate';
import { EmbeddedStore } from '../adapters/embedded/embedded-store';
import {
  EmbeddedAcceptWriter,
  EmbeddedSessionQueue,
  handOver,
  type CommittedMessages,
} from '../adapters/embedded/queue';
import type { Clock } from '../ports/clock';
import type { CommandQueue } from '../ports/queue';
import type { DocumentStore } from '../ports/store';
import { recordExhausted } from '../app/failures';
import { silentLogger, type Logger } from '../app/logger';
import { jsonLogSink } from './log';
import { localMetrics } from './metrics';
import type { GateBuffers } from './worker-protocol';

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

  /** `gate`: the file's write gate, when other threads of this process write it too. */
  open(name: DataFileName, gate: Gate = UNGATED): Database.Database {
    const db = openDatabase(this.dataDir, name);
    this.opened.push({ db, checkpointer: new BackgroundCheckpointer(db, undefined, gate) });
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

/** `gate`: the memory of the file's write gate, when other threads of this process write it too. */
export function openEmbeddedStore(files: DataFiles, clock: Clock, gate?: SharedArrayBuffer): EmbeddedStore {
  const writes = gateOf(gate);
  return new EmbeddedStore(files.open('inventory.db', writes), clock, undefined, writes);
}

function gateOf(buffer: SharedArrayBuffer | undefined): Gate {
  return buffer ? new WriteGate(buffer) : UNGATED;
}

/** The embedded queue: completed messages are deleted only once the decisions they completed are durable. */
export function openEmbeddedQueue(
  files: DataFiles,
  clock: Clock,
  store: DocumentStore,
  gate?: SharedArrayBuffer,
): EmbeddedSessionQueue {
  const writes = gateOf(gate);
  const queue = new EmbeddedSessionQueue(files.open('queue.db', writes), {
    clock,
    gate: writes,
    beforeComplete: () => store.sync(),
    // A message whose deliveries ran out unseen (locks lost, restarts) answers `failed`, not `pending`.
    onExhausted: (message) => void recordExhausted(store, message, clock.now(), warnings),
  });
  // The backlog gauge of this thread's metrics reads the queue while its files are open.
  files.whenClosed(localMetrics().observeBacklog(() => queue.counts()));
  return queue;
}

/** What the host's accept thread writes through: the queue's accepts and the store's writes from HTTP. */
export interface AcceptSide {
  queue: Pick<CommandQueue, 'send' | 'ping'>;
  store: Pick<DocumentStore, 'create' | 'replace' | 'batch' | 'sync' | 'ping'>;
  close(): Promise<void>;
}

/**
 * The writing connections of the host's accept thread: the accept side of the embedded queue (what it
 * commits is delivered by the queue that `openEmbeddedQueue` opened on the same file, once handed to it),
 * and the store, for the writes of HTTP requests (idempotency records, items). A write that waits for a
 * lock held by the consumer thread then blocks this thread, never the one serving HTTP.
 */
export function openAcceptSide(
  dataDir: string,
  clock: Clock,
  gates: GateBuffers,
  onCommitted: (committed: CommittedMessages) => void,
): AcceptSide {
  // The consumer's checkpointers (DataFiles) checkpoint both files.
  const open = (name: DataFileName) => {
    const db = openDatabase(dataDir, name);
    leaveCheckpointsToBackground(db);
    return db;
  };
  const queueDb = open('queue.db');
  const storeDb = open('inventory.db');
  const writer = new EmbeddedAcceptWriter(queueDb, {
    clock,
    gate: gateOf(gates.queue),
    publish: (inserted) => onCommitted(handOver(inserted)),
  });
  const store = new EmbeddedStore(storeDb, clock, undefined, gateOf(gates.store));
  return {
    queue: writer,
    store,
    close: async () => {
      await writer.close();
      await store.close();
      queueDb.close();
      storeDb.close();
    },
  };
}
