import type Database from 'better-sqlite3';
import fs from 'node:fs';
import { Worker } from 'node:worker_threads';
import { UNGATED, type Gate } from './write-gate';

/** The write-ahead log is truncated once it passes this size, whatever the load. */
export const WAL_LIMIT_BYTES = 64 * 1024 * 1024;

/** How long a truncating pass waits for readers while it holds the writers up (see truncate). */
const TRUNCATE_WAIT_MS = 100;

/**
 * For every connection to a file the background checkpointer copies: none checkpoints inside its own
 * commits (see BackgroundCheckpointer), and a log it resets does not stay at its high-water mark.
 */
export function leaveCheckpointsToBackground(db: Database.Database): void {
  db.pragma('wal_autocheckpoint = 0');
  db.pragma(`journal_size_limit = ${WAL_LIMIT_BYTES}`);
}

function walBytes(dbFile: string): number {
  try {
    return fs.statSync(`${dbFile}-wal`).size;
  } catch {
    return 0;
  }
}

/**
 * Copies the write-ahead log back into the database file from a worker thread, with its own connection.
 * SQLite's automatic checkpoint runs inside a commit on the writer's thread, and with its fsync of the
 * database file it stalled the event loop that serves HTTP; the worker's PASSIVE passes never block
 * writers. Only the writer's short catch-up pass (finish) holds the process's other writers, briefly.
 */
export class BackgroundCheckpointer {
  readonly worker: Worker;
  private readonly fallback: NodeJS.Timeout;
  private lastPass = 0;
  private stopped = false;

  /**
   * `gate`: the file's write gate when other threads of this process write it too. The writer's pass
   * takes it, so no commit of theirs slips in between the pass and the log's reset (see finish).
   */
  constructor(
    private readonly db: Database.Database,
    intervalMs = 200,
    private readonly gate: Gate = UNGATED,
  ) {
    leaveCheckpointsToBackground(db);
    const source = `
      const { parentPort, workerData } = require('node:worker_threads');
      const Database = require(workerData.driver);
      const db = new Database(workerData.file);
      db.pragma('busy_timeout = 5000');
      const timer = setInterval(() => {
        try { db.pragma('wal_checkpoint(PASSIVE)'); } catch {}
        parentPort.postMessage('copied');
      }, workerData.intervalMs);
      parentPort.on('message', () => {
        clearInterval(timer);
        try { db.pragma('wal_checkpoint(PASSIVE)'); } catch {}
        db.close();
        parentPort.close();
      });
    `;
    this.worker = new Worker(source, {
      eval: true,
      workerData: {
        driver: require.resolve('better-sqlite3'),
        file: db.name,
        intervalMs,
      },
    });
    // The worker copies while the writer keeps appending, so under load its checkpoints never find the
    // log fully copied (and when one does, a commit has usually come before this thread hears of it).
    // Right after such a pass, a pass from the writer's own connection, between its commits, copies the
    // few frames committed meanwhile, and the next commit starts the log from the beginning: the log is
    // reused at a steady size instead of growing until a pass has to truncate it.
    // Run seconds apart instead, the writer's pass found a log of 0.5-2 GB, copied most of it itself and
    // blocked this thread 190-330 ms (docs/LOADTEST.md).
    this.worker.on('message', () => {
      // Messages that queued up while this thread was busy need one pass, not one each.
      if (performance.now() - this.lastPass >= intervalMs / 2) this.finish();
    });
    // Listeners ref the worker: unref after adding them, so an open checkpointer never keeps the process up.
    this.worker.unref();
    // Should the worker stop copying, the log is still bounded by the writer's own truncating pass.
    this.fallback = setInterval(() => {
      if (walBytes(db.name) > WAL_LIMIT_BYTES) this.finish();
    }, intervalMs * 25);
    this.fallback.unref();
  }

  private finish(): void {
    if (this.stopped) return;
    try {
      // Readers that never pause (the HTTP thread's connection) can keep a PASSIVE pass from resetting the
      // log; past the size limit, wait for them once and truncate it, so the log stays bounded under any load.
      if (walBytes(this.db.name) > WAL_LIMIT_BYTES) this.gate.run(() => this.truncate());
      else {
        // With another writer in the process (the accept thread on queue.db) committing every few ms, a
        // pass outside the gate almost never found the log fully copied: the log outgrew the limit and
        // about once a second a truncating pass held every writer 35-55 ms (docs/LOADTEST.md, part 5).
        // So: copy what they committed since the worker's pass without holding them up, then, in the
        // gate, the few frames committed meanwhile (none with a single writer); the next commit then
        // starts the log from the beginning.
        this.db.pragma('wal_checkpoint(PASSIVE)');
        this.gate.run(() => this.db.pragma('wal_checkpoint(PASSIVE)'));
      }
    } catch {
      // busy or closed: the next pass retries
    }
    this.lastPass = performance.now();
  }

  /**
   * A TRUNCATE pass holds the file's writer lock while it waits for readers (sqlite.org/c3ref/
   * wal_checkpoint_v2.html), so every writer of the process waits with it: wait for readers briefly, and
   * if they have not let go, leave it to the next pass rather than hold the writers for busy_timeout.
   */
  private truncate(): void {
    const timeout = Number(this.db.pragma('busy_timeout', { simple: true }));
    this.db.pragma(`busy_timeout = ${TRUNCATE_WAIT_MS}`);
    try {
      this.db.pragma('wal_checkpoint(TRUNCATE)');
    } finally {
      this.db.pragma(`busy_timeout = ${timeout}`);
    }
  }

  /** Stops the worker after one last checkpoint; the writer's close completes the rest. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.fallback);
    // Keep the process alive until the worker is gone, so the caller's close of the database runs.
    this.worker.ref();
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    this.worker.postMessage('stop');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([exited, new Promise<void>((resolve) => (timer = setTimeout(resolve, 5000)))]);
    clearTimeout(timer);
  }
}
