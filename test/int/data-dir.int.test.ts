import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SettingsError } from '../../src/config/settings';
import { prepareDataDir } from '../../src/local/data-dir';

/**
 * DATA_DIR is checked on the real file system before the host opens its files: every way it can be wrong
 * is a SettingsError naming DATA_DIR and the path, and a folder that can be used is created and left clean.
 */

let root: string;

beforeAll(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'int-data-dir-'));
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

function refusal(dataDir: string): string {
  try {
    prepareDataDir(dataDir);
  } catch (error) {
    if (error instanceof SettingsError) return error.message;
    throw error;
  }
  throw new Error(`DATA_DIR ${dataDir} was accepted`);
}

const isRoot = process.getuid?.() === 0;

describe('DATA_DIR', () => {
  it('is created with its missing parents, owner only, and nothing is left in it', () => {
    const dataDir = path.join(root, 'new', 'nested', 'data');
    prepareDataDir(dataDir);
    expect(statSync(dataDir).isDirectory()).toBe(true);
    if (process.platform !== 'win32') expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    expect(readdirSync(dataDir)).toEqual([]);
    prepareDataDir(dataDir); // an existing folder is fine too
  });

  it('that is a file is refused, naming DATA_DIR and the path', () => {
    const file = path.join(root, 'a-file');
    writeFileSync(file, 'x');
    expect(refusal(file)).toMatch(new RegExp(`DATA_DIR ${escape(file)} is a file, not a folder`));
  });

  it('below a file cannot be created, and the message names the file in the way', () => {
    const file = path.join(root, 'in-the-way');
    writeFileSync(file, 'x');
    const message = refusal(path.join(file, 'data'));
    expect(message).toContain(`DATA_DIR ${path.join(file, 'data')} cannot be created`);
    expect(message).toContain(`${file} is a file, not a folder`);
  });

  it('given relative is named as given and as resolved', () => {
    const file = path.join(root, 'relative-file');
    writeFileSync(file, 'x');
    const relative = path.relative(process.cwd(), file);
    expect(refusal(relative)).toContain(`DATA_DIR ${relative} (${file}) is a file`);
  });

  (isRoot ? it.skip : it)('that is not writable is refused (as a user other than root)', () => {
    const locked = path.join(root, 'locked');
    mkdirSync(locked);
    chmodSync(locked, 0o500);
    try {
      expect(refusal(locked)).toMatch(new RegExp(`DATA_DIR ${escape(locked)} is not writable \\(EACCES`));
      expect(refusal(path.join(locked, 'data'))).toContain('cannot be created (EACCES');
    } finally {
      chmodSync(locked, 0o700);
    }
  });

  // Root writes anywhere permissions allow it, but not into sysfs: the same check, seen as root.
  (isRoot && existsSync('/sys/kernel') ? it : it.skip)(
    'that is not writable even for root is refused',
    () => {
      expect(refusal('/sys/kernel')).toMatch(/DATA_DIR \/sys\/kernel is not writable \((EACCES|EPERM|EROFS)/);
    },
  );

  // Node's recursive mkdir never returns here; the level-by-level creation reports it at once.
  (process.platform === 'linux' ? it : it.skip)(
    'under a parent that refuses new folders is refused promptly',
    () => {
      const started = Date.now();
      expect(refusal('/proc/self/inventory-data')).toContain(
        'DATA_DIR /proc/self/inventory-data cannot be created (',
      );
      expect(Date.now() - started).toBeLessThan(2_000);
    },
  );
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
