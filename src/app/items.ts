import { ledgerPage } from '../domain/events';
import { createItem, replaceItem, type ItemSpec } from '../domain/item';
import type { InventoryItem, LedgerEvent } from '../domain/model';
import type { Clock } from '../ports/clock';
import type { BatchOperation, DocumentStore, Versioned } from '../ports/store';
import { newId } from './ids';

export type PutItemResult =
  | { kind: 'created' | 'replaced'; item: InventoryItem; etag: string }
  /** The item exists and the caller sent no If-Match (428). */
  | { kind: 'precondition-required'; etag: string }
  /** If-Match does not match the current ETag (412), or If-Match (even `*`) on an item that does not exist. */
  | { kind: 'precondition-failed'; etag: string | null };

/**
 * The admin write path: creates an item (first ledger event) or replaces it under If-Match. It writes
 * through the same ETag check as the consumer, so it can never overwrite a decision it has not seen.
 */
export async function putItem(
  deps: { store: DocumentStore; clock: Clock },
  spec: ItemSpec,
  ifMatch: string | undefined,
): Promise<PutItemResult> {
  const now = deps.clock.now();
  const current = await deps.store.read<InventoryItem>(spec.inventoryId, spec.inventoryId);
  if (!current) {
    // RFC 9110 13.1.1: If-Match, `*` included, is false when there is no current representation.
    if (ifMatch !== undefined) return { kind: 'precondition-failed', etag: null };
    const { item, events } = createItem(spec, newId('c', now, spec.inventoryId), now.toISOString());
    const result = await deps.store.batch(spec.inventoryId, [{ op: 'create', doc: item }, ...pageOf(events)]);
    if (result.ok && typeof result.etags[0] === 'string')
      return { kind: 'created', item, etag: result.etags[0] };
    // Created concurrently by another request: the caller must now say which version it replaces.
    const raced = await deps.store.read<InventoryItem>(spec.inventoryId, spec.inventoryId);
    return { kind: 'precondition-required', etag: raced?.etag ?? '' };
  }
  if (ifMatch === undefined) return { kind: 'precondition-required', etag: current.etag };
  if (!ifMatchHolds(ifMatch, current.etag)) return { kind: 'precondition-failed', etag: current.etag };
  return replace(deps.store, current, spec, now);
}

/** `*`, or a comma-separated list of entity tags one of which is the current one (strong comparison). */
function ifMatchHolds(ifMatch: string, etag: string): boolean {
  if (ifMatch.trim() === '*') return true;
  return ifMatch.split(',').some((tag) => tag.trim() === etag);
}

async function replace(
  store: DocumentStore,
  current: Versioned<InventoryItem>,
  spec: ItemSpec,
  now: Date,
): Promise<PutItemResult> {
  const { item, events } = replaceItem(
    current.doc,
    spec,
    newId('c', now, spec.inventoryId),
    now.toISOString(),
  );
  const result = await store.batch(spec.inventoryId, [
    { op: 'replace', doc: item, ifMatch: current.etag },
    ...pageOf(events),
  ]);
  if (result.ok && typeof result.etags[0] === 'string')
    return { kind: 'replaced', item, etag: result.etags[0] };
  const latest = await store.read<InventoryItem>(spec.inventoryId, spec.inventoryId);
  return { kind: 'precondition-failed', etag: latest?.etag ?? null };
}

/** The write of an admin change's events: one ledger page, or nothing when it changed no counter. */
function pageOf(events: readonly LedgerEvent[]): BatchOperation[] {
  return events.length > 0 ? [{ op: 'create', doc: ledgerPage(events) }] : [];
}
