import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';

/**
 * One SQLite file holds the embedded store and the embedded queue. Sharing the file (and its WAL) keeps
 * a decision and the completion of its message in one ordered log, so a power loss can only lose a
 * suffix of both: never a completed message whose decision is missing. Decisions and completions are
 * written with synchronous=NORMAL; accepts (the 202 promise) are flushed with synchronous=FULL.
 */
export function openDatabase(dataDir: string, fileName = 'inventory.db'): Database.Database {
  fs.mkdirSync(dataDir, { recursive: true });
  const db = new Database(path.join(dataDir, fileName));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  return db;
}
