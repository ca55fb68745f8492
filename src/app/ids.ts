import { createHash } from 'node:crypto';
import { randomBytesPooled } from './random';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'; // Crockford base32: sortable, no ambiguous letters
const TIME_CHARS = 10;
const RANDOM_CHARS = 14;

/**
 * Sortable ids (ULID layout: 48-bit milliseconds, then 70 random bits) with a one-letter kind prefix and
 * two check characters over the item id and the rest of the id. Time order makes reservation listings
 * come out in request order; the embedded time lets a status query tell an id we could have issued
 * recently from one that was never accepted; the check makes a typo, or a real id asked about under
 * another item, a 404 at once instead of `pending` until the horizon.
 */
export function newId(prefix: 'r' | 'c' | 'k', now: Date, inventoryId: string): string {
  let time = now.getTime();
  let timePart = '';
  for (let i = 0; i < TIME_CHARS; i++) {
    timePart = ALPHABET.charAt(time % 32) + timePart;
    time = Math.floor(time / 32);
  }
  const bytes = randomBytesPooled(RANDOM_CHARS);
  let randomPart = '';
  for (const byte of bytes) randomPart += ALPHABET.charAt(byte % 32);
  const body = `${prefix}-${timePart}${randomPart}`;
  return `${body}${check(inventoryId, body)}`;
}

/**
 * Two base32 characters. The first is a sum of the body's characters (the kind, then the 24 others) with
 * odd weights and an offset drawn from a hash of the item id: odd weights are invertible mod 32, so any one
 * changed character changes it. The second is a hash of the item id and the body. A one-character typo
 * always fails; the same id under another item passes about once in 1024.
 */
function check(inventoryId: string, body: string): string {
  const item = itemDigest(inventoryId);
  const weight = (i: number) => 2 * (item[i + 1] ?? 0) + 1;
  let sum = (item[0] ?? 0) + weight(0) * (body.startsWith('c') ? 1 : 0);
  for (let i = 2; i < body.length; i++) sum += weight(i - 1) * ALPHABET.indexOf(body.charAt(i));
  const both = createHash('sha256').update(inventoryId).update('/').update(body).digest();
  return ALPHABET.charAt(sum & 31) + ALPHABET.charAt((both[0] ?? 0) & 31);
}

/** Digests of recently seen item ids: every accept issues two ids and every status query checks one. */
const itemDigests = new Map<string, Buffer>();
const ITEM_DIGESTS_KEPT = 4096;

function itemDigest(inventoryId: string): Buffer {
  let digest = itemDigests.get(inventoryId);
  if (!digest) {
    if (itemDigests.size >= ITEM_DIGESTS_KEPT) itemDigests.clear();
    digest = createHash('sha256').update(inventoryId).digest();
    itemDigests.set(inventoryId, digest);
  }
  return digest;
}

const ID_SHAPE = /^([rck]-([0-9A-HJKMNP-TV-Z]{10})[0-9A-HJKMNP-TV-Z]{14})([0-9A-HJKMNP-TV-Z]{2})$/;

/** When an id of ours was issued for this item, or null when the id is not one we issued for it. */
export function issuedAt(id: string, inventoryId: string): Date | null {
  const match = ID_SHAPE.exec(id);
  const [, body, timePart, checkPart] = match ?? [];
  if (!body || !timePart || !checkPart || check(inventoryId, body) !== checkPart) return null;
  let time = 0;
  for (const char of timePart) time = time * 32 + ALPHABET.indexOf(char);
  return new Date(time);
}
