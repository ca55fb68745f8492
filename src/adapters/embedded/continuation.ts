import { InvalidContinuationError, type CrossPartitionSpec, type QuerySpec } from '../../ports/store';

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

/** Where a page across partitions ended: the last partition key and id, and what was listed. */
export interface AcrossCursor {
  pk: string;
  id: string;
  by: `across:${CrossPartitionSpec['type']}`;
}

export function encodeAcrossContinuation(cursor: AcrossCursor): string {
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

/** Throws InvalidContinuationError for a token this store did not issue for this listing. */
export function decodeAcrossContinuation(token: string, spec: CrossPartitionSpec): AcrossCursor {
  const by = `across:${spec.type}` as const;
  try {
    const value = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Partial<AcrossCursor>;
    if (typeof value.pk === 'string' && typeof value.id === 'string' && value.by === by) {
      return { pk: value.pk, id: value.id, by };
    }
  } catch {
    // fall through: not ours
  }
  throw new InvalidContinuationError();
}
