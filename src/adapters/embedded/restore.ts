import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fsyncFolder, verifyBackupFile, type VerifiedBackup } from './backup-format';
import { checkDataSet, DATA_FILES, DataSetError, describe, lockDataDir, type DataDirLock } from './data-set';

/** A restore that was refused or failed: the message says why and what to do. */
export class RestoreError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RestoreError';
  }
}

export interface RestoreOptions {
  /** Replace a data set already in the folder; its files are moved aside, never deleted. */
  force?: boolean;
  /** For the name of the folder the replaced files go to. */
  now?: () => Date;
}

export interface RestoreSummary {
  dataSetId: string;
  /** When the backup was taken. */
  createdAt: string;
  /** Where the files it replaced now are, when there were any. */
  movedAside: string | null;
}

/** Every file of a data set in a folder, sidecars included: a stale -wal left beside a new file would be replayed into it. */
const DATA_SET_FILES = [DATA_FILES.store, DATA_FILES.queue].flatMap((f) => [
  f,
  `${f}-wal`,
  `${f}-shm`,
  `${f}-journal`,
]);

/**
 * Puts a backup back into `dataDir` for a stopped host: the whole file is verified first (checksums), the
 * folder is locked as a host would lock it (so no host can start meanwhile, and a running one is refused),
 * the images are staged and checked as the host checks at start, then renamed into place one file at a time.
 * A folder that holds data is refused unless `force`, which moves its files to `replaced-<timestamp>/`.
 */
export async function restoreBackup(
  file: string,
  dataDir: string,
  options: RestoreOptions = {},
): Promise<RestoreSummary> {
  const backup = await verifyBackupFile(file);
  const lock = lockFolder(dataDir);
  try {
    const existing = DATA_SET_FILES.filter((f) => fs.existsSync(path.join(dataDir, f)));
    if (existing.length > 0 && !options.force) {
      throw new RestoreError(
        `${dataDir} already holds a data set (${existing.join(', ')}): pass --force to replace it ` +
          '(its files are moved to a replaced-<timestamp> folder inside it, not deleted)',
      );
    }
    const staging = fs.mkdtempSync(path.join(dataDir, '.restore-'));
    try {
      await stage(file, backup, staging);
      const movedAside =
        existing.length > 0 ? moveAside(dataDir, existing, options.now?.() ?? new Date()) : null;
      try {
        for (const name of [DATA_FILES.store, DATA_FILES.queue]) {
          fs.renameSync(path.join(staging, name), path.join(dataDir, name));
        }
        fsyncFolder(dataDir);
        const { id } = checkDataSet(dataDir);
        return { dataSetId: id, createdAt: backup.header.createdAt, movedAside };
      } catch (error) {
        const kept = movedAside ? ` (the files it was replacing are in ${movedAside})` : '';
        throw new RestoreError(
          `putting the restored files into ${dataDir} failed${kept}: ${describe(error)}`,
        );
      }
    } finally {
      fs.rmSync(staging, { recursive: true, force: true });
    }
  } finally {
    lock.release();
  }
}

function lockFolder(dataDir: string): DataDirLock {
  const stat = fs.statSync(dataDir, { throwIfNoEntry: false });
  if (stat && !stat.isDirectory()) throw new RestoreError(`${dataDir} is a file, not a data folder`);
  try {
    return lockDataDir(dataDir);
  } catch (error) {
    if (error instanceof DataSetError) {
      throw new RestoreError(`restore needs a stopped host: ${error.message}`);
    }
    throw new RestoreError(`${dataDir} cannot be used as a data folder: ${describe(error)}`);
  }
}

/**
 * Writes each image into `staging`, hashing what is written (the file could change after it was verified),
 * fsyncs it, then runs the host's start-up check on the pair.
 */
async function stage(file: string, backup: VerifiedBackup, staging: string): Promise<void> {
  for (const part of backup.parts) {
    const target = path.join(staging, part.name);
    const hash = createHash('sha256');
    const fd = fs.openSync(target, 'wx', 0o600);
    try {
      if (part.length > 0) {
        const end = part.offset + part.length - 1;
        for await (const chunk of fs.createReadStream(file, {
          start: part.offset,
          end,
        }) as AsyncIterable<Buffer>) {
          hash.update(chunk);
          let done = 0;
          while (done < chunk.length) done += fs.writeSync(fd, chunk, done);
        }
      }
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    if (hash.digest('hex') !== part.sha256) {
      throw new RestoreError(
        `${file} changed while it was restored: its ${part.name} part no longer matches`,
      );
    }
  }
  try {
    checkDataSet(staging);
  } catch (error) {
    if (error instanceof DataSetError) {
      throw new RestoreError(`the backup does not pass the host's start-up check: ${error.message}`);
    }
    throw error;
  }
  // The check opened them in WAL mode and closed them (the log folded in): make that durable too.
  for (const part of backup.parts) {
    const fd = fs.openSync(path.join(staging, part.name), 'r+');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  }
  fsyncFolder(staging);
}

/** Moves the folder's data-set files into `replaced-<timestamp>/`, named as they were, so it can be served again. */
function moveAside(dataDir: string, names: readonly string[], now: Date): string {
  const aside = path.join(dataDir, `replaced-${now.toISOString().replace(/[:.]/g, '-')}`);
  fs.mkdirSync(aside, { mode: 0o700 });
  for (const name of names) fs.renameSync(path.join(dataDir, name), path.join(aside, name));
  fsyncFolder(aside);
  return aside;
}
