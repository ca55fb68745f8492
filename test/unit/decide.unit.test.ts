import {
  decide,
  decideAdjust,
  decideCancel,
  decideConfirm,
  decideExpireHold,
  decideReserve,
  type Decision,
  type DecisionInput,
} from '../../src/domain/decide';
import { replayLedger, stockAdded } from '../../src/domain/events';
import { eventId } from '../../src/domain/ids';
import { createItem, replaceItem } from '../../src/domain/item';
import type {
  CancelCommand,
  ConfirmCommand,
  InventoryItem,
  LedgerEvent,
  ReservationStatus,
} from '../../src/domain/model';
import {
  adjust,
  at,
  cancel,
  confirm,
  counters,
  expireHold,
  held,
  item,
  reserve,
  T0,
} from '../support/domain-fixtures';

const NOW = at(10);

function written(decision: Decision): Extract<Decision, { kind: 'applied' | 'rejected' }> {
  if (decision.kind === 'noop') throw new Error(`expected a decision to write, got noop (${decision.why})`);
  return decision;
}

function nextItem(decision: Decision): InventoryItem {
  const d = written(decision);
  if (!d.item) throw new Error('expected the item to change');
  return d.item;
}

function kinds(events: LedgerEvent[]): string[] {
  return events.map((e) => e.kind);
}

describe('decideReserve', () => {
  const stock = item({ available: 10, reserved: 2, confirmed: 3, seq: 7 });

  it('holds the stock: available moves to reserved, one ReservationHeld event with the next seq', () => {
    const command = reserve('res-a', 4, { requestedAt: at(1), expiresAt: at(900) });
    const d = written(decideReserve({ item: stock, reservation: null, command, now: NOW }));
    expect(d.kind).toBe('applied');
    expect(d.reason).toBeNull();
    expect(counters(nextItem(d))).toEqual({ available: 6, reserved: 6, confirmed: 3 });
    expect(d.item?.seq).toBe(8);
    expect(d.item?.updatedAt).toBe(NOW);
    expect(d.reservation).toMatchObject({
      id: 'res-a',
      inventoryId: stock.inventoryId,
      status: 'held',
      reason: null,
      quantity: 4,
      userId: 'user-1',
      expiresAt: at(900),
      requestedAt: at(1),
      decidedAt: NOW,
      commandId: command.commandId,
    });
    expect(d.events).toHaveLength(1);
    expect(d.events[0]).toMatchObject({
      type: 'event',
      id: eventId(8),
      seq: 8,
      kind: 'ReservationHeld',
      reservationId: 'res-a',
      quantity: 4,
      delta: { available: -4, reserved: 4, confirmed: 0 },
      commandId: command.commandId,
      inventoryId: stock.inventoryId,
      at: NOW,
    });
  });

  it('holds exactly the last units (quantity equal to available)', () => {
    const d = written(
      decideReserve({ item: stock, reservation: null, command: reserve('res-a', 10), now: NOW }),
    );
    expect(d.kind).toBe('applied');
    expect(counters(nextItem(d))).toEqual({ available: 0, reserved: 12, confirmed: 3 });
  });

  it('rejects INSUFFICIENT_STOCK: a rejected reservation, one zero-delta event, counters unchanged', () => {
    const command = reserve('res-a', 11);
    const d = written(decideReserve({ item: stock, reservation: null, command, now: NOW }));
    expect(d.kind).toBe('rejected');
    expect(d.reason).toBe('INSUFFICIENT_STOCK');
    expect(d.reservation).toMatchObject({
      id: 'res-a',
      status: 'rejected',
      reason: 'INSUFFICIENT_STOCK',
      quantity: 11,
    });
    expect(counters(nextItem(d))).toEqual(counters(stock));
    expect(d.item?.seq).toBe(8);
    expect(d.events).toHaveLength(1);
    expect(d.events[0]).toMatchObject({
      seq: 8,
      kind: 'ReservationRejected',
      reason: 'INSUFFICIENT_STOCK',
      reservationId: 'res-a',
      quantity: 11,
      delta: { available: 0, reserved: 0, confirmed: 0 },
    });
  });

  it('rejects INVENTORY_NOT_FOUND without events (there is no ledger to append to)', () => {
    const d = written(
      decideReserve({ item: null, reservation: null, command: reserve('res-a', 1), now: NOW }),
    );
    expect(d.kind).toBe('rejected');
    expect(d.reason).toBe('INVENTORY_NOT_FOUND');
    expect(d.item).toBeNull();
    expect(d.events).toEqual([]);
    expect(d.reservation).toMatchObject({ id: 'res-a', status: 'rejected', reason: 'INVENTORY_NOT_FOUND' });
  });

  it('rejects HOLD_EXPIRED when processed at or after expiresAt, even with stock', () => {
    for (const now of [at(100), at(101)]) {
      const command = reserve('res-a', 1, { requestedAt: at(0), expiresAt: at(100) });
      const d = written(decideReserve({ item: stock, reservation: null, command, now }));
      expect(d.kind).toBe('rejected');
      expect(d.reason).toBe('HOLD_EXPIRED');
      expect(d.reservation?.status).toBe('rejected');
      expect(counters(nextItem(d))).toEqual(counters(stock));
      expect(kinds(d.events)).toEqual(['ReservationRejected']);
      expect(d.events[0]?.delta).toEqual({ available: 0, reserved: 0, confirmed: 0 });
    }
    const justBefore = reserve('res-a', 1, { expiresAt: at(100) });
    expect(decideReserve({ item: stock, reservation: null, command: justBefore, now: at(99) }).kind).toBe(
      'applied',
    );
  });

  it('stores a rejected reservation with no expiresAt: it never held anything that could expire', () => {
    const command = reserve('res-a', 11, { requestedAt: at(1), expiresAt: at(900) });
    const short = written(decideReserve({ item: stock, reservation: null, command, now: NOW }));
    expect(short.reservation).toMatchObject({
      status: 'rejected',
      reason: 'INSUFFICIENT_STOCK',
      expiresAt: null,
    });
    const missing = written(decideReserve({ item: null, reservation: null, command, now: NOW }));
    expect(missing.reservation).toMatchObject({
      status: 'rejected',
      reason: 'INVENTORY_NOT_FOUND',
      expiresAt: null,
    });
    const late = written(decideReserve({ item: stock, reservation: null, command, now: at(900) }));
    expect(late.reservation).toMatchObject({ status: 'rejected', reason: 'HOLD_EXPIRED', expiresAt: null });
  });

  it('is a noop (duplicate) when the reservation already exists, whatever its status', () => {
    for (const status of ['held', 'rejected', 'confirmed', 'cancelled', 'expired'] as ReservationStatus[]) {
      const existing = held(4, { id: 'res-a', status });
      const d = decideReserve({ item: stock, reservation: existing, command: reserve('res-a', 4), now: NOW });
      expect(d).toEqual({ kind: 'noop', why: 'duplicate' });
    }
  });

  it('is what decide dispatches to', () => {
    const command = reserve('res-a', 4);
    expect(decide({ item: stock, reservation: null, command, now: NOW })).toEqual(
      decideReserve({ item: stock, reservation: null, command, now: NOW }),
    );
  });
});

describe('decideConfirm and decideCancel', () => {
  const stock = item({ available: 5, reserved: 4, confirmed: 1, seq: 3 });
  const hold = held(4, { id: 'res-a', expiresAt: at(900) });

  it('confirms a held reservation: reserved moves to confirmed', () => {
    const command = confirm('res-a', { requestedAt: at(5) });
    const d = written(decideConfirm({ item: stock, reservation: hold, command, now: NOW }));
    expect(d.kind).toBe('applied');
    expect(d.reason).toBeNull();
    expect(counters(nextItem(d))).toEqual({ available: 5, reserved: 0, confirmed: 5 });
    expect(d.item?.seq).toBe(4);
    expect(d.reservation).toMatchObject({ id: 'res-a', status: 'confirmed', quantity: 4, updatedAt: NOW });
    expect(d.events).toHaveLength(1);
    expect(d.events[0]).toMatchObject({
      seq: 4,
      kind: 'ReservationConfirmed',
      reservationId: 'res-a',
      quantity: 4,
      delta: { available: 0, reserved: -4, confirmed: 4 },
      commandId: command.commandId,
    });
  });

  it('cancels a held reservation: reserved goes back to available', () => {
    const d = written(decideCancel({ item: stock, reservation: hold, command: cancel('res-a'), now: NOW }));
    expect(d.kind).toBe('applied');
    expect(counters(nextItem(d))).toEqual({ available: 9, reserved: 0, confirmed: 1 });
    expect(d.reservation).toMatchObject({ status: 'cancelled' });
    expect(kinds(d.events)).toEqual(['ReservationCancelled']);
    expect(d.events[0]?.delta).toEqual({ available: 4, reserved: -4, confirmed: 0 });
  });

  interface Settler {
    name: string;
    run: (input: DecisionInput<ConfirmCommand | CancelCommand>) => Decision;
    make: (reservationId: string, opts?: { requestedAt?: string }) => ConfirmCommand | CancelCommand;
    rejected: string;
  }
  const settlers: Settler[] = [
    {
      name: 'Confirm',
      run: (input) => decideConfirm(input as DecisionInput<ConfirmCommand>),
      make: confirm,
      rejected: 'ConfirmRejected',
    },
    {
      name: 'Cancel',
      run: (input) => decideCancel(input as DecisionInput<CancelCommand>),
      make: cancel,
      rejected: 'CancelRejected',
    },
  ];

  describe.each(settlers)('$name', ({ run, make, rejected }) => {
    it.each(['rejected', 'confirmed', 'cancelled'] as ReservationStatus[])(
      'of a %s reservation is rejected HOLD_NOT_ACTIVE and changes no counter',
      (status) => {
        const done = { ...hold, status };
        const d = written(run({ item: stock, reservation: done, command: make('res-a'), now: NOW }));
        expect(d.kind).toBe('rejected');
        expect(d.reason).toBe('HOLD_NOT_ACTIVE');
        expect(d.reservation).toBeNull();
        expect(counters(nextItem(d))).toEqual(counters(stock));
        expect(d.item?.seq).toBe(4);
        expect(kinds(d.events)).toEqual([rejected]);
        expect(d.events[0]).toMatchObject({ reason: 'HOLD_NOT_ACTIVE', reservationId: 'res-a', seq: 4 });
        expect(d.events[0]?.delta).toEqual({ available: 0, reserved: 0, confirmed: 0 });
      },
    );

    it('of a hold whose ExpireHold came first is rejected HOLD_EXPIRED and changes no counter', () => {
      const expired = { ...hold, status: 'expired' as const, reason: 'HOLD_EXPIRED' as const };
      const command = make('res-a', { requestedAt: at(950) });
      const d = written(run({ item: stock, reservation: expired, command, now: at(951) }));
      expect(d.kind).toBe('rejected');
      expect(d.reason).toBe('HOLD_EXPIRED');
      expect(d.reservation).toBeNull();
      expect(counters(nextItem(d))).toEqual(counters(stock));
      expect(kinds(d.events)).toEqual([rejected]);
      expect(d.events[0]).toMatchObject({ reason: 'HOLD_EXPIRED', reservationId: 'res-a' });
    });

    it('of an unknown reservation is rejected RESERVATION_NOT_FOUND', () => {
      const d = written(run({ item: stock, reservation: null, command: make('res-x'), now: NOW }));
      expect(d.kind).toBe('rejected');
      expect(d.reason).toBe('RESERVATION_NOT_FOUND');
      expect(d.reservation).toBeNull();
      expect(counters(nextItem(d))).toEqual(counters(stock));
      expect(kinds(d.events)).toEqual([rejected]);
      expect(d.events[0]).toMatchObject({ reason: 'RESERVATION_NOT_FOUND', reservationId: 'res-x' });
    });

    it('on a missing item is rejected INVENTORY_NOT_FOUND without events', () => {
      const d = written(run({ item: null, reservation: hold, command: make('res-a'), now: NOW }));
      expect(d).toEqual({
        kind: 'rejected',
        reason: 'INVENTORY_NOT_FOUND',
        item: null,
        reservation: null,
        events: [],
        tally: null,
      });
    });

    it.each([
      ['at', 900],
      ['after', 901],
    ])('requested %s expiresAt is rejected HOLD_EXPIRED and releases the hold', (_when, seconds) => {
      // Processed long after, but judged by when it was requested; and vice versa below.
      const command = make('res-a', { requestedAt: at(seconds) });
      const d = written(run({ item: stock, reservation: hold, command, now: at(seconds + 5) }));
      expect(d.kind).toBe('rejected');
      expect(d.reason).toBe('HOLD_EXPIRED');
      expect(d.reservation).toMatchObject({ id: 'res-a', status: 'expired', reason: 'HOLD_EXPIRED' });
      expect(counters(nextItem(d))).toEqual({ available: 9, reserved: 0, confirmed: 1 });
      expect(d.item?.seq).toBe(5);
      expect(kinds(d.events)).toEqual(['HoldExpired', rejected]);
      expect(d.events.map((e) => e.seq)).toEqual([4, 5]);
      expect(d.events[0]?.delta).toEqual({ available: 4, reserved: -4, confirmed: 0 });
      expect(d.events[1]).toMatchObject({
        reason: 'HOLD_EXPIRED',
        delta: { available: 0, reserved: 0, confirmed: 0 },
      });
    });

    it('requested before expiresAt succeeds even when processed after it (a backlog is not an expiry)', () => {
      const command = make('res-a', { requestedAt: at(899) });
      const d = written(run({ item: stock, reservation: hold, command, now: at(5000) }));
      expect(d.kind).toBe('applied');
    });
  });
});

describe('decideExpireHold', () => {
  const stock = item({ available: 5, reserved: 4, confirmed: 1, seq: 3 });
  const hold = held(4, { id: 'res-a' });

  it('expires a held reservation and releases its stock', () => {
    const command = expireHold('res-a');
    const d = written(decideExpireHold({ item: stock, reservation: hold, command, now: NOW }));
    expect(d.kind).toBe('applied');
    expect(d.reason).toBeNull();
    expect(d.reservation).toMatchObject({
      id: 'res-a',
      status: 'expired',
      reason: 'HOLD_EXPIRED',
      updatedAt: NOW,
    });
    expect(counters(nextItem(d))).toEqual({ available: 9, reserved: 0, confirmed: 1 });
    expect(d.events).toHaveLength(1);
    expect(d.events[0]).toMatchObject({
      seq: 4,
      kind: 'HoldExpired',
      quantity: 4,
      delta: { available: 4, reserved: -4, confirmed: 0 },
      commandId: command.commandId,
    });
  });

  it.each(['confirmed', 'cancelled', 'rejected', 'expired'] as ReservationStatus[])(
    'is a noop for a %s reservation',
    (status) => {
      const d = decideExpireHold({
        item: stock,
        reservation: { ...hold, status },
        command: expireHold('res-a'),
        now: NOW,
      });
      expect(d).toEqual({ kind: 'noop', why: 'hold-not-active' });
    },
  );

  it('is a noop for a missing reservation or a missing item', () => {
    expect(
      decideExpireHold({ item: stock, reservation: null, command: expireHold('res-a'), now: NOW }),
    ).toEqual({
      kind: 'noop',
      why: 'hold-not-active',
    });
    expect(
      decideExpireHold({ item: null, reservation: hold, command: expireHold('res-a'), now: NOW }),
    ).toEqual({
      kind: 'noop',
      why: 'hold-not-active',
    });
  });
});

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
