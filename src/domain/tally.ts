import { tallyId } from './ids';
import type { InventoryItem, UserTally } from './model';

/** Whether the item limits what one user may take: only then are tallies kept. */
export function hasUserLimit(item: InventoryItem): item is InventoryItem & { maxPerUser: number } {
  return typeof item.maxPerUser === 'number';
}

/** What the user has of the item now: held plus confirmed, counted under the item's current limit. */
export function used(tally: UserTally | null): number {
  return tally ? tally.held + tally.confirmed : 0;
}

/**
 * The user's tally after a change, or null when the item keeps none. `tally` is the current one (null:
 * the user has nothing of this item under its current limit).
 */
export function changeTally(
  item: InventoryItem,
  tally: UserTally | null,
  userId: string,
  change: { held: number; confirmed?: number },
  now: string,
): UserTally | null {
  if (!hasUserLimit(item)) return null;
  const base: UserTally = tally ?? {
    type: 'tally',
    id: tallyId(userId),
    inventoryId: item.inventoryId,
    userId,
    held: 0,
    confirmed: 0,
    since: item.limitSince ?? 0,
    updatedAt: now,
  };
  return {
    ...base,
    held: base.held + change.held,
    confirmed: base.confirmed + (change.confirmed ?? 0),
    updatedAt: now,
  };
}
