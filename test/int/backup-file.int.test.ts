import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkDataSet, lockDataDir } from '../../src/adapters/embedded/data-set';
import { main as backup } from '../../tools/backup/backup-cli';
import { main as restore } from '../../tools/backup/restore-cli';

/**
 * The backup file and the two commands around it: restore verifies the whole file before it touches the data
 * folder, so a truncated or altered file is refused with a message naming the problem; it refuses a folder a
 * host holds, and one with data in it unless --force, which keeps the old files aside.
 */

let dir: string;
let source: string;
let file: string;
let sourceId: string;

/** What a command printed, and its exit code. */
async function run(
  command: typeof backup,
  argv: string[],
): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await command(argv, {}, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** A copy of the backup file with `change` applied to its bytes. */
function altered(name: string, change: (bytes: Buffer) => Buffer): string {
  const target = path.join(dir, name);
  writeFileSync(target, change(readFileSync(file)));
  return target;
}

/** Where the parts start: after the magic line, the header line and its checksum line. */
function partsOffset(bytes: Buffer): number {
  let offset = 0;
  for (let i = 0; i < 3; i++) offset = bytes.indexOf(0x0a, offset) + 1;
  return offset;
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'backup-file-'));
  source = path.join(dir, 'source');
  sourceId = checkDataSet(source).id;
  const db = new Database(path.join(source, 'inventory.db'));
  db.exec("CREATE TABLE marker (v TEXT); INSERT INTO marker VALUES ('from the backup')");
  db.close();
  file = path.join(dir, 'good.bak');
  const made = await run(backup, ['--out', file, '--data-dir', source]);
  expect(made).toMatchObject({ code: 0, err: '' });
  expect(made.out).toContain(`data set ${sourceId}`);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('restore refuses a damaged backup file before touching the folder', () => {
  const cases: [string, (b: Buffer) => Buffer, RegExp][] = [
    ['truncated by 100 bytes', (b) => b.subarray(0, b.length - 100), /is truncated: .* \(100 missing\)/],
    ['cut inside its header', (b) => b.subarray(0, 60), /is truncated or damaged: its header/],
    [
      'a byte flipped in the queue.db part',
      (b) => {
        const copy = Buffer.from(b);
        const at = b.length - 10;
        copy[at] = (copy[at] ?? 0) ^ 0xff;
        return copy;
      },
      /is damaged: the queue\.db part's SHA-256 is [0-9a-f]{64}, its header says [0-9a-f]{64}/,
    ],
    [
      'a byte flipped in the inventory.db part',
      (b) => {
        const copy = Buffer.from(b);
        const at = partsOffset(b) + 200;
        copy[at] = (copy[at] ?? 0) ^ 0x01;
        return copy;
      },
      /the inventory\.db part's SHA-256/,
    ],
    [
      'a byte flipped in its header',
      (b) => {
        const copy = Buffer.from(b);
        const at = b.indexOf('dataSetId') + 2;
        copy[at] = (copy[at] ?? 0) ^ 0x01;
        return copy;
      },
      /has a damaged header: its checksum does not match/,
    ],
    [
      'bytes appended',
      (b) => Buffer.concat([b, Buffer.from('junk')]),
      /has 4 unexpected bytes after its last part/,
    ],
    ['not a backup at all', () => Buffer.from('SQLite format 3\0'), /is not a backup made by npm run backup/],
  ];

  test.each(cases)('%s', async (name, change, message) => {
    const damaged = altered(`${name.replace(/\W+/g, '-')}.bak`, change);
    const target = path.join(dir, `target-${name.replace(/\W+/g, '-')}`);
    const result = await run(restore, [damaged, '--data-dir', target]);
    expect(result.code).toBe(1);
    expect(result.err).toMatch(/^restore: backup file /);
    expect(result.err).toMatch(message);
    expect(existsSync(path.join(target, 'inventory.db'))).toBe(false);
    expect(existsSync(path.join(target, 'queue.db'))).toBe(false);
  });

  test('a later format version, even with a valid header checksum, is named', async () => {
    const bytes = readFileSync(file);
    const lines = bytes.subarray(0, partsOffset(bytes)).toString('utf8').split('\n');
    const json = (lines[1] ?? '').replace('"version":1', '"version":2');
    const sum = createHash('sha256').update(json).digest('hex');
    const head = `${lines[0]}\n${json}\nsha256:${sum}\n`;
    const newer = altered('newer.bak', (b) => Buffer.concat([Buffer.from(head), b.subarray(partsOffset(b))]));
    const result = await run(restore, [newer, '--data-dir', path.join(dir, 'target-newer')]);
    expect(result).toMatchObject({ code: 1 });
    expect(result.err).toMatch(/is format version 2; this tool reads version 1/);
  });
});

describe('restore into a data folder', () => {
  test('is refused while a host holds the folder, and goes through once it is released', async () => {
    const target = path.join(dir, 'locked');
    const lock = lockDataDir(target);
    try {
      const refused = await run(restore, [file, '--data-dir', target]);
      expect(refused.code).toBe(1);
      expect(refused.err).toMatch(/restore needs a stopped host: .* is in use by another host \(process \d+/);
      expect(existsSync(path.join(target, 'inventory.db'))).toBe(false);
    } finally {
      lock.release();
    }
    const restored = await run(restore, [file, '--data-dir', target]);
    expect(restored).toMatchObject({ code: 0, err: '' });
    expect(restored.out).toContain(`data set ${sourceId}`);
    expect(checkDataSet(target)).toEqual({ id: sourceId, created: false });
    const db = new Database(path.join(target, 'inventory.db'));
    expect(db.prepare('SELECT v FROM marker').pluck().get()).toBe('from the backup');
    db.close();
  });

  test('that holds data is refused without --force; with it the old files are kept aside, whole', async () => {
    const target = path.join(dir, 'occupied');
    const oldId = checkDataSet(target).id;
    const refused = await run(restore, [file, '--data-dir', target]);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/already holds a data set \(inventory\.db, queue\.db\): pass --force/);
    expect(checkDataSet(target).id).toBe(oldId);

    const forced = await run(restore, [file, '--data-dir', target, '--force']);
    expect(forced.code).toBe(0);
    expect(checkDataSet(target).id).toBe(sourceId);
    const aside = readdirSync(target).filter((f) => f.startsWith('replaced-'));
    expect(aside).toHaveLength(1);
    expect(forced.out).toContain(path.join(target, aside[0] ?? ''));
    // The replaced set is still a whole data set: it can be served again from there.
    expect(checkDataSet(path.join(target, aside[0] ?? '')).id).toBe(oldId);
    expect(readdirSync(target).filter((f) => f.startsWith('.restore-'))).toEqual([]);
  });
});

describe('backup', () => {
  test('refuses a folder without a data set, and an existing output file unless --force', async () => {
    const empty = path.join(dir, 'empty');
    mkdirSync(empty);
    const none = await run(backup, ['--out', path.join(dir, 'none.bak'), '--data-dir', empty]);
    expect(none.code).toBe(1);
    expect(none.err).toMatch(/holds no data set to back up: inventory\.db and queue\.db missing/);
    expect(readdirSync(empty)).toEqual([]);

    const again = await run(backup, ['--out', file, '--data-dir', source]);
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/already exists: choose another name, or pass --force/);
    const replaced = await run(backup, ['--out', file, '--data-dir', source, '--force']);
    expect(replaced.code).toBe(0);
    expect(readdirSync(dir).filter((f) => f.startsWith('.backup-') || f.endsWith('.tmp'))).toEqual([]);
  });
});
