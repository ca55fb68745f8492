import { InvalidContinuationError, type QuerySpec } from '../../ports/store';

/** Where a listing page ended: the last id (and seq, for ledger order) it returned. */
export interface Cursor {
  id: string;
  seq: number | null;
  by: QuerySpec['orderBy'];
}

export function encodeContinuation(cursor: Cursor): string {
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

/** Throws InvalidContinuationError for a token this store did not issue for this order. */
export function decodeContinuation(token: string, orderBy: QuerySpec['orderBy']): Cursor {
  try {
    const value = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Partial<Cursor>;
    if (
      typeof value.id === 'string' &&
      value.by === orderBy &&
      (value.seq === null || typeof value.seq === 'number')
    ) {
      return { id: value.id, seq: value.seq, by: value.by };
    }
  } catch {
    // fall through: not ours
  }
  throw new InvalidContinuationError();
}
