import type Database from 'better-sqlite3';

/** SQLite result codes meaning the disk refused a write: full, an I/O error, or a read-only file. */
const STORAGE_CODES = /^SQLITE_(FULL|IOERR|READONLY|CANTOPEN)/;

export function isStorageFailure(error: unknown): boolean {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' && STORAGE_CODES.test(code);
}

/** How long a caller should wait before retrying when the disk is full: space rarely frees itself in seconds. */
export const DISK_FULL_RETRY_SECONDS = 30;

/**
 * Remembers that the disk refused a write, so readiness tells the truth while reads still work: once a
 * write has failed for lack of space, ping() makes a small real write (a page's worth, rolled into one
 * transaction and removed again) and reports healthy only when that commits.
 */
export class WriteHealth {
  private failure: Error | undefined;
  private readonly probeTx: () => void;

  constructor(db: Database.Database) {
    db.exec('CREATE TABLE IF NOT EXISTS write_probe (k INTEGER PRIMARY KEY, pad BLOB)');
    const insert = db.prepare('INSERT INTO write_probe (pad) VALUES (zeroblob(8192))');
    const clear = db.prepare('DELETE FROM write_probe');
    this.probeTx = db.transaction(() => {
      insert.run();
      clear.run();
    });
  }

  /** Call with any write error; storage failures are remembered until a write succeeds. */
  noteFailure(error: unknown): void {
    if (isStorageFailure(error)) this.failure = error instanceof Error ? error : new Error(String(error));
  }

  noteSuccess(): void {
    this.failure = undefined;
  }

  /** Throws the storage failure if writes still cannot commit. */
  check(): void {
    if (!this.failure) return;
    try {
      this.probeTx();
      this.failure = undefined;
    } catch (error) {
      this.noteFailure(error);
      throw error;
    }
  }
}
