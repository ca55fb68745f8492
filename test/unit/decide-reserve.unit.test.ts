import { decide, decideReserve } from '../../src/domain/decide';
import { eventId } from '../../src/domain/ids';
import type { ReservationStatus } from '../../src/domain/model';
import { at, counters, held, item, reserve } from '../support/domain-fixtures';
import { kinds, nextItem, NOW, written } from '../support/decisions';

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
