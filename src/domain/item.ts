import { applyEvents, delta } from './events';
import type { InventoryItem, LedgerEvent } from './model';

export interface ItemSpec {
  inventoryId: string;
  available: number;
  /** Absent: a new item is named after its id, a replaced one keeps its name. */
  name?: string;
  /** Most one user may hold plus have confirmed. Absent: a new item has none, a replaced one keeps its own; null: none. */
  maxPerUser?: number | null;
}

/**
 * The item with the limit the spec asks for. A limit that starts (none before) opens a new epoch at the
 * item's current sequence number: tallies counted under an earlier limit were not kept up since, so they
 * are rebuilt; a changed limit keeps its epoch, its tallies stayed exact.
 */
function withLimit(item: InventoryItem, previous: InventoryItem | null, spec: ItemSpec): InventoryItem {
  const { maxPerUser: _limit, limitSince: _since, ...rest } = item;
  const limit = spec.maxPerUser === undefined ? (previous?.maxPerUser ?? null) : spec.maxPerUser;
  if (limit === null) return rest;
  const since = typeof previous?.maxPerUser === 'number' ? (previous.limitSince ?? item.seq) : item.seq;
  return { ...rest, maxPerUser: limit, limitSince: since };
}

/** Creating an item is its first ledger event, so the ledger explains every unit of stock. */
export function createItem(
  spec: ItemSpec,
  commandId: string,
  now: string,
): { item: InventoryItem; events: LedgerEvent[] } {
  const empty: InventoryItem = {
    type: 'inventory',
    id: spec.inventoryId,
    inventoryId: spec.inventoryId,
    name: spec.name ?? spec.inventoryId,
    available: 0,
    reserved: 0,
    confirmed: 0,
    seq: 0,
    createdAt: now,
    updatedAt: now,
  };
  const created = applyEvents(
    empty,
    [{ kind: 'ItemCreated', delta: delta(spec.available), quantity: spec.available }],
    commandId,
    now,
  );
  return { item: withLimit(created.item, null, spec), events: created.events };
}

/**
 * Replacing an item (admin PUT) sets the available stock, and the name and per-user limit when given; holds
 * and confirmations stay. The difference is recorded as a StockSet event so conservation still holds.
 */
export function replaceItem(
  current: InventoryItem,
  spec: ItemSpec,
  commandId: string,
  now: string,
): { item: InventoryItem; events: LedgerEvent[] } {
  const change = spec.available - current.available;
  const next = applyEvents(
    { ...current, name: spec.name ?? current.name },
    [{ kind: 'StockSet', delta: delta(change), quantity: spec.available }],
    commandId,
    now,
  );
  return { item: withLimit(next.item, current, spec), events: next.events };
}
