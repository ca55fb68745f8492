import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BackgroundCheckpointer } from '../../src/adapters/embedded/checkpointer';
import { openDatabase } from '../../src/adapters/embedded/database';

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
      expect(largest).toBeLessThan(written / 2);
    } finally {
      await checkpointer.stop();
      db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
