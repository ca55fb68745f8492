import { cartPartition, type Cart } from '../domain/cart-model';
import { commandMarkerId } from '../domain/ids';
import { ledgerEvents } from '../domain/events';
import type { CommandMarker, InventoryItem, LedgerEvent, LedgerPage, Reservation } from '../domain/model';
import type { Clock } from '../ports/clock';
import {
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

/**
 * Undecided: `failed` if the service gave up on it (dead-lettered), else pending or unknown. The failure
 * record lives in `partition`; the id was issued for `idScope` (the item, or all carts).
 */
async function failedPendingOrUnknown<T>(
  deps: QueryDeps,
  partition: string,
  statusId: string,
  idScope = partition,
): Promise<StatusResult<T>> {
  const failure = await deps.store.read<FailureRecord>(partition, failureId(statusId));
  if (failure && failure.doc.type === 'failure') return { kind: 'failed', failure: failure.doc };
  return pendingOrUnknown(deps, idScope, statusId);
}

/** A cart as its session last decided it, `failed` if its PlaceCart was given up on, `pending` while it waits, or unknown. */
export async function getCart(deps: QueryDeps, cartId: string): Promise<StatusResult<Cart>> {
  const read = await deps.store.read<Cart>(cartPartition(cartId), cartId);
  if (read && read.doc.type === 'cart') return { kind: 'decided', doc: read.doc };
  return failedPendingOrUnknown(deps, cartPartition(cartId), cartId, CART_ID_SCOPE);
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

/** The whole ledger of one item, in sequence order (audits and checks). */
export async function readLedger(store: DocumentStore, inventoryId: string): Promise<LedgerEvent[]> {
  const [singles, pages] = await Promise.all([
    queryAll<LedgerEvent>(store, inventoryId, { type: 'event', orderBy: 'seq' }, 1000),
    queryAll<LedgerPage>(store, inventoryId, { type: 'ledger-page', orderBy: 'seq' }, 100),
  ]);
  return ledgerEvents(singles, pages);
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

export { listLedger } from './ledger-listing';
