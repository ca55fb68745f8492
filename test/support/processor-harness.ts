import { ItemCache } from '../../src/app/item-cache';
import { putItem } from '../../src/app/items';
import type { ProcessorDeps } from '../../src/app/process-commands';
import type { CommandOutcome } from '../../src/app/processing/outcome';
import type { InventoryItem } from '../../src/domain/model';
import type { BatchOperation } from '../../src/ports/store';
import { fixedClock, InterceptingStore, ITEM, openTestStore, type TestStore } from './domain-fixtures';

/** One embedded store per test, seen through an InterceptingStore, with a fresh item cache. */
export class ProcessorHarness {
  t!: TestStore;
  store!: InterceptingStore;
  cache!: ItemCache;

  open(prefix: string): void {
    this.t = openTestStore(fixedClock, prefix);
    this.store = new InterceptingStore(this.t.store);
    this.cache = new ItemCache(100);
  }

  deps(overrides: Partial<ProcessorDeps> = {}): ProcessorDeps {
    return { store: this.store, clock: fixedClock, cache: this.cache, ...overrides };
  }

  async createItem(available: number, inventoryId = ITEM): Promise<void> {
    const put = await putItem(
      { store: this.t.store, clock: fixedClock },
      { inventoryId, available, name: inventoryId },
      undefined,
    );
    if (put.kind !== 'created') throw new Error(`could not create ${inventoryId}: ${put.kind}`);
  }

  async itemDoc(inventoryId = ITEM): Promise<{ doc: InventoryItem; etag: string }> {
    const read = await this.t.store.read<InventoryItem>(inventoryId, inventoryId);
    if (!read) throw new Error(`no item ${inventoryId}`);
    return read;
  }

  /** Replaces the item behind the processor's back (an admin write): its ETag changes, the counters do not. */
  async touchItem(inventoryId = ITEM): Promise<void> {
    const current = await this.itemDoc(inventoryId);
    const renamed: InventoryItem = { ...current.doc, name: `${current.doc.name}!` };
    const written = await this.t.store.replace(inventoryId, renamed, current.etag);
    if (!written.ok) throw new Error('touch failed');
  }
}

/** Registers beforeEach/afterEach and answers the harness of the running test. */
export function useProcessorHarness(prefix: string): ProcessorHarness {
  const h = new ProcessorHarness();
  beforeEach(() => h.open(prefix));
  afterEach(() => h.t.close());
  return h;
}

export function brief(outcomes: CommandOutcome[]): string[] {
  return outcomes.map((o) => `${o.status}${o.reason ? `:${o.reason}` : ''}`);
}

/** The operations of a batch as a sorted multiset: their order inside an atomic batch means nothing. */
export function opsSummary(ops: readonly BatchOperation[]): string[] {
  return ops.map((op) => (op.op === 'delete' ? `delete:${op.id}` : `${op.op}:${op.doc.type}`)).sort();
}
