import Database from 'better-sqlite3';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EmbeddedSessionQueue, type EmbeddedQueueOptions } from '../../src/adapters/embedded/queue';
import type { ReceivedMessage, SessionReceiver } from '../../src/ports/sessions';
import type { Clock } from '../../src/ports/clock';
import type { AdjustCommand } from '../../src/domain/model';
import type { OutgoingCommand } from '../../src/ports/queue';

/** The embedded session queue over a fresh SQLite file per test, on a clock the test moves. */

class FakeClock implements Clock {
  t = Date.parse('2030-01-01T00:00:00Z');
  now(): Date {
    return new Date(this.t);
  }
  advance(ms: number): void {
    this.t += ms;
  }
}

const opened: Database.Database[] = [];
/** Every queue a test opened: closed after each test (see closeQueuesAfterEach). */
export const queues: EmbeddedSessionQueue[] = [];

export function openDb(file: string): Database.Database {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  opened.push(db);
  return db;
}

export function setup(options: EmbeddedQueueOptions = {}) {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'q-')), 'queue.db');
  const clock = new FakeClock();
  const db = openDb(file);
  const queue = new EmbeddedSessionQueue(db, { clock, ...options });
  queues.push(queue);
  /** Closes the queue and the db, then opens both again on the same file (a process restart). */
  const restart = async (): Promise<EmbeddedSessionQueue> => {
    await queue.close();
    db.close();
    const again = new EmbeddedSessionQueue(openDb(file), { clock, ...options });
    queues.push(again);
    return again;
  };
  return { db, queue, clock, file, restart };
}

/** Closes every queue and database the suite's tests opened, after each test. */
export function closeQueuesAfterEach(): void {
  afterEach(async () => {
    for (const q of queues.splice(0)) await q.close();
    for (const db of opened.splice(0)) if (db.open) db.close();
  });
}

export function msg(sessionId: string, n: number, extra: Partial<OutgoingCommand> = {}): OutgoingCommand {
  const body: AdjustCommand = {
    type: 'Adjust',
    commandId: `${sessionId}-${n}`,
    inventoryId: sessionId,
    requestedAt: '2030-01-01T00:00:00.000Z',
    delta: n,
    reason: 'test',
  };
  return { sessionId, messageId: `${sessionId}-${n}`, body, ...extra };
}

export const ids = (messages: ReceivedMessage[]) => messages.map((m) => m.messageId);

export async function accept(queue: EmbeddedSessionQueue): Promise<SessionReceiver> {
  const receiver = await queue.acceptNextSession();
  if (!receiver) throw new Error('expected a session');
  return receiver;
}
