import type Database from 'better-sqlite3';
import { z } from 'zod';

/**
 * The queue's tables. `queue_messages` holds every accepted, unsettled message (scheduled ones too);
 * `seq` is the order of acceptance, and AUTOINCREMENT never reuses one, so a restart keeps the order.
 */
export const SCHEMA = `
  CREATE TABLE IF NOT EXISTS queue_messages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id TEXT NOT NULL,
    session_id TEXT NOT NULL,
    body TEXT NOT NULL,
    subject TEXT,
    properties TEXT,
    enqueued_at INTEGER NOT NULL,
    available_at INTEGER NOT NULL,
    delivery_count INTEGER NOT NULL DEFAULT 0
  );
  CREATE TABLE IF NOT EXISTS queue_dead_letters (
    seq INTEGER PRIMARY KEY,
    message_id TEXT NOT NULL,
    session_id TEXT NOT NULL,
    body TEXT NOT NULL,
    subject TEXT,
    properties TEXT,
    enqueued_at INTEGER NOT NULL,
    available_at INTEGER NOT NULL,
    delivery_count INTEGER NOT NULL,
    reason TEXT NOT NULL,
    description TEXT NOT NULL,
    dead_lettered_at INTEGER NOT NULL
  );
  CREATE INDEX IF NOT EXISTS queue_dead_letters_by_session ON queue_dead_letters (session_id, seq);
  CREATE INDEX IF NOT EXISTS queue_dead_letters_by_message ON queue_dead_letters (message_id, seq);
  CREATE TABLE IF NOT EXISTS queue_dedup (
    message_id TEXT PRIMARY KEY,
    accepted_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS queue_dedup_by_time ON queue_dedup (accepted_at);
`;

export interface IndexRow {
  seq: number;
  session_id: string;
  available_at: number;
  delivery_count: number;
}

export interface MessageRow {
  message_id: string;
  session_id: string;
  body: string;
  subject: string | null;
  properties: string | null;
  available_at: number;
}

export interface DeadLetterRow {
  seq: number;
  message_id: string;
  session_id: string;
  body: string;
  subject: string | null;
  properties: string | null;
  enqueued_at: number;
  reason: string;
  description: string;
  delivery_count: number;
  dead_lettered_at: number;
}

export type QueueStatements = ReturnType<typeof prepareStatements>;

export function prepareStatements(db: Database.Database) {
  return {
    // Inserts or refreshes the record only when no live record exists: 0 changes means a duplicate.
    dedup: db.prepare<[string, number, number]>(
      `INSERT INTO queue_dedup (message_id, accepted_at) VALUES (?, ?)
       ON CONFLICT (message_id) DO UPDATE SET accepted_at = excluded.accepted_at WHERE accepted_at <= ?`,
    ),
    purgeDedup: db.prepare<[number]>('DELETE FROM queue_dedup WHERE accepted_at <= ?'),
    forgetDedup: db.prepare<[string]>('DELETE FROM queue_dedup WHERE message_id = ?'),
    insert: db.prepare<[string, string, string, string | null, string | null, number, number]>(
      `INSERT INTO queue_messages (message_id, session_id, body, subject, properties, enqueued_at, available_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ),
    index: db.prepare<[], IndexRow>(
      'SELECT seq, session_id, available_at, delivery_count FROM queue_messages ORDER BY available_at, seq',
    ),
    read: db.prepare<[number], MessageRow>(
      'SELECT message_id, session_id, body, subject, properties, available_at FROM queue_messages WHERE seq = ?',
    ),
    delete: db.prepare<[number]>('DELETE FROM queue_messages WHERE seq = ?'),
    setDeliveryCount: db.prepare<[number, number]>(
      'UPDATE queue_messages SET delivery_count = ? WHERE seq = ?',
    ),
    moveToDeadLetter: db.prepare<[number, string, string, number, number]>(
      `INSERT INTO queue_dead_letters (seq, message_id, session_id, body, subject, properties, enqueued_at,
         available_at, delivery_count, reason, description, dead_lettered_at)
       SELECT seq, message_id, session_id, body, subject, properties, enqueued_at, available_at, ?, ?, ?, ?
       FROM queue_messages WHERE seq = ?`,
    ),
    deadLetters: db.prepare<[], DeadLetterRow>('SELECT * FROM queue_dead_letters ORDER BY seq'),
    deadLettersOf: db.prepare<[string], DeadLetterRow>(
      'SELECT * FROM queue_dead_letters WHERE session_id = ? ORDER BY seq',
    ),
    deadLettersAfter: db.prepare<[number, number], DeadLetterRow>(
      'SELECT * FROM queue_dead_letters WHERE seq > ? ORDER BY seq LIMIT ?',
    ),
    deadLetterOf: db.prepare<[string], DeadLetterRow>(
      'SELECT * FROM queue_dead_letters WHERE message_id = ? ORDER BY seq LIMIT 1',
    ),
    deadLetterBySeq: db.prepare<[number], DeadLetterRow>('SELECT * FROM queue_dead_letters WHERE seq = ?'),
    deleteDeadLetter: db.prepare<[number]>('DELETE FROM queue_dead_letters WHERE seq = ?'),
    countDeadLetters: db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM queue_dead_letters'),
    ping: db.prepare('SELECT 1'),
  };
}

const Properties = z.record(z.string(), z.string());

/** A stored message's application properties: written by this queue as a JSON object of strings. */
export function parseProperties(text: string | null): Record<string, string> {
  return text ? Properties.parse(JSON.parse(text)) : {};
}
