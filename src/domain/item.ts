import { applyEvents, delta } from './events';
import type { InventoryItem, LedgerEvent } from './model';

export interface ItemSpec {
  inventoryId: string;
  available: number;
  /** Absent: a new item is named after its id, a replaced one keeps its name. */
  name?: string;
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
  return applyEvents(
    empty,
    [{ kind: 'ItemCreated', delta: delta(spec.available), quantity: spec.available }],
    commandId,
    now,
  );
}

/**
 * Replacing an item (admin PUT) sets the available stock, and the name when one is given; holds and
 * confirmations stay. The difference is recorded as a StockSet event so conservation still holds.
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
  return next;
}
