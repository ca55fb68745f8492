import { decide, type Decision } from '../../src/domain/decide';
import { replayLedger, stockAdded } from '../../src/domain/events';
import { tallyId } from '../../src/domain/ids';
import { createItem, replaceItem } from '../../src/domain/item';
import type { Command, InventoryItem, LedgerEvent, Reservation, UserTally } from '../../src/domain/model';
import { counters, T0, uid } from './domain-fixtures';

/**
 * The domain applied to memory: what the store would hold if every decision were written.
 * Used by the property tests as the state the decisions run against.
 */
export class MemoryModel {
  readonly items = new Map<string, InventoryItem>();
  readonly reservations = new Map<string, Reservation>();
  readonly ledgers = new Map<string, LedgerEvent[]>();
  /** By `${inventoryId}/${userId}`, as the processor keeps them beside the item. */
  readonly tallies = new Map<string, UserTally>();

  create(inventoryId: string, available: number, now = T0, maxPerUser: number | null = null): void {
    const { item, events } = createItem(
      { inventoryId, available, name: inventoryId, maxPerUser },
      uid('c'),
      now,
    );
    this.items.set(inventoryId, item);
    this.ledgers.set(inventoryId, [...events]);
  }

  replace(inventoryId: string, available: number, now = T0, maxPerUser?: number | null): LedgerEvent[] {
    const current = this.items.get(inventoryId);
    if (!current) throw new Error(`no item ${inventoryId}`);
    const { item, events } = replaceItem(
      current,
      { inventoryId, available, name: current.name, ...(maxPerUser !== undefined ? { maxPerUser } : {}) },
      uid('c'),
      now,
    );
    this.items.set(inventoryId, item);
    this.ledgers.get(inventoryId)?.push(...events);
    return events;
  }

  /** Decides the command against the current state and writes the decision into memory. */
  apply(command: Command, now: string): Decision {
    const reservationId = 'reservationId' in command ? command.reservationId : null;
    const item = this.items.get(command.inventoryId) ?? null;
    const reservation = reservationId ? (this.reservations.get(reservationId) ?? null) : null;
    const userId = command.type === 'Reserve' ? command.userId : reservation?.userId;
    const tally = item && userId !== undefined ? this.tallyFor(item, userId, now) : null;
    const decision = decide({ item, reservation, tally, command, now });
    if (decision.kind === 'noop') return decision;
    if (decision.tally) this.tallies.set(`${command.inventoryId}/${decision.tally.userId}`, decision.tally);
    if (decision.item) this.items.set(command.inventoryId, decision.item);
    if (decision.reservation) this.reservations.set(decision.reservation.id, decision.reservation);
    if (decision.events.length > 0) {
      const ledger = this.ledgers.get(command.inventoryId);
      if (!ledger) throw new Error(`events for an item without a ledger: ${command.inventoryId}`);
      ledger.push(...decision.events);
    }
    return decision;
  }

  /** What the user holds plus has confirmed of the item, from the reservations themselves. */
  used(inventoryId: string, userId: string, status?: 'held' | 'confirmed'): number {
    return [...this.reservations.values()]
      .filter((r) => r.inventoryId === inventoryId && r.userId === userId)
      .filter((r) => (status ? r.status === status : r.status === 'held' || r.status === 'confirmed'))
      .reduce((sum, r) => sum + r.quantity, 0);
  }

  /** As the processor loads it: the kept tally under the current limit, else counted from the reservations. */
  private tallyFor(item: InventoryItem, userId: string, now: string): UserTally | null {
    if (typeof item.maxPerUser !== 'number') return null;
    const since = item.limitSince ?? 0;
    const kept = this.tallies.get(`${item.inventoryId}/${userId}`);
    if (kept?.since === since) return kept;
    const { inventoryId } = item;
    const counted = {
      held: this.used(inventoryId, userId, 'held'),
      confirmed: this.used(inventoryId, userId, 'confirmed'),
    };
    return { type: 'tally', id: tallyId(userId), inventoryId, userId, ...counted, since, updatedAt: now };
  }

  /** Throws (with a message naming the broken rule) unless every invariant of the design holds. */
  checkInvariants(): void {
    for (const [id, item] of this.items) {
      const ledger = this.ledgers.get(id) ?? [];
      const where = `item ${id} ${JSON.stringify(counters(item))}`;
      for (const key of ['available', 'reserved', 'confirmed'] as const) {
        if (item[key] < 0) throw new Error(`${where}: ${key} is negative`);
      }
      const added = ledger.reduce((sum, e) => sum + stockAdded(e), 0);
      if (added !== item.available + item.reserved + item.confirmed) {
        throw new Error(`${where}: stock added ${added} is not available + reserved + confirmed`);
      }
      const mine = [...this.reservations.values()].filter((r) => r.inventoryId === id);
      const sum = (status: Reservation['status']) =>
        mine.filter((r) => r.status === status).reduce((s, r) => s + r.quantity, 0);
      if (item.reserved !== sum('held'))
        throw new Error(`${where}: reserved is not the sum of held (${sum('held')})`);
      if (item.confirmed !== sum('confirmed')) {
        throw new Error(`${where}: confirmed is not the sum of confirmed (${sum('confirmed')})`);
      }
      const replay = replayLedger(ledger);
      if (JSON.stringify(replay) !== JSON.stringify({ ...counters(item), seq: item.seq })) {
        throw new Error(`${where} seq ${item.seq}: replay gives ${JSON.stringify(replay)}`);
      }
      ledger.forEach((e, i) => {
        if (e.seq !== i + 1 || e.inventoryId !== id)
          throw new Error(`${where}: ledger entry ${i} is out of place`);
      });
    }
    for (const tally of this.tallies.values()) {
      const item = this.items.get(tally.inventoryId);
      if (typeof item?.maxPerUser !== 'number' || tally.since !== item.limitSince) continue;
      const { inventoryId, userId } = tally;
      if (
        tally.held !== this.used(inventoryId, userId, 'held') ||
        tally.confirmed !== this.used(inventoryId, userId, 'confirmed')
      )
        throw new Error(
          `tally of ${userId} on ${inventoryId} is not what the reservations hold: ${JSON.stringify(tally)}`,
        );
    }
  }
}
