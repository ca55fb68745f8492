import { tallyId } from '../../domain/ids';
import type { Command, InventoryItem, Reservation, UserTally } from '../../domain/model';
import { hasUserLimit } from '../../domain/tally';
import type { DocumentStore, Versioned } from '../../ports/store';
import type { ItemCache } from '../item-cache';
import { queryAll } from '../queries';

/** A user's tally as it counts now, and the ETag of the stored document it replaces (null: create it). */
export interface TallyState {
  tally: UserTally;
  etag: string | null;
}

/** What the processor knows of one item's partition: the item and the reservations it has read or written. */
export interface PartitionState {
  item: Versioned<InventoryItem> | null;
  /** null: read and absent. Missing: not read yet. */
  reservations: Map<string, Versioned<Reservation> | null>;
  /** By user id, read only while the item has a per-user limit. */
  tallies: Map<string, TallyState>;
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

/**
 * Reads the tallies of the users these commands are about, when the item limits what one user may take.
 * A tally missing or counted under an earlier limit (not kept up while there was none) is counted again
 * from the user's held and confirmed reservations.
 */
export async function loadTallies(
  inventoryId: string,
  commands: readonly Command[],
  state: PartitionState,
  store: DocumentStore,
  now: string,
): Promise<void> {
  const item = state.item?.doc;
  if (!item || !hasUserLimit(item)) return;
  const since = item.limitSince ?? 0;
  for (const userId of usersOf(commands, state)) {
    if (state.tallies.get(userId)?.tally.since === since) continue;
    const stored = await store.read<UserTally>(inventoryId, tallyId(userId));
    const tally =
      stored && stored.doc.since === since
        ? stored.doc
        : await countTally(inventoryId, userId, since, store, now);
    state.tallies.set(userId, { tally, etag: stored?.etag ?? null });
  }
}

/** The users whose holds the commands take, settle or release. */
function usersOf(commands: readonly Command[], state: PartitionState): Set<string> {
  const users = new Set<string>();
  for (const command of commands) {
    if (command.type === 'Reserve') users.add(command.userId);
    else if ('reservationId' in command) {
      const stored = state.reservations.get(command.reservationId);
      if (stored) users.add(stored.doc.userId);
    }
  }
  return users;
}

async function countTally(
  inventoryId: string,
  userId: string,
  since: number,
  store: DocumentStore,
  now: string,
): Promise<UserTally> {
  const sum = async (status: 'held' | 'confirmed') =>
    (
      await queryAll<Reservation>(store, inventoryId, { type: 'reservation', status, userId, orderBy: 'id' })
    ).reduce((total, r) => total + r.quantity, 0);
  return {
    type: 'tally',
    id: tallyId(userId),
    inventoryId,
    userId,
    held: await sum('held'),
    confirmed: await sum('confirmed'),
    since,
    updatedAt: now,
  };
}
