import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  BACKUP_VERSION,
  hashRange,
  writeBackupFile,
  type BackupHeader,
  type BackupPart,
} from './backup-format';
import { checkDataSet, DATA_FILES, DataSetError, describe } from './data-set';

/** A backup that could not be taken: the message says why and what to do. */
export class BackupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackupError';
  }
}

export interface BackupOptions {
  /** Replace `outFile` if it exists (otherwise an existing file is refused). */
  overwrite?: boolean;
  /** How long to wait for the host's write transactions in flight before holding the writers (ms). */
  lockTimeoutMs?: number;
  /** Runs once both snapshots are pinned and the writers released, before the copy: tests write here. */
  afterPin?: () => void | Promise<void>;
}

export interface BackupSummary {
  file: string;
  dataSetId: string;
  /** The instant both files were captured. */
  createdAt: string;
  parts: BackupPart[];
  /** How long the host's writers were held (ms): the only moment the backup gets in their way. */
  writersHeldMs: number;
}

/** The queue file's schema name on the backup's connections (the store file is `main`). */
const QUEUE = 'queue_file';
/** Pages copied per step of SQLite's online backup: the source is pinned, so there is no reason to pause. */
const PAGES_PER_STEP = 1 << 20;

/**
 * Takes a consistent online backup of the data set in `dataDir` (store and queue at ONE point in time)
 * while a host serves it, into the single file `outFile` (see backup-format.ts).
 *
 * Two files copied one after the other are not consistent: a command decided and completed between the two
 * copies would be in neither. So one connection attaches both files and takes both write locks (BEGIN
 * IMMEDIATE), which stops every commit in either; one more connection per file then starts a read
 * transaction, fixing that file's WAL snapshot at this instant; the locks are released at once (the host's
 * writers wait on their busy_timeout, 5 s in database.ts, for that fraction of a millisecond). SQLite's
 * online backup API then copies each file through its reader, inside the open read transaction (backup_step
 * opens a transaction only when none is open: sqlite3 src/backup.c), so later commits are not in the copy.
 * While a copy runs, the host's checkpoints cannot reset the write-ahead logs past the pinned snapshots,
 * so the logs grow for that long. The copy blocks neither the host's readers nor its writers, with one
 * exception: a log already past WAL_LIMIT_BYTES makes the host's checkpointer run a TRUNCATE pass, which
 * waits (busy_timeout) for readers of the old log such as these (https://sqlite.org/c3ref/wal_checkpoint_v2.html).
 */
export async function takeBackup(
  dataDir: string,
  outFile: string,
  options: BackupOptions = {},
): Promise<BackupSummary> {
  const files = dataSetFiles(dataDir);
  checkDestination(outFile, options.overwrite ?? false);
  // Images are staged beside the output (same file system, owner only) and removed whatever happens.
  const work = fs.mkdtempSync(path.join(path.dirname(path.resolve(outFile)), '.backup-'));
  try {
    const images = {
      [DATA_FILES.store]: path.join(work, DATA_FILES.store),
      [DATA_FILES.queue]: path.join(work, DATA_FILES.queue),
    };
    const pinned = pinSnapshots(files, options.lockTimeoutMs ?? 10_000);
    try {
      await options.afterPin?.();
      await pinned.store.backup(images[DATA_FILES.store], { progress: () => PAGES_PER_STEP });
      await pinned.queue.backup(images[DATA_FILES.queue], { progress: () => PAGES_PER_STEP });
    } finally {
      // Ends the read transactions: the host's checkpoints can reset the logs again.
      pinned.store.close();
      pinned.queue.close();
    }
    const dataSetId = checkImages(work);
    const parts: BackupPart[] = [];
    for (const name of [DATA_FILES.store, DATA_FILES.queue] as const) {
      parts.push({ name, ...(await hashRange(images[name])) });
    }
    const header: BackupHeader = {
      format: 'inventory-reservations-backup',
      version: BACKUP_VERSION,
      createdAt: pinned.at.toISOString(),
      dataSetId,
      parts,
    };
    await writeBackupFile(outFile, header, images);
    return {
      file: outFile,
      dataSetId,
      createdAt: header.createdAt,
      parts,
      writersHeldMs: pinned.writersHeldMs,
    };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

function dataSetFiles(dataDir: string): { store: string; queue: string } {
  const files = {
    store: path.join(dataDir, DATA_FILES.store),
    queue: path.join(dataDir, DATA_FILES.queue),
  };
  const missing = [files.store, files.queue].filter((f) => !fs.existsSync(f));
  if (missing.length > 0) {
    throw new BackupError(
      `${dataDir} holds no data set to back up: ${missing.map((f) => path.basename(f)).join(' and ')} missing ` +
        '(point --data-dir or DATA_DIR at the folder the host serves)',
    );
  }
  return files;
}

function checkDestination(outFile: string, overwrite: boolean): void {
  const folder = path.dirname(path.resolve(outFile));
  if (!fs.statSync(folder, { throwIfNoEntry: false })?.isDirectory()) {
    throw new BackupError(`the folder of ${outFile} (${folder}) does not exist`);
  }
  const existing = fs.statSync(outFile, { throwIfNoEntry: false });
  if (existing?.isDirectory()) throw new BackupError(`${outFile} is a folder: name the backup file to write`);
  if (existing && !overwrite) {
    throw new BackupError(`${outFile} already exists: choose another name, or pass --force to replace it`);
  }
}

/** A connection to `file`, which must exist; with `attach`, the queue file attached as QUEUE. */
function open(file: string, busyMs: number, attach?: string): Database.Database {
  const db = new Database(file, { fileMustExist: true });
  try {
    db.pragma(`busy_timeout = ${busyMs}`);
    if (attach !== undefined) db.prepare(`ATTACH DATABASE ? AS ${QUEUE}`).run(attach);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

/**
 * Pins one snapshot of both files: answers a connection per file, each holding a read transaction opened
 * while no commit could happen in either file. The writers are held only between BEGIN IMMEDIATE and ROLLBACK.
 */
function pinSnapshots(
  files: { store: string; queue: string },
  lockTimeoutMs: number,
): { store: Database.Database; queue: Database.Database; at: Date; writersHeldMs: number } {
  // Opened before the writers are held, so the held moment is a few statements long.
  const readers: Database.Database[] = [];
  let locker: Database.Database | undefined;
  try {
    const store = open(files.store, lockTimeoutMs);
    readers.push(store);
    const queue = open(files.queue, lockTimeoutMs);
    readers.push(queue);
    locker = open(files.store, lockTimeoutMs, files.queue);
    try {
      // Takes the write lock of every attached file, waiting for commits in flight (busy_timeout).
      locker.exec('BEGIN IMMEDIATE');
    } catch (error) {
      throw new BackupError(
        `could not hold the writers of ${path.dirname(files.store)} within ${lockTimeoutMs} ms: ${describe(error)}`,
      );
    }
    const heldAt = performance.now();
    const at = new Date();
    try {
      // A read starts each connection's read transaction: both see the files as of this instant.
      for (const reader of readers) {
        reader.exec('BEGIN');
        reader.prepare('SELECT count(*) FROM sqlite_master').get();
      }
    } finally {
      locker.exec('ROLLBACK');
    }
    return { store, queue, at, writersHeldMs: performance.now() - heldAt };
  } catch (error) {
    for (const reader of readers) reader.close();
    throw error;
  } finally {
    locker?.close();
  }
}

/**
 * Runs the host's start-up check on the copies (integrity, one identity, every hold with its expiry), so a
 * backup that is written is one a host will start on, then turns each copy into a plain rollback-journal
 * file with no -wal beside it, readable on its own.
 */
function checkImages(work: string): string {
  let id: string;
  try {
    ({ id } = checkDataSet(work));
  } catch (error) {
    if (error instanceof DataSetError) {
      throw new BackupError(`the copy does not pass the host's start-up check: ${error.message}`);
    }
    throw error;
  }
  for (const name of [DATA_FILES.store, DATA_FILES.queue]) {
    const db = new Database(path.join(work, name), { fileMustExist: true });
    try {
      db.pragma('journal_mode = DELETE');
    } finally {
      db.close();
    }
  }
  return id;
}
