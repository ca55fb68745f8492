import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';

/**
 * Opens a SQLite file in WAL mode with synchronous=NORMAL: commits are ordered in the log but not each
 * fsynced. What must survive a power loss is fsynced explicitly, off the event loop: accepted commands
 * before their 202 (the queue's file), and decisions before the deletes that complete their messages
 * (the store's file), so a completion can never outlive the decision it completed.
 */
export function openDatabase(dataDir: string, fileName = 'inventory.db'): Database.Database {
  fs.mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, fileName);
  const db = new Database(file);
  // Owner only: the files hold every reservation and user id. SQLite gives -wal and -shm the same mode.
  fs.chmodSync(file, 0o600);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  return db;
}
