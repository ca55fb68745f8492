import { decideAdjust, decideConfirm, decideReserve } from '../../src/domain/decide';
import { replayLedger, stockAdded } from '../../src/domain/events';
import { eventId } from '../../src/domain/ids';
import { createItem, replaceItem } from '../../src/domain/item';
import type { LedgerEvent } from '../../src/domain/model';
import { adjust, at, confirm, counters, item, reserve, T0 } from '../support/domain-fixtures';
import { nextItem, NOW, written } from '../support/decisions';

describe('decideAdjust', () => {
  const stock = item({ available: 5, reserved: 4, confirmed: 1, seq: 3 });

  it('restocks: available grows by delta, one StockAdjusted event carrying the reason', () => {
    const command = adjust(7, { reason: 'delivery' });
    const d = written(decideAdjust({ item: stock, reservation: null, command, now: NOW }));
    expect(d.kind).toBe('applied');
    expect(d.reservation).toBeNull();
    expect(counters(nextItem(d))).toEqual({ available: 12, reserved: 4, confirmed: 1 });
    expect(d.events).toHaveLength(1);
    expect(d.events[0]).toMatchObject({
      seq: 4,
      kind: 'StockAdjusted',
      quantity: 7,
      note: 'delivery',
      delta: { available: 7, reserved: 0, confirmed: 0 },
    });
    expect(stockAdded(d.events[0] as LedgerEvent)).toBe(7);
  });

  it('writes off down to exactly zero available', () => {
    const d = written(decideAdjust({ item: stock, reservation: null, command: adjust(-5), now: NOW }));
    expect(d.kind).toBe('applied');
    expect(counters(nextItem(d))).toEqual({ available: 0, reserved: 4, confirmed: 1 });
    expect(d.events[0]?.delta).toEqual({ available: -5, reserved: 0, confirmed: 0 });
  });

  it('rejects a write-off beyond available with INSUFFICIENT_STOCK (held stock cannot be written off)', () => {
    const d = written(
      decideAdjust({ item: stock, reservation: null, command: adjust(-6, { reason: 'breakage' }), now: NOW }),
    );
    expect(d.kind).toBe('rejected');
    expect(d.reason).toBe('INSUFFICIENT_STOCK');
    expect(counters(nextItem(d))).toEqual(counters(stock));
    expect(d.item?.seq).toBe(4);
    expect(d.events).toHaveLength(1);
    expect(d.events[0]).toMatchObject({
      kind: 'AdjustmentRejected',
      reason: 'INSUFFICIENT_STOCK',
      quantity: -6,
      note: 'breakage',
      delta: { available: 0, reserved: 0, confirmed: 0 },
    });
  });

  it('rejects INVENTORY_NOT_FOUND without events on a missing item', () => {
    const d = decideAdjust({ item: null, reservation: null, command: adjust(3), now: NOW });
    expect(d).toEqual({
      kind: 'rejected',
      reason: 'INVENTORY_NOT_FOUND',
      item: null,
      reservation: null,
      events: [],
      tally: null,
    });
  });
});

describe('createItem and replaceItem', () => {
  it('creates an item whose first ledger event (ItemCreated, seq 1) brings in its stock', () => {
    const { item: created, events } = createItem(
      { inventoryId: 'sku-9', available: 12, name: 'Nine' },
      'c-1',
      T0,
    );
    expect(created).toMatchObject({
      type: 'inventory',
      id: 'sku-9',
      inventoryId: 'sku-9',
      name: 'Nine',
      available: 12,
      reserved: 0,
      confirmed: 0,
      seq: 1,
      createdAt: T0,
      updatedAt: T0,
    });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      kind: 'ItemCreated',
      seq: 1,
      id: eventId(1),
      quantity: 12,
      commandId: 'c-1',
    });
    expect(events.reduce((s, e) => s + stockAdded(e), 0)).toBe(12);
    expect(replayLedger(events)).toEqual({ available: 12, reserved: 0, confirmed: 0, seq: 1 });
  });

  it('names an item after its id when created without a name, and keeps its name when replaced without one', () => {
    const { item: created } = createItem({ inventoryId: 'sku-7', available: 1 }, 'c-1', T0);
    expect(created.name).toBe('sku-7');
    const { item: named } = replaceItem(
      created,
      { inventoryId: 'sku-7', available: 1, name: 'Seven' },
      'c-2',
      NOW,
    );
    expect(named.name).toBe('Seven');
    const { item: restocked } = replaceItem(named, { inventoryId: 'sku-7', available: 5 }, 'c-3', NOW);
    expect(restocked).toMatchObject({ name: 'Seven', available: 5 });
  });

  it('creates an item with zero stock', () => {
    const { item: created, events } = createItem({ inventoryId: 'sku-0', available: 0, name: '' }, 'c-1', T0);
    expect(counters(created)).toEqual({ available: 0, reserved: 0, confirmed: 0 });
    expect(replayLedger(events)).toEqual({ available: 0, reserved: 0, confirmed: 0, seq: 1 });
  });

  it.each([
    ['raises', 20],
    ['lowers', 1],
    ['keeps', 6],
  ])(
    'replace %s available with a StockSet event; holds and confirmations stay; conservation holds',
    (_v, target) => {
      const created = createItem({ inventoryId: 'sku-9', available: 12, name: 'Nine' }, 'c-1', T0);
      const ledger = [...created.events];
      const reserved = written(
        decideReserve({
          item: created.item,
          reservation: null,
          command: reserve('r-1', 4, { inventoryId: 'sku-9' }),
          now: NOW,
        }),
      );
      ledger.push(...reserved.events);
      const confirmedHold = written(
        decideReserve({
          item: nextItem(reserved),
          reservation: null,
          command: reserve('r-2', 2, { inventoryId: 'sku-9' }),
          now: NOW,
        }),
      );
      ledger.push(...confirmedHold.events);
      const afterConfirm = written(
        decideConfirm({
          item: nextItem(confirmedHold),
          reservation: confirmedHold.reservation,
          command: confirm('r-2', { inventoryId: 'sku-9' }),
          now: NOW,
        }),
      );
      ledger.push(...afterConfirm.events);
      const before = nextItem(afterConfirm);
      expect(counters(before)).toEqual({ available: 6, reserved: 4, confirmed: 2 });

      const { item: replaced, events } = replaceItem(
        before,
        { inventoryId: 'sku-9', available: target, name: 'Renamed' },
        'c-9',
        at(20),
      );
      ledger.push(...events);
      expect(replaced).toMatchObject({
        name: 'Renamed',
        available: target,
        reserved: 4,
        confirmed: 2,
        seq: before.seq + 1,
      });
      expect(replaced.updatedAt).toBe(at(20));
      expect(replaced.createdAt).toBe(T0);
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({
        kind: 'StockSet',
        seq: before.seq + 1,
        quantity: target,
        delta: { available: target - 6, reserved: 0, confirmed: 0 },
        commandId: 'c-9',
      });
      const added = ledger.reduce((s, e) => s + stockAdded(e), 0);
      expect(added).toBe(replaced.available + replaced.reserved + replaced.confirmed);
      expect(replayLedger(ledger)).toEqual({ ...counters(replaced), seq: replaced.seq });
    },
  );
});

describe('replayLedger', () => {
  it('throws on a gap in the sequence (a lost event)', () => {
    const { events } = createItem({ inventoryId: 'sku-9', available: 1, name: 'n' }, 'c-1', T0);
    const first = events[0] as LedgerEvent;
    expect(() => replayLedger([first, { ...first, seq: 3 }])).toThrow(/gap/);
    expect(() => replayLedger([{ ...first, seq: 2 }])).toThrow(/gap/);
  });
});
