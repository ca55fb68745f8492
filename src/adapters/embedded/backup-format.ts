import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { DATA_FILES, describe } from './data-set';

/**
 * The backup file: one file holding both SQLite images of a data set, taken at one point in time.
 *
 *   inventory-reservations backup\n         magic line
 *   {"format":...,"version":1,...}\n        header (JSON): the data set, when, each part's length and SHA-256
 *   sha256:<hex of the header line>\n       so a damaged header is told from a damaged part
 *   <inventory.db image><queue.db image>    the parts, back to back, in the header's order
 *
 * Each image is a plain SQLite file in rollback-journal mode: it can be extracted and opened on its own.
 */
const BACKUP_MAGIC = 'inventory-reservations backup\n';
export const BACKUP_VERSION = 1;
/** The magic, header and checksum lines fit in this many bytes; a header longer than that is damage. */
const MAX_HEADER_BYTES = 64 * 1024;

export class BackupFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackupFileError';
  }
}

const PartSchema = z.object({
  name: z.enum([DATA_FILES.store, DATA_FILES.queue]),
  length: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});
export type BackupPart = z.infer<typeof PartSchema>;

const HeaderSchema = z.object({
  format: z.literal('inventory-reservations-backup'),
  version: z.number().int(),
  createdAt: z.string(),
  dataSetId: z.string().min(1),
  parts: z
    .array(PartSchema)
    .length(2)
    .refine((parts) => parts[0]?.name === DATA_FILES.store && parts[1]?.name === DATA_FILES.queue, {
      message: `the parts must be ${DATA_FILES.store} then ${DATA_FILES.queue}`,
    }),
});
export type BackupHeader = z.infer<typeof HeaderSchema>;

/** A verified backup file: its header and where each part starts in the file. */
export interface VerifiedBackup {
  header: BackupHeader;
  parts: (BackupPart & { offset: number })[];
}

/** SHA-256 (hex) and length of a file, or of `length` bytes of it from `start`, read as a stream. */
export async function hashRange(
  file: string,
  start = 0,
  length?: number,
): Promise<{ sha256: string; length: number }> {
  const hash = createHash('sha256');
  let read = 0;
  if (length !== 0) {
    const end = length !== undefined ? { end: start + length - 1 } : {};
    for await (const chunk of fs.createReadStream(file, { start, ...end }) as AsyncIterable<Buffer>) {
      hash.update(chunk);
      read += chunk.length;
    }
  }
  return { sha256: hash.digest('hex'), length: read };
}

/** The bytes that precede the parts: the magic, the header line and its checksum line. */
function encodeHeader(header: BackupHeader): Buffer {
  const json = JSON.stringify(header);
  const sum = createHash('sha256').update(json).digest('hex');
  return Buffer.from(`${BACKUP_MAGIC}${json}\nsha256:${sum}\n`, 'utf8');
}

/**
 * Writes the backup file atomically: `<file>.tmp` gets the header and each image, is fsynced, then renamed
 * over `file`, and the folder is fsynced so the rename survives a power loss. `images` maps each part's name
 * to the file holding it.
 */
export async function writeBackupFile(
  file: string,
  header: BackupHeader,
  images: Readonly<Record<BackupPart['name'], string>>,
): Promise<void> {
  const tmp = `${file}.tmp`;
  const fd = fs.openSync(tmp, 'w', 0o600);
  try {
    fs.writeSync(fd, encodeHeader(header));
    for (const part of header.parts) {
      for await (const chunk of fs.createReadStream(images[part.name]) as AsyncIterable<Buffer>) {
        let done = 0;
        while (done < chunk.length) done += fs.writeSync(fd, chunk, done);
      }
    }
    fs.fsyncSync(fd);
  } catch (error) {
    fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw error;
  }
  fs.closeSync(fd);
  fs.renameSync(tmp, file);
  fsyncFolder(path.dirname(file));
}

/**
 * Reads and checks a whole backup file: the magic, the header's checksum and schema, the size the header
 * announces, and each part's SHA-256. Throws BackupFileError naming the problem; nothing is trusted before.
 */
export async function verifyBackupFile(file: string): Promise<VerifiedBackup> {
  const named = `backup file ${file}`;
  let size: number;
  let head: Buffer;
  try {
    size = fs.statSync(file).size;
    const fd = fs.openSync(file, 'r');
    try {
      head = Buffer.alloc(Math.min(size, MAX_HEADER_BYTES));
      fs.readSync(fd, head, 0, head.length, 0);
    } finally {
      fs.closeSync(fd);
    }
  } catch (error) {
    throw new BackupFileError(`${named} cannot be read: ${describe(error)}`);
  }
  const { header, headerBytes } = parseHead(head, named);
  const announced = header.parts.reduce((sum, p) => sum + p.length, 0);
  const found = size - headerBytes;
  if (found < announced) {
    throw new BackupFileError(
      `${named} is truncated: its header announces ${announced} bytes of data, the file holds ${found} (${announced - found} missing)`,
    );
  }
  if (found > announced) {
    throw new BackupFileError(
      `${named} has ${found - announced} unexpected bytes after its last part: it is damaged or not one backup`,
    );
  }
  const parts: VerifiedBackup['parts'] = [];
  let offset = headerBytes;
  for (const part of header.parts) {
    const { sha256 } = await hashRange(file, offset, part.length);
    if (sha256 !== part.sha256) {
      throw new BackupFileError(
        `${named} is damaged: the ${part.name} part's SHA-256 is ${sha256}, its header says ${part.sha256}`,
      );
    }
    parts.push({ ...part, offset });
    offset += part.length;
  }
  return { header, parts };
}

function parseHead(head: Buffer, named: string): { header: BackupHeader; headerBytes: number } {
  const magic = Buffer.from(BACKUP_MAGIC, 'utf8');
  if (head.length < magic.length || !head.subarray(0, magic.length).equals(magic)) {
    throw new BackupFileError(
      `${named} is not a backup made by npm run backup (it does not start with "${BACKUP_MAGIC.trim()}")`,
    );
  }
  const jsonEnd = head.indexOf(0x0a, magic.length);
  const sumEnd = jsonEnd < 0 ? -1 : head.indexOf(0x0a, jsonEnd + 1);
  if (sumEnd < 0) {
    throw new BackupFileError(`${named} is truncated or damaged: its header does not end where it should`);
  }
  const json = head.subarray(magic.length, jsonEnd).toString('utf8');
  const sumLine = head.subarray(jsonEnd + 1, sumEnd).toString('utf8');
  const sum = createHash('sha256').update(json).digest('hex');
  if (sumLine !== `sha256:${sum}`) {
    throw new BackupFileError(`${named} has a damaged header: its checksum does not match`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    throw new BackupFileError(`${named} has a header that is not JSON`);
  }
  const version = z.object({ version: z.number() }).safeParse(raw);
  if (version.success && version.data.version !== BACKUP_VERSION) {
    throw new BackupFileError(
      `${named} is format version ${version.data.version}; this tool reads version ${BACKUP_VERSION}`,
    );
  }
  const parsed = HeaderSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new BackupFileError(
      `${named} has an invalid header: ${issue ? `${issue.path.join('.') || 'header'}: ${issue.message}` : 'unknown'}`,
    );
  }
  return { header: parsed.data, headerBytes: sumEnd + 1 };
}

/** Makes a rename or a new file in `folder` durable. */
export function fsyncFolder(folder: string): void {
  const fd = fs.openSync(folder, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
