import type { InventoryItem } from '../domain/model';
import type { Versioned } from '../ports/store';

/**
 * Per-process LRU of item documents with their ETags, so the next command of a session needs no read.
 * Safe because every write is conditional on the ETag: a stale entry costs one 412, then it is evicted.
 */
export class ItemCache {
  private readonly entries = new Map<string, Versioned<InventoryItem>>();

  constructor(readonly capacity: number) {}

  get(inventoryId: string): Versioned<InventoryItem> | undefined {
    const entry = this.entries.get(inventoryId);
    if (entry) {
      this.entries.delete(inventoryId);
      this.entries.set(inventoryId, entry);
    }
    return entry;
  }

  set(inventoryId: string, entry: Versioned<InventoryItem>): void {
    if (this.capacity <= 0) return;
    this.entries.delete(inventoryId);
    this.entries.set(inventoryId, entry);
    while (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }

  evict(inventoryId: string): void {
    this.entries.delete(inventoryId);
  }

  get size(): number {
    return this.entries.size;
  }
}
