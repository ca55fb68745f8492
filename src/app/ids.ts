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
export function newId(prefix: 'r' | 'c', now: Date, inventoryId: string): string {
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

/** Two base32 characters (10 bits) of a hash: a wrong character or another item fails 1023 times in 1024. */
function check(inventoryId: string, body: string): string {
  const digest = createHash('sha256').update(inventoryId).update('/').update(body).digest();
  const bits = ((digest[0] ?? 0) << 2) | ((digest[1] ?? 0) >> 6);
  return ALPHABET.charAt(bits >> 5) + ALPHABET.charAt(bits & 31);
}

const ID_SHAPE = /^([rc]-([0-9A-HJKMNP-TV-Z]{10})[0-9A-HJKMNP-TV-Z]{14})([0-9A-HJKMNP-TV-Z]{2})$/;

/** When an id of ours was issued for this item, or null when the id is not one we issued for it. */
export function issuedAt(id: string, inventoryId: string): Date | null {
  const match = ID_SHAPE.exec(id);
  const [, body, timePart, checkPart] = match ?? [];
  if (!body || !timePart || !checkPart || check(inventoryId, body) !== checkPart) return null;
  let time = 0;
  for (const char of timePart) time = time * 32 + ALPHABET.indexOf(char);
  return new Date(time);
}
