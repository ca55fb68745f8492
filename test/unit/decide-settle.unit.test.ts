import {
  decideCancel,
  decideConfirm,
  decideExpireHold,
  type Decision,
  type DecisionInput,
} from '../../src/domain/decide';
import type { CancelCommand, ConfirmCommand, ReservationStatus } from '../../src/domain/model';
import { at, cancel, confirm, counters, expireHold, held, item } from '../support/domain-fixtures';
import { kinds, nextItem, NOW, written } from '../support/decisions';

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
