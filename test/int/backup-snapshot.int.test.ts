import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { takeBackup } from '../../src/adapters/embedded/backup';
import { checkDataSet } from '../../src/adapters/embedded/data-set';
import { openDatabase } from '../../src/adapters/embedded/database';
import { restoreBackup } from '../../src/adapters/embedded/restore';
import { DataFiles, openEmbeddedQueue, openEmbeddedStore } from '../../src/local/embedded-wiring';
import { systemClock } from '../../src/ports/clock';

/**
 * takeBackup copies inventory.db and queue.db as of ONE instant while writers keep committing: what is
 * committed after that instant is in neither copy, and what was there at it is in both. The data set is
 * opened the way the host opens it (its adapters, with their background checkpointers running).
 */

jest.setTimeout(30_000);

let dir: string;
let files: DataFiles;

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'backup-snapshot-'));
  checkDataSet(path.join(dir, 'data'));
  files = new DataFiles(path.join(dir, 'data'));
  // The host's own adapters create the tables and keep their checkpointers running during the backup.
  const store = openEmbeddedStore(files, systemClock);
  openEmbeddedQueue(files, systemClock, store);
});

afterEach(async () => {
  await files.close();
  rmSync(dir, { recursive: true, force: true });
});

const DOC = `INSERT INTO store_docs (pk, id, type, body, etag) VALUES ('p', ?, 'probe', '{}', 'e')`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const MESSAGE = `INSERT INTO queue_messages (message_id, session_id, body, enqueued_at, available_at) VALUES (?, 's', '{}', 0, 0)`;

/** The probe documents and queued message ids of a data folder. */
function contents(dataDir: string): { docs: string[]; messages: string[] } {
  const store = new Database(path.join(dataDir, 'inventory.db'), { fileMustExist: true });
  const queue = new Database(path.join(dataDir, 'queue.db'), { fileMustExist: true });
  try {
    return {
      docs: store
        .prepare<[], string>("SELECT id FROM store_docs WHERE type = 'probe' ORDER BY id")
        .pluck()
        .all(),
      messages: queue.prepare<[], string>('SELECT message_id FROM queue_messages ORDER BY seq').pluck().all(),
    };
  } finally {
    store.close();
    queue.close();
  }
}

test('commits made after the snapshot is pinned (a decision written, its message completed) are in neither copy', async () => {
  const data = path.join(dir, 'data');
  const store = openDatabase(data, 'inventory.db');
  const queue = openDatabase(data, 'queue.db');
  try {
    store.prepare(DOC).run('before');
    queue.prepare(MESSAGE).run('m-before');
    const out = path.join(dir, 'pinned.bak');
    const summary = await takeBackup(data, out, {
      // A consumer deciding m-before and completing it, and a new command accepted, all after the pin:
      // these commits go through (the writers are free again) but must not reach the copy.
      afterPin: () => {
        store.prepare(DOC).run('after');
        queue.prepare('DELETE FROM queue_messages WHERE message_id = ?').run('m-before');
        queue.prepare(MESSAGE).run('m-after');
      },
    });
    expect(summary.parts.map((p) => p.name)).toEqual(['inventory.db', 'queue.db']);
    expect(contents(data)).toEqual({ docs: ['after', 'before'], messages: ['m-after'] });

    await restoreBackup(out, path.join(dir, 'restored'));
    expect(contents(path.join(dir, 'restored'))).toEqual({ docs: ['before'], messages: ['m-before'] });
  } finally {
    store.close();
    queue.close();
  }
});

/**
 * A writer thread runs the host's protocol for commands 1, 2, 3, ... one after the other: accept (insert the
 * message into queue.db), decide (insert the document into inventory.db), complete (delete the message).
 * At any single instant every command up to the last accepted one is in the queue or in the store, so a
 * consistent copy holds exactly 1..n. Copies of the two files taken at two different instants lose the
 * commands decided and completed in between.
 */
const WRITER = `
  const { parentPort, workerData } = require('node:worker_threads');
  const Database = require(workerData.driver);
  const open = (f) => { const db = new Database(f); db.pragma('busy_timeout = 5000'); return db; };
  const store = open(workerData.store), queue = open(workerData.queue);
  const accept = queue.prepare(${JSON.stringify(MESSAGE)});
  const decide = store.prepare(${JSON.stringify(DOC)});
  const complete = queue.prepare('DELETE FROM queue_messages WHERE message_id = ?');
  const done = new Int32Array(workerData.done);
  let stop = false;
  parentPort.on('message', () => { stop = true; });
  const id = (k) => String(k).padStart(8, '0');
  (function step() {
    for (let i = 0; i < 20 && !stop; i++) {
      const k = Atomics.add(done, 0, 1) + 1;
      accept.run('m' + id(k));
      decide.run(id(k));
      complete.run('m' + id(k));
    }
    if (stop) { store.close(); queue.close(); parentPort.close(); } else setImmediate(step);
  })();
`;

test('a backup taken while a writer thread keeps deciding commands holds every command up to one instant, with no gap', async () => {
  const data = path.join(dir, 'data');
  const done = new SharedArrayBuffer(4);
  const counter = new Int32Array(done);
  const worker = new Worker(WRITER, {
    eval: true,
    workerData: {
      driver: require.resolve('better-sqlite3'),
      store: path.join(data, 'inventory.db'),
      queue: path.join(data, 'queue.db'),
      done,
    },
  });
  const exited = new Promise((resolve) => worker.once('exit', resolve));
  try {
    const deadline = Date.now() + 10_000;
    while (Atomics.load(counter, 0) < 300 && Date.now() < deadline) await sleep(10);
    let atPin = 0;
    const out = path.join(dir, 'live.bak');
    await takeBackup(data, out, { afterPin: () => void (atPin = Atomics.load(counter, 0)) });
    // The writer keeps going after the backup: the live folder moves on past what the copy holds.
    while (Atomics.load(counter, 0) < atPin + 100 && Date.now() < deadline) await sleep(10);
    await restoreBackup(out, path.join(dir, 'restored'));
    const { docs, messages } = contents(path.join(dir, 'restored'));
    const held = new Set([...docs.map(Number), ...messages.map((m) => Number(m.slice(1)))]);
    const n = Math.max(...held);
    expect(n).toBeGreaterThan(0);
    // Every command up to the last one accepted at the pin, and nothing else.
    expect([...held].sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    expect(n).toBeLessThanOrEqual(atPin);
    worker.postMessage('stop');
    await exited;
    const live = contents(data);
    expect(live.messages).toEqual([]);
    expect(live.docs.length).toBeGreaterThan(n);
  } finally {
    worker.postMessage('stop');
    await exited;
  }
});
