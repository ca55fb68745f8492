import fs from 'node:fs';
import path from 'node:path';
import { SettingsError } from '../config/settings';

/**
 * Makes sure DATA_DIR is a folder this process can create files in before any data file is opened, so a
 * wrong path stops the start with a message naming DATA_DIR and the path instead of an errno from deep in
 * SQLite. A missing folder is created (owner only, like the files in it). Throws SettingsError.
 */
export function prepareDataDir(dataDir: string): void {
  const resolved = path.resolve(dataDir);
  const named = resolved === dataDir ? `DATA_DIR ${dataDir}` : `DATA_DIR ${dataDir} (${resolved})`;
  const fail = (problem: string) => new SettingsError([`${named} ${problem}`]);

  let stat: fs.Stats | undefined;
  try {
    stat = fs.statSync(resolved, { throwIfNoEntry: false });
  } catch (error) {
    // ENOTDIR: a parent is a file; EACCES: a parent cannot be searched.
    if (code(error) !== 'ENOTDIR') throw fail(`cannot be read (${describe(error)})`);
  }
  if (stat && !stat.isDirectory()) throw fail('is a file, not a folder: point DATA_DIR at a folder');
  if (!stat) createFolder(resolved, fail);

  // Permission bits do not tell the whole story (root, read-only mounts, ACLs): write a file to find out.
  const probe = path.join(resolved, `.write-check-${process.pid}`);
  try {
    fs.writeFileSync(probe, '', { mode: 0o600 });
    fs.unlinkSync(probe);
  } catch (error) {
    throw fail(`is not writable (${describe(error)}): the host keeps its data files there`);
  }
}

/**
 * Creates the missing levels one at a time. Node's recursive mkdir is avoided on purpose: where a parent
 * refuses children with ENOENT (under /proc, for one) it never returns.
 */
function createFolder(folder: string, fail: (problem: string) => SettingsError): void {
  const missing: string[] = [];
  let existing = folder;
  for (;;) {
    let stat: fs.Stats | undefined;
    try {
      stat = fs.statSync(existing, { throwIfNoEntry: false });
    } catch (error) {
      if (code(error) !== 'ENOTDIR') throw fail(`cannot be created (${describe(error)} at ${existing})`);
    }
    if (stat) {
      if (!stat.isDirectory()) throw fail(`cannot be created: ${existing} is a file, not a folder`);
      break;
    }
    missing.unshift(existing);
    const parent = path.dirname(existing);
    if (parent === existing) break;
    existing = parent;
  }
  for (const level of missing) {
    try {
      fs.mkdirSync(level, { mode: 0o700 });
    } catch (error) {
      if (code(error) === 'EEXIST' && fs.statSync(level).isDirectory()) continue; // created meanwhile
      throw fail(`cannot be created (${describe(error)} at ${level})`);
    }
  }
}

function code(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | null)?.code;
}

const CAUSES: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  ENOENT: 'no such file or directory',
  ENOTDIR: 'a part of the path is a file',
  ENAMETOOLONG: 'the path is too long',
  ELOOP: 'too many symbolic links',
};

function describe(error: unknown): string {
  const c = code(error);
  if (c !== undefined) return `${c}: ${CAUSES[c] ?? (error as Error).message}`;
  return error instanceof Error ? error.message : String(error);
}
