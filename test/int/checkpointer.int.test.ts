import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { BackgroundCheckpointer, WAL_LIMIT_BYTES } from '../../src/adapters/embedded/checkpointer';
import { openDatabase } from '../../src/adapters/embedded/database';
import { WriteGate } from '../../src/adapters/embedded/write-gate';
import { systemClock } from '../../src/ports/clock';
import { DataFiles, openEmbeddedStore } from '../../src/local/embedded-wiring';
import { GATE_JS, REPO_ROOT } from '../support/host-process';

const walSize = (file: string) => (fs.existsSync(`${file}-wal`) ? fs.statSync(`${file}-wal`).size : 0);
const pause = () => new Promise<void>((resolve) => setTimeout(resolve, 1));

describe('the background checkpointer', () => {
  it('holds its writer up only briefly when a reader keeps a log past the limit from being truncated', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'checkpointer-'));
    const db = openDatabase(dir);
    db.pragma('wal_autocheckpoint = 0');
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, body BLOB NOT NULL)');
    const insert = db.prepare('INSERT INTO t (body) VALUES (zeroblob(65536))');
    db.transaction(() => {
      for (let i = 0; i < 1100; i++) insert.run();
    })();
    expect(walSize(db.name)).toBeGreaterThan(WAL_LIMIT_BYTES);
    // A reader that does not let go: an open read transaction on the log as it is.
    const reader = openDatabase(dir);
    reader.exec('BEGIN');
    reader.prepare('SELECT count(*) FROM t').get();
    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    const checkpointer = new BackgroundCheckpointer(db, 20);
    try {
      // Several truncating passes run on this thread meanwhile (after each background pass).
      await new Promise<void>((resolve) => setTimeout(resolve, 1500));
      delay.disable();
      // Each pass gave up after a short wait for the reader; one that waited out busy_timeout (5 s) would
      // have held this thread, and every writer of the file, that long.
      expect(delay.max / 1e6).toBeLessThan(2000);
      expect(walSize(db.name)).toBeGreaterThan(WAL_LIMIT_BYTES);
      reader.exec('COMMIT');
    } finally {
      await checkpointer.stop();
      reader.close();
      db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);

  it('keeps the write-ahead log reused at a small size while the writer keeps committing', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'checkpointer-'));
    const db = openDatabase(dir);
    const checkpointer = new BackgroundCheckpointer(db, 20);
    try {
      db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT NOT NULL)');
      const insert = db.prepare('INSERT INTO t (body) VALUES (?)');
      const commit = db.transaction((rows: number) => {
        for (let i = 0; i < rows; i++) insert.run('x'.repeat(2000));
      });
      let largest = 0;
      let written = 0;
      const until = Date.now() + 1500;
      while (Date.now() < until && written < 32 * 1024 * 1024) {
        commit(20);
        written += 20 * 2000;
        largest = Math.max(largest, walSize(db.name));
        await pause();
      }
      // Every commit appends its pages; a log that was never reset would hold all of them.
      expect(written).toBeGreaterThan(4 * 1024 * 1024);
      expect(largest).toBeLessThan(written / 4);
    } finally {
      await checkpointer.stop();
      db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("finishes its passes in its file's write gate, as the host wires it: never while another thread of the process is writing", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'checkpointer-gate-'));
    const gate = new WriteGate();
    // The store as a thread of the host opens it: the data file, its checkpointer and its gate.
    const files = new DataFiles(dir);
    openEmbeddedStore(files, systemClock, gate.buffer);
    // Another thread of the process (the accept thread) takes its turn and keeps it for 3 s, during which
    // the checkpointer's worker passes (every 200 ms, once its worker has started) reach this thread.
    const other = new Worker(
      `
      const { parentPort, workerData } = require('node:worker_threads');
      const { WriteGate } = require(workerData.gateJs);
      new WriteGate(workerData.buffer).run(() => {
        parentPort.postMessage(Date.now());
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 3000);
      });
    `,
      {
        eval: true,
        workerData: {
          gateJs: GATE_JS,
          buffer: gate.buffer,
        },
      },
    );
    try {
      const turnTaken = await new Promise<number>((resolve, reject) =>
        other.once('message', resolve).once('error', reject),
      );
      // A pass reaches this thread within 1.5 s and waits for that turn to end, and this timer with it.
      const fired = await new Promise<number>((resolve) => setTimeout(() => resolve(Date.now()), 1500));
      expect(fired - turnTaken).toBeGreaterThanOrEqual(2800);
    } finally {
      await other.terminate();
      await files.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('never keeps its process up: one left open lets the process end when its own work is done', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'checkpointer-exit-'));
    const dist = (file: string) =>
      JSON.stringify(path.join(REPO_ROOT, 'dist', 'src', 'adapters', 'embedded', file));
    const script = `
      const { openDatabase } = require(${dist('database.js')});
      const { BackgroundCheckpointer } = require(${dist('checkpointer.js')});
      const db = openDatabase(${JSON.stringify(dir)});
      new BackgroundCheckpointer(db, 20);
      db.exec('CREATE TABLE t (x)');
      // Long enough for the worker's passes to reach the writer.
      setTimeout(() => console.log('done'), 300);
    `;
    const child = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 15_000 });
    fs.rmSync(dir, { recursive: true, force: true });
    expect(child.stdout.trim()).toBe('done');
    expect(child.signal).toBeNull();
    expect(child.status).toBe(0);
  });
});
