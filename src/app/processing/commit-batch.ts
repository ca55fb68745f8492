import type { InventoryItem, Reservation, UserTally } from '../../domain/model';
import type { DocumentStore, Versioned, WriteFailure } from '../../ports/store';
import { measure } from '../metrics';
import { UnexpectedWriteError } from './outcome';
import type { Batch } from './pack-batch';

export type CommitResult =
  | {
      kind: 'committed';
      /** The item as written, with its new ETag (null when the batch left it alone). */
      item: Versioned<InventoryItem> | null;
      reservations: Versioned<Reservation>[];
      tallies: Versioned<UserTally>[];
    }
  /** The command at this position was applied by an earlier delivery: its reservation or marker exists. */
  | { kind: 'duplicate'; command: number }
  /** Someone else wrote this partition (an admin PUT, or a consumer that lost its session lock). */
  | { kind: 'conflict'; failure: WriteFailure };

/** Commits one batch atomically and says what its failure, if any, means for the commands in it. */
export async function commitBatch(
  inventoryId: string,
  batch: Batch,
  store: DocumentStore,
): Promise<CommitResult> {
  const result = await store.batch(inventoryId, batch.operations);
  if (result.ok) {
    measure.batchCommitted(batch.operations.length);
    let item: Versioned<InventoryItem> | null = null;
    const reservations: Versioned<Reservation>[] = [];
    const tallies: Versioned<UserTally>[] = [];
    batch.roles.forEach((role, i) => {
      const etag = result.etags[i];
      if (typeof etag !== 'string') return;
      if (role.of === 'item' && batch.item) item = { doc: batch.item, etag };
      if (role.of === 'reservation') reservations.push({ doc: role.doc, etag });
      if (role.of === 'tally') tallies.push({ doc: role.doc, etag });
    });
    return { kind: 'committed', item, reservations, tallies };
  }
  const role = batch.roles[result.index];
  switch (result.failure) {
    case 'duplicate':
      // A taken ledger page or tally means someone else wrote; a taken reservation or marker, a redelivery.
      if (role && (role.of === 'reservation' || role.of === 'marker'))
        return { kind: 'duplicate', command: role.command };
      return { kind: 'conflict', failure: result.failure };
    case 'conflict':
    case 'notFound':
      return { kind: 'conflict', failure: result.failure };
    case 'tooLarge':
      throw new UnexpectedWriteError(
        `inventory ${inventoryId}: batch failed with ${result.failure} at ${result.index}`,
      );
  }
}
