import Database from 'better-sqlite3';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { WriteGate } from '../../src/adapters/embedded/write-gate';
import { GATE_JS } from '../support/host-process';

/**
 * The write gate between threads of one process writing the same SQLite file: they take turns, so none
 * of them ever finds the file locked by another (busy_timeout 0 here: a single collision would throw).
 */

/** A thread that writes `rows` one-row transactions through the gate, on a connection of its own. */
const WRITER = `
  const { parentPort, workerData } = require('node:worker_threads');
  const Database = require(workerData.driver);
  const { WriteGate } = require(workerData.gateJs);
  const db = new Database(workerData.file);
  db.pragma('busy_timeout = 0');
  const gate = workerData.gated ? new WriteGate(workerData.buffer) : { run: (write) => write() };
  const insert = db.prepare('INSERT INTO t (writer, n) VALUES (?, ?)');
  const tx = db.transaction((n) => {
    insert.run(workerData.name, n);
    insert.run(workerData.name, -n);
  });
  // Start together: each thread waits until all three are ready, so their writes overlap.
  const ready = new Int32Array(workerData.ready);
  Atomics.add(ready, 0, 1);
  Atomics.notify(ready, 0);
  while (Atomics.load(ready, 0) < 3) Atomics.wait(ready, 0, Atomics.load(ready, 0), 10);
  let busy = 0;
  for (let n = 1; n <= workerData.rows; n++) {
    try { gate.run(() => tx.immediate(n)); } catch (error) { if (error.code === 'SQLITE_BUSY') busy++; else throw error; }
  }
  db.close();
  parentPort.postMessage(busy);
`;

let dir: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'write-gate-'));
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Three threads writing at once; answers the SQLITE_BUSY count and the rows the file holds. */
async function writeConcurrently(gated: boolean, rows: number): Promise<{ busy: number; stored: number }> {
  const file = path.join(dir, `${gated ? 'gated' : 'ungated'}.db`);
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.exec('CREATE TABLE t (writer TEXT, n INTEGER)');
  const buffer = new WriteGate().buffer;
  const ready = new SharedArrayBuffer(4);
  const busy = await Promise.all(
    ['a', 'b', 'c'].map(
      (name) =>
        new Promise<number>((resolve, reject) => {
          const worker = new Worker(WRITER, {
            eval: true,
            workerData: {
              driver: require.resolve('better-sqlite3'),
              gateJs: GATE_JS,
              file,
              buffer,
              gated,
              name,
              rows,
              ready,
            },
          });
          worker.once('message', resolve);
          worker.once('error', reject);
        }),
    ),
  );
  const stored = (db.prepare('SELECT count(*) AS n FROM t').get() as { n: number }).n;
  db.close();
  return { busy: busy.reduce((a, b) => a + b, 0), stored };
}

describe('the write gate', () => {
  it('lets threads writing one file take turns: no writer ever finds it locked, every write lands', async () => {
    const { busy, stored } = await writeConcurrently(true, 5_000);
    expect(busy).toBe(0);
    expect(stored).toBe(3 * 5_000 * 2);
  }, 60_000);

  it('is what prevents the collisions: the same writers without it find the file locked', async () => {
    const { busy, stored } = await writeConcurrently(false, 5_000);
    expect(busy).toBeGreaterThan(0);
    expect(stored).toBe((3 * 5_000 - busy) * 2);
  }, 60_000);

  it('runs a write nested in another on the same thread without waiting for itself', () => {
    const gate = new WriteGate();
    expect(gate.run(() => gate.run(() => 42))).toBe(42);
    // The turn was handed on: the next write does not wait either.
    expect(gate.run(() => 'next')).toBe('next');
  });
});
