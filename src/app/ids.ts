import { randomBytesPooled } from './random';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'; // Crockford base32: sortable, no ambiguous letters
const TIME_CHARS = 10;
const RANDOM_CHARS = 16;

/**
 * Sortable ids (ULID layout: 48-bit milliseconds, 80 random bits) with a one-letter kind prefix.
 * Time order makes reservation listings come out in request order; the embedded time lets a status
 * query tell an id we could have issued recently from one that was never accepted.
 */
export function newId(prefix: 'r' | 'c', now: Date): string {
  let time = now.getTime();
  let timePart = '';
  for (let i = 0; i < TIME_CHARS; i++) {
    timePart = ALPHABET.charAt(time % 32) + timePart;
    time = Math.floor(time / 32);
  }
  const bytes = randomBytesPooled(RANDOM_CHARS);
  let randomPart = '';
  for (const byte of bytes) randomPart += ALPHABET.charAt(byte % 32);
  return `${prefix}-${timePart}${randomPart}`;
}

const ID_SHAPE = /^[rc]-([0-9A-HJKMNP-TV-Z]{10})[0-9A-HJKMNP-TV-Z]{16}$/;

/** When an id of ours was issued, or null when the id is not one we issue. */
export function issuedAt(id: string): Date | null {
  const match = ID_SHAPE.exec(id);
  const timePart = match?.[1];
  if (!timePart) return null;
  let time = 0;
  for (const char of timePart) time = time * 32 + ALPHABET.indexOf(char);
  return new Date(time);
}
