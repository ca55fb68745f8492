import type Database from 'better-sqlite3';
import fs from 'node:fs';

export type Fsync = (fd: number, done: (error: NodeJS.ErrnoException | null) => void) => void;

/**
 * Makes everything committed so far on a WAL-mode database durable, without blocking the event loop:
 * the log file is fsynced on the thread pool (an fsync covers the file whichever descriptor asks).
 * Callers that arrive while an fsync runs share the next one, which starts after their commits.
 */
export class WalSync {
  private fd: number | undefined;
  private inFlight: Promise<void> | undefined;
  private queued: Promise<void> | undefined;
  readonly enabled: boolean;

  constructor(
    private readonly db: Database.Database,
    private readonly fsync: Fsync = fs.fsync,
  ) {
    this.enabled = !db.memory && String(db.pragma('journal_mode', { simple: true })).toLowerCase() === 'wal';
  }

  /** Resolves once every transaction committed before the call is on disk. */
  sync(): Promise<void> {
    if (!this.enabled) return Promise.resolve();
    if (!this.inFlight) return this.start();
    this.queued ??= this.inFlight
      .catch(() => undefined)
      .then(() => {
        this.queued = undefined;
        return this.start();
      });
    return this.queued;
  }

  async close(): Promise<void> {
    await this.inFlight?.catch(() => undefined);
    await this.queued?.catch(() => undefined);
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }

  private start(): Promise<void> {
    const run = new Promise<void>((resolve, reject) => {
      try {
        this.fd ??= fs.openSync(`${this.db.name}-wal`, 'r+');
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
        return;
      }
      this.fsync(this.fd, (error) => (error ? reject(error) : resolve()));
    }).finally(() => {
      if (this.inFlight === run) this.inFlight = undefined;
    });
    this.inFlight = run;
    return run;
  }
}
