import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** The two files of one data set: the store and the queue, created together, valid only together. */
export const DATA_FILES = { store: 'inventory.db', queue: 'queue.db' } as const;
const LOCK_FILE = 'host.lock';
const HOLDER_FILE = 'host.lock.json';

/** A data folder that must not be served: half a data set, a damaged file, or another host on it. */
export class DataSetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DataSetError';
  }
}

const HOW_TO_RESTORE =
  'Restore inventory.db and queue.db (each with its -wal file) together from one backup, ' +
  'or move the folder aside to start with an empty data set.';

/** The table each adapter creates: a file that has it holds data even if it predates the identity. */
const OWN_TABLE = { store: 'store_docs', queue: 'queue_messages' } as const;

/**
 * Checks, before anything opens them for work, that the folder holds one whole, sound data set: both files
 * or neither (a new set is created with a fresh identity in both), the same identity in both, and a clean
 * `PRAGMA quick_check`. Files are made readable by the owner only. Throws DataSetError saying what is wrong
 * and how to restore; never starts on half a data set.
 */
export function checkDataSet(dataDir: string): { id: string; created: boolean } {
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  fs.chmodSync(dataDir, 0o700);
  const files = { store: path.join(dataDir, DATA_FILES.store), queue: path.join(dataDir, DATA_FILES.queue) };
  const exists = { store: fs.existsSync(files.store), queue: fs.existsSync(files.queue) };
  if (!exists.store && !exists.queue) {
    const stray = [files.store, files.queue]
      .flatMap((f) => [`${f}-wal`, `${f}-journal`])
      .filter(fs.existsSync);
    if (stray.length > 0) {
      throw new DataSetError(
        `${dataDir} holds ${stray.map((f) => path.basename(f)).join(', ')} without its database file. ${HOW_TO_RESTORE}`,
      );
    }
    const id = randomUUID();
    for (const file of [files.store, files.queue]) withFile(file, (db) => writeIdentity(db, id), PAGE_SIZE);
    return { id, created: true };
  }
  for (const kind of ['store', 'queue'] as const) {
    if (!exists[kind]) {
      const other = kind === 'store' ? DATA_FILES.queue : DATA_FILES.store;
      throw new DataSetError(
        `${DATA_FILES[kind]} is missing from ${dataDir} while ${other} is there: this is half a data set. ${HOW_TO_RESTORE}`,
      );
    }
  }
  // One open per file: the identity, quick_check, and what the hold check needs from each.
  const store = inspect(files.store, OWN_TABLE.store, activeHolds);
  const queue = inspect(files.queue, OWN_TABLE.queue, (db) => holdsWithoutExpiry(db, store.extra));
  const found = { store, queue };
  if (found.store.id === null && found.queue.id === null && found.store.hasData && found.queue.hasData) {
    // Files from before identities existed: both hold their data, so they are adopted as one set.
    const id = randomUUID();
    for (const file of [files.store, files.queue]) withFile(file, (db) => writeIdentity(db, id));
    return { id, created: false };
  }
  for (const kind of ['store', 'queue'] as const) {
    if (found[kind].id === null) {
      throw new DataSetError(
        `${path.join(dataDir, DATA_FILES[kind])} has no data-set identity: it is empty, zeroed or not made by this service. ${HOW_TO_RESTORE}`,
      );
    }
  }
  if (found.store.id !== found.queue.id) {
    throw new DataSetError(
      `${DATA_FILES.store} (data set ${found.store.id}) and ${DATA_FILES.queue} (data set ${found.queue.id}) in ${dataDir} ` +
        `come from different data sets. ${HOW_TO_RESTORE}`,
    );
  }
  refuseStrandedHolds(queue.extra);
  return { id: found.store.id ?? '', created: false };
}

/**
 * Pages of a new data set. Documents live in a WITHOUT ROWID table, where a row longer than about a quarter
 * of a page spills into an overflow page of its own: at 4 KiB an idempotency record (about 1 KB) took two
 * pages; at 8 KiB it fits in one. Only a new file takes it (WAL mode fixes the size at creation).
 */
const PAGE_SIZE = 8192;

function withFile<T>(file: string, work: (db: Database.Database) => T, pageSize?: number): T {
  let db: Database.Database;
  try {
    db = new Database(file, { fileMustExist: false });
  } catch (error) {
    throw new DataSetError(`${file} cannot be opened: ${describe(error)}. ${HOW_TO_RESTORE}`);
  }
  try {
    if (pageSize !== undefined) db.pragma(`page_size = ${pageSize}`);
    db.pragma('journal_mode = WAL');
    const result = work(db);
    return result;
  } catch (error) {
    if (error instanceof DataSetError) throw error;
    throw new DataSetError(`${file} is damaged: ${describe(error)}. ${HOW_TO_RESTORE}`);
  } finally {
    db.close();
    for (const suffix of ['', '-wal', '-shm']) {
      if (fs.existsSync(`${file}${suffix}`)) fs.chmodSync(`${file}${suffix}`, 0o600);
    }
  }
}

function writeIdentity(db: Database.Database, id: string): void {
  db.exec('CREATE TABLE IF NOT EXISTS data_set (id TEXT NOT NULL, created_at TEXT NOT NULL)');
  db.prepare('INSERT INTO data_set (id, created_at) VALUES (?, ?)').run(id, new Date().toISOString());
}

function inspect<T>(
  file: string,
  ownTable: string,
  extra: (db: Database.Database) => T,
): { id: string | null; hasData: boolean; extra: T } {
  return withFile(file, (db) => {
    const check = db.pragma('quick_check', { simple: true });
    if (check !== 'ok')
      throw new DataSetError(`${file} failed its integrity check (${String(check)}). ${HOW_TO_RESTORE}`);
    const row = hasTable(db, 'data_set')
      ? (db.prepare('SELECT id FROM data_set LIMIT 1').get() as { id: string } | undefined)
      : undefined;
    return { id: row?.id ?? null, hasData: hasTable(db, ownTable), extra: extra(db) };
  });
}

/** Holds the data folder for one host: released by release() or when the process ends, however it ends. */
export interface DataDirLock {
  release(): void;
}

/**
 * An exclusive lock on the data folder: a SQLite file held in an exclusive transaction (an OS file lock,
 * released by the kernel when the process dies, even by SIGKILL). A second host on the same folder would
 * break per-item order, so it is refused with the folder and the holder named.
 */
export function lockDataDir(dataDir: string): DataDirLock {
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = path.join(dataDir, LOCK_FILE);
  const db = new Database(file);
  db.pragma('busy_timeout = 0');
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE');
  } catch (error) {
    db.close();
    throw new DataSetError(
      `${dataDir} is in use by another host (${holder(dataDir)}): one data folder serves one host at a time. ` +
        `Stop that host, or give this one another DATA_DIR. (${describe(error)})`,
    );
  }
  fs.chmodSync(file, 0o600);
  const info = { pid: process.pid, host: os.hostname(), since: new Date().toISOString() };
  fs.writeFileSync(path.join(dataDir, HOLDER_FILE), `${JSON.stringify(info)}\n`, { mode: 0o600 });
  let released = false;
  return {
    release: () => {
      if (released) return;
      released = true;
      // The lock file itself stays: unlinking it could let two later hosts lock two different inodes.
      fs.rmSync(path.join(dataDir, HOLDER_FILE), { force: true });
      db.close();
    },
  };
}

function holder(dataDir: string): string {
  try {
    const info = JSON.parse(fs.readFileSync(path.join(dataDir, HOLDER_FILE), 'utf8')) as Record<
      string,
      unknown
    >;
    return `process ${String(info.pid)} on ${String(info.host)} since ${String(info.since)}`;
  } catch {
    return 'holder unknown';
  }
}

/** An error's message, for the one-line errors of the data files' tools and checks. */
export function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

interface Hold {
  pk: string;
  id: string;
  commandId: string;
  /** Set on a cart's line, which expires with its cart. */
  cartId: string | null;
}

function activeHolds(db: Database.Database): Hold[] {
  if (!hasTable(db, 'store_docs')) return [];
  return db
    .prepare(
      "SELECT pk, id, json_extract(body, '$.commandId') AS commandId, json_extract(body, '$.cartId') AS cartId FROM store_docs WHERE type = 'reservation' AND status = 'held'",
    )
    .all() as Hold[];
}

/**
 * Every active hold must still be able to end: its ExpireHold is in the queue, or its Reserve is (a
 * redelivery schedules the expiry); a dead-lettered one is not lost either, it is there to be resubmitted.
 * A cart's line ends with its cart: some message of that cart (its ExpireCart, a line's Reserve or report,
 * a confirm, a line command it sent) is still in the queue.
 */
function holdsWithoutExpiry(db: Database.Database, holds: readonly Hold[]): Hold[] {
  if (holds.length === 0) return [];
  if (!hasTable(db, 'queue_messages')) return [...holds];
  const live = db.prepare('SELECT 1 FROM queue_messages WHERE message_id = ? LIMIT 1');
  const letters = hasTable(db, 'queue_dead_letters')
    ? db.prepare('SELECT 1 FROM queue_dead_letters WHERE message_id = ? LIMIT 1')
    : null;
  const present = (id: string) => live.get(id) !== undefined || letters?.get(id) !== undefined;
  // Scanned only when a cart's line is held: reading every queued body is start-up work.
  const carts = holds.some((h) => h.cartId !== null) ? cartsInQueue(db) : new Set<string>();
  return holds.filter((h) =>
    h.cartId !== null ? !carts.has(h.cartId) : !present(`${h.commandId}.expire`) && !present(h.commandId),
  );
}

/** The carts with a message still in the queue (live or dead-lettered): each can still end its lines. */
function cartsInQueue(db: Database.Database): Set<string> {
  const tables = ['queue_messages', 'queue_dead_letters'].filter((t) => hasTable(db, t));
  const ids = tables.flatMap(
    (t) =>
      db
        .prepare(`SELECT DISTINCT json_extract(body, '$.cartId') AS cartId FROM ${t} WHERE json_valid(body)`)
        .all() as { cartId: unknown }[],
  );
  return new Set(ids.flatMap((r) => (typeof r.cartId === 'string' ? [r.cartId] : [])));
}

/**
 * A hold with neither was lost with part of queue.db (a truncated write-ahead log, a file restored from
 * another time): its stock would never come back.
 */
function refuseStrandedHolds(stranded: readonly Hold[]): void {
  if (stranded.length === 0) return;
  const sample = stranded
    .slice(0, 3)
    .map((h) => `${h.pk}/${h.id}`)
    .join(', ');
  throw new DataSetError(
    `${stranded.length} active hold(s) have no expiry message in ${DATA_FILES.queue} (${sample}${stranded.length > 3 ? ', ...' : ''}): ` +
      `the queue lost messages the store depends on, so their stock would never come back. ${HOW_TO_RESTORE}`,
  );
}

function hasTable(db: Database.Database, name: string): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;
}
