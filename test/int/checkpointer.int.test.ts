import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BackgroundCheckpointer } from '../../src/adapters/embedded/checkpointer';
import { openDatabase } from '../../src/adapters/embedded/database';
import { buildHost, REPO_ROOT } from '../support/host-process';

const walSize = (file: string) => (fs.existsSync(`${file}-wal`) ? fs.statSync(`${file}-wal`).size : 0);
const pause = () => new Promise<void>((resolve) => setTimeout(resolve, 1));

describe('the background checkpointer', () => {
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

  it('never keeps its process up: one left open lets the process end when its own work is done', () => {
    buildHost();
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
