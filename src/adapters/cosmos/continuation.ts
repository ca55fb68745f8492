import { InvalidContinuationError, type CrossPartitionSpec, type QuerySpec } from '../../ports/store';

/**
 * Our continuation tokens wrap the SDK's own (`c`) with what the query was, so a token is refused for any
 * other partition, query or listing instead of being handed to the service.
 */

/** What a one-partition continuation token is bound to. */
export interface Cursor {
  p: string;
  t: QuerySpec['type'];
  s: string | null;
  u: string | null;
  o: QuerySpec['orderBy'];
}

export function encodeContinuation(cursor: Cursor & { c: string }): string {
  return Buffer.from(JSON.stringify({ v: 1, ...cursor }), 'utf8').toString('base64url');
}

/** The SDK token inside one of our tokens, if it was issued for this very partition and query. */
export function decodeContinuation(token: string, expected: Cursor): string {
  try {
    const value = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Partial<Cursor> & {
      v?: unknown;
      c?: unknown;
    };
    if (
      value.v === 1 &&
      typeof value.c === 'string' &&
      value.c !== '' &&
      value.p === expected.p &&
      value.t === expected.t &&
      value.s === expected.s &&
      (value.u ?? null) === expected.u &&
      value.o === expected.o
    ) {
      return value.c;
    }
  } catch {
    // fall through: not ours
  }
  throw new InvalidContinuationError();
}

export function encodeAcrossContinuation(spec: CrossPartitionSpec, sdkToken: string): string {
  return Buffer.from(JSON.stringify({ v: 1, x: spec.type, c: sdkToken }), 'utf8').toString('base64url');
}

/** The SDK token inside one of our cross-partition tokens, if it was issued for this listing. */
export function decodeAcrossContinuation(token: string, spec: CrossPartitionSpec): string {
  try {
    const value = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as {
      v?: unknown;
      x?: unknown;
      c?: unknown;
    };
    if (value.v === 1 && value.x === spec.type && typeof value.c === 'string' && value.c !== '')
      return value.c;
  } catch {
    // fall through: not ours
  }
  throw new InvalidContinuationError();
}
