import { cartPartition, type Cart } from '../domain/cart-model';
import { commandMarkerId } from '../domain/ids';
import { ledgerEvents } from '../domain/events';
import type { CommandMarker, InventoryItem, LedgerEvent, LedgerPage, Reservation } from '../domain/model';
import type { Clock } from '../ports/clock';
import {
  InvalidContinuationError,
  type DocumentStore,
  type Page,
  type QuerySpec,
  type StoredDocument,
  type Versioned,
} from '../ports/store';
import { CART_ID_SCOPE } from './accept-cart';
import { failureId, type FailureRecord } from './failures';
import { issuedAt } from './ids';

export interface QueryDeps {
  store: DocumentStore;
  clock: Clock;
  /** How long an accepted but undecided id answers `pending` before it is treated as unknown. */
  pendingHorizonMs: number;
}

export function getItem(deps: QueryDeps, inventoryId: string): Promise<Versioned<InventoryItem> | null> {
  return deps.store.read<InventoryItem>(inventoryId, inventoryId);
}

export type StatusResult<T> =
  | { kind: 'decided'; doc: T }
  | { kind: 'failed'; failure: FailureRecord }
  | { kind: 'pending'; issuedAt: Date }
  | { kind: 'not-found' };

/**
 * `pending` only for an id of ours issued within the horizon: an id that was never accepted (or a
 * made-up one) answers 404 instead of `pending` forever. Ids are only ever handed out in a 202.
 */
export async function getReservation(
  deps: QueryDeps,
  inventoryId: string,
  reservationId: string,
): Promise<StatusResult<Reservation>> {
  const read = await deps.store.read<Reservation>(inventoryId, reservationId);
  if (read && read.doc.type === 'reservation') return { kind: 'decided', doc: read.doc };
  return failedPendingOrUnknown(deps, inventoryId, reservationId);
}

export async function getCommand(
  deps: QueryDeps,
  inventoryId: string,
  commandId: string,
): Promise<StatusResult<CommandMarker>> {
  const read = await deps.store.read<CommandMarker>(inventoryId, commandMarkerId(commandId));
  if (read) return { kind: 'decided', doc: read.doc };
  return failedPendingOrUnknown(deps, inventoryId, commandId);
}

/** Undecided: `failed` if the service gave up on it (dead-lettered), else pending or unknown. */
async function failedPendingOrUnknown<T>(
  deps: QueryDeps,
  inventoryId: string,
  statusId: string,
): Promise<StatusResult<T>> {
  const failure = await deps.store.read<FailureRecord>(inventoryId, failureId(statusId));
  if (failure && failure.doc.type === 'failure') return { kind: 'failed', failure: failure.doc };
  return pendingOrUnknown(deps, inventoryId, statusId);
}

/** A cart as its session last decided it, `failed` if its PlaceCart was given up on, `pending` while it waits, or unknown. */
export async function getCart(deps: QueryDeps, cartId: string): Promise<StatusResult<Cart>> {
  const read = await deps.store.read<Cart>(cartPartition(cartId), cartId);
  if (read && read.doc.type === 'cart') return { kind: 'decided', doc: read.doc };
  const failure = await deps.store.read<FailureRecord>(cartPartition(cartId), failureId(cartId));
  if (failure && failure.doc.type === 'failure') return { kind: 'failed', failure: failure.doc };
  return pendingOrUnknown(deps, CART_ID_SCOPE, cartId);
}

function pendingOrUnknown<T>(deps: QueryDeps, inventoryId: string, id: string): StatusResult<T> {
  const issued = issuedAt(id, inventoryId);
  const now = deps.clock.now().getTime();
  if (issued && issued.getTime() <= now + 60_000 && now - issued.getTime() <= deps.pendingHorizonMs) {
    return { kind: 'pending', issuedAt: issued };
  }
  return { kind: 'not-found' };
}

export function listReservations(
  deps: QueryDeps,
  inventoryId: string,
  status: Reservation['status'] | undefined,
  limit: number,
  continuation: string | undefined,
): Promise<Page<Reservation>> {
  return deps.store.query<Reservation>(
    inventoryId,
    { type: 'reservation', orderBy: 'id', ...(status ? { status } : {}) },
    { limit, ...(continuation ? { continuation } : {}) },
  );
}

/** A page of item documents across every partition (one item per partition): for operations tools. */
export function listItems(
  deps: QueryDeps,
  limit: number,
  continuation: string | undefined,
): Promise<Page<InventoryItem>> {
  return deps.store.queryAcrossPartitions<InventoryItem>(
    { type: 'inventory' },
    { limit, ...(continuation ? { continuation } : {}) },
  );
}

/**
 * A page of the item's ledger, `limit` events in sequence order. The store holds events one document each
 * (written before ledger pages) and then pages of events; the continuation says which of the two a listing
 * is in, the store's own continuation there and, inside a page, how many of its events were given already.
 */
export async function listLedger(
  deps: QueryDeps,
  inventoryId: string,
  limit: number,
  continuation: string | undefined,
): Promise<Page<LedgerEvent>> {
  let at = continuation === undefined ? START : decodeLedgerCursor(continuation);
  const items: LedgerEvent[] = [];
  if (at.phase === 'singles') {
    const singles = await deps.store.query<LedgerEvent>(
      inventoryId,
      { type: 'event', orderBy: 'seq' },
      { limit, ...(at.store !== null ? { continuation: at.store } : {}) },
    );
    items.push(...singles.items);
    if (singles.continuation !== null)
      return {
        items,
        continuation: encodeLedgerCursor({ phase: 'singles', store: singles.continuation, skip: 0 }),
      };
    at = { phase: 'pages', store: null, skip: 0 };
  }
  while (items.length < limit) {
    const read: Page<LedgerPage> = await deps.store.query<LedgerPage>(
      inventoryId,
      { type: 'ledger-page', orderBy: 'seq' },
      { limit: 1, ...(at.store !== null ? { continuation: at.store } : {}) },
    );
    const page = read.items[0];
    if (!page) return { items, continuation: null };
    const taken = page.events.slice(at.skip, at.skip + limit - items.length);
    items.push(...taken);
    if (at.skip + taken.length < page.events.length)
      return { items, continuation: encodeLedgerCursor({ ...at, skip: at.skip + taken.length }) };
    if (read.continuation === null) return { items, continuation: null };
    at = { phase: 'pages', store: read.continuation, skip: 0 };
  }
  return { items, continuation: encodeLedgerCursor(at) };
}

/** The whole ledger of one item, in sequence order (audits and checks). */
export async function readLedger(store: DocumentStore, inventoryId: string): Promise<LedgerEvent[]> {
  const [singles, pages] = await Promise.all([
    queryAll<LedgerEvent>(store, inventoryId, { type: 'event', orderBy: 'seq' }, 1000),
    queryAll<LedgerPage>(store, inventoryId, { type: 'ledger-page', orderBy: 'seq' }, 100),
  ]);
  return ledgerEvents(singles, pages);
}

interface LedgerCursor {
  phase: 'singles' | 'pages';
  /** The store's continuation of the current phase's query (null: from its start). */
  store: string | null;
  /** Events of the next ledger page already listed. */
  skip: number;
}

const START: LedgerCursor = { phase: 'singles', store: null, skip: 0 };

function encodeLedgerCursor(cursor: LedgerCursor): string {
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

function decodeLedgerCursor(token: string): LedgerCursor {
  try {
    const value: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (
      typeof value === 'object' &&
      value !== null &&
      'phase' in value &&
      'store' in value &&
      'skip' in value
    ) {
      const { phase, store, skip } = value;
      if (
        (phase === 'singles' || phase === 'pages') &&
        (store === null || typeof store === 'string') &&
        typeof skip === 'number' &&
        Number.isSafeInteger(skip) &&
        skip >= 0
      )
        return { phase, store, skip };
    }
  } catch {
    // fall through: not ours
  }
  throw new InvalidContinuationError();
}

/** Every document of one partition that matches, following continuations to the end (checks and tools). */
export async function queryAll<T extends StoredDocument>(
  store: DocumentStore,
  partitionKey: string,
  spec: QuerySpec,
  pageSize = 500,
): Promise<T[]> {
  const all: T[] = [];
  let continuation: string | undefined;
  do {
    const page: Page<T> = await store.query<T>(
      partitionKey,
      spec,
      continuation === undefined ? { limit: pageSize } : { limit: pageSize, continuation },
    );
    all.push(...page.items);
    continuation = page.continuation ?? undefined;
  } while (continuation !== undefined);
  return all;
}
