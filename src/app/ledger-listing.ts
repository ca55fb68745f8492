import { z } from 'zod';
import type { LedgerEvent, LedgerPage } from '../domain/model';
import { InvalidContinuationError, type Page } from '../ports/store';
import type { QueryDeps } from './queries';

/**
 * The ledger listing over what the store holds: events one document each (written before ledger pages), then
 * pages of a batch's events. The continuation says which of the two a listing is in, the store's own
 * continuation there and, for pages, how many pages of that store read and how many events of the next page
 * were given already. A store read can come back short or empty before the end (Cosmos DB pages do:
 * https://learn.microsoft.com/azure/cosmos-db/nosql/query/pagination); only a null continuation ends it.
 */
export async function listLedger(
  deps: QueryDeps,
  inventoryId: string,
  limit: number,
  continuation: string | undefined,
): Promise<Page<LedgerEvent>> {
  let at: Cursor = continuation === undefined ? START : decodeCursor(continuation);
  const items: LedgerEvent[] = [];
  if (at.phase === 'singles') {
    const singles = await deps.store.query<LedgerEvent>(
      inventoryId,
      { type: 'event', orderBy: 'seq' },
      { limit, ...(at.store !== null ? { continuation: at.store } : {}) },
    );
    items.push(...singles.items);
    if (singles.continuation !== null)
      return { items, continuation: encodeCursor({ ...START, store: singles.continuation }) };
    at = { phase: 'pages', store: null, size: 0, pages: 0, skip: 0 };
  }
  while (items.length < limit) {
    // Every page holds an event at least, so this many pages are enough; a resumed read repeats its size.
    const size = at.size > 0 ? at.size : Math.min(100, limit - items.length);
    const read: Page<LedgerPage> = await deps.store.query<LedgerPage>(
      inventoryId,
      { type: 'ledger-page', orderBy: 'seq' },
      { limit: size, ...(at.store !== null ? { continuation: at.store } : {}) },
    );
    for (const [n, page] of read.items.entries()) {
      if (n < at.pages) continue;
      const skip = n === at.pages ? at.skip : 0;
      const taken = page.events.slice(skip, skip + limit - items.length);
      items.push(...taken);
      if (skip + taken.length < page.events.length)
        return { items, continuation: encodeCursor({ ...at, size, pages: n, skip: skip + taken.length }) };
    }
    if (read.continuation === null) return { items, continuation: null };
    at = { phase: 'pages', store: read.continuation, size: 0, pages: 0, skip: 0 };
  }
  return { items, continuation: encodeCursor(at) };
}

const Cursor = z.strictObject({
  phase: z.enum(['singles', 'pages']),
  /** The store's continuation of the current phase's query (null: from its start). */
  store: z.string().nullable(),
  /** The page count of the store read in progress (0: none in progress). */
  size: z.int().min(0).max(100),
  /** Pages of that read already listed, and events of the next one. */
  pages: z.int().min(0).max(100),
  skip: z.int().min(0),
});
type Cursor = z.infer<typeof Cursor>;

const START: Cursor = { phase: 'singles', store: null, size: 0, pages: 0, skip: 0 };

function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify({ ledger: cursor })).toString('base64url');
}

/**
 * A token this listing issued; any other is taken for a store continuation of the single events, as listings
 * issued before ledger pages were (the store refuses it if it is not one of its own).
 */
function decodeCursor(token: string): Cursor {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    value = undefined;
  }
  if (typeof value === 'object' && value !== null && 'ledger' in value) {
    const parsed = Cursor.safeParse(value.ledger);
    if (!parsed.success) throw new InvalidContinuationError();
    return parsed.data;
  }
  return { ...START, store: token };
}
