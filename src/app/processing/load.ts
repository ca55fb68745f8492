import type { Command, InventoryItem, Reservation } from '../../domain/model';
import type { DocumentStore, Versioned } from '../../ports/store';
import type { ItemCache } from '../item-cache';

/** What the processor knows of one item's partition: the item and the reservations it has read or written. */
export interface PartitionState {
  item: Versioned<InventoryItem> | null;
  /** null: read and absent. Missing: not read yet. */
  reservations: Map<string, Versioned<Reservation> | null>;
}

/** The item from the cache, or read (and cached) when it is not there or `fresh` asks for the stored one. */
export async function loadItem(
  inventoryId: string,
  store: DocumentStore,
  cache: ItemCache,
  fresh: boolean,
): Promise<Versioned<InventoryItem> | null> {
  const cached = fresh ? undefined : cache.get(inventoryId);
  if (cached) return cached;
  const read = await store.read<InventoryItem>(inventoryId, inventoryId);
  if (read) cache.set(inventoryId, read);
  return read;
}

/**
 * Reads the reservations these commands act on that are not known yet. A Reserve relies on the 409 of its
 * create instead of a read, so the common path stays read-free.
 */
export async function loadReservations(
  inventoryId: string,
  commands: readonly Command[],
  state: PartitionState,
  store: DocumentStore,
): Promise<void> {
  for (const command of commands) {
    if (command.type === 'Reserve' || !('reservationId' in command)) continue;
    const id = command.reservationId;
    if (state.reservations.has(id)) continue;
    state.reservations.set(id, await store.read<Reservation>(inventoryId, id));
  }
}
