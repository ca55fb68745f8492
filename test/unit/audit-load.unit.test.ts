import { auditInventory } from '../../src/app/audit';
import { putItem } from '../../src/app/items';
import type { InventoryItem, UserTally } from '../../src/domain/model';
import type { Page, PageRequest, QuerySpec, StoredDocument } from '../../src/ports/store';
import { fixedClock, InterceptingStore, openTestStore, T0, type TestStore } from '../support/domain-fixtures';

/**
 * The audit use case over a real embedded store: it reads every document the audit needs (tallies included)
 * as one state of the partition, reading again when a decision lands while it reads.
 */

/** Rewrites the item (a new ETag, as any decision gives it) during the next `bumps` queries. */
class MovingStore extends InterceptingStore {
  bumps = 0;
  itemReads = 0;

  override async read<T extends StoredDocument>(partitionKey: string, id: string) {
    if (id === partitionKey) this.itemReads += 1;
    return super.read<T>(partitionKey, id);
  }

  override async query<T extends StoredDocument>(
    partitionKey: string,
    spec: QuerySpec,
    page: PageRequest,
  ): Promise<Page<T>> {
    if (this.bumps > 0) {
      this.bumps -= 1;
      const item = await this.inner.read<InventoryItem>(partitionKey, partitionKey);
      if (item) await this.inner.replace(partitionKey, { ...item.doc });
    }
    return super.query<T>(partitionKey, spec, page);
  }
}

let t: TestStore;
let store: MovingStore;

beforeEach(async () => {
  t = openTestStore();
  store = new MovingStore(t.store);
  const put = await putItem(
    { store, clock: fixedClock },
    { inventoryId: 'sku-1', available: 5, maxPerUser: 3 },
    undefined,
  );
  expect(put.kind).toBe('created');
  store.itemReads = 0;
});
afterEach(async () => {
  await t.close();
});

describe('auditing an item through the store', () => {
  it('answers not-found for an item that does not exist', async () => {
    expect(await auditInventory({ store }, 'nope')).toEqual({ kind: 'not-found' });
  });

  it('reads again when the item changed while its documents were read, and audits the settled state', async () => {
    store.bumps = 1;
    const outcome = await auditInventory({ store }, 'sku-1');
    expect(outcome).toMatchObject({ kind: 'audited', result: { status: 'consistent' } });
    expect(store.itemReads).toBe(4);
  });

  it('gives up as unsettled when the item changes during every attempt', async () => {
    store.bumps = Number.POSITIVE_INFINITY;
    expect(await auditInventory({ store }, 'sku-1', 3)).toEqual({ kind: 'unsettled', attempts: 3 });
    expect(store.itemReads).toBe(6);
  });

  it("loads the item's tallies and names one its reservations do not explain", async () => {
    const item = (await t.store.read<InventoryItem>('sku-1', 'sku-1'))?.doc;
    const tally: UserTally = {
      type: 'tally',
      id: 'tally:user-1',
      inventoryId: 'sku-1',
      userId: 'user-1',
      held: 1,
      confirmed: 0,
      since: item?.limitSince ?? -1,
      updatedAt: T0,
    };
    await t.store.create('sku-1', tally);
    const outcome = await auditInventory({ store }, 'sku-1');
    expect(outcome).toMatchObject({
      kind: 'audited',
      inventoryId: 'sku-1',
      result: {
        status: 'inconsistent',
        checked: { events: 1, reservations: 0, tallies: 1 },
        differences: [{ check: 'tally', subject: 'tally:user-1.held', expected: 0, found: 1 }],
      },
    });
  });
});
