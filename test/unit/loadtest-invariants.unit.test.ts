import {
  checkInvariants,
  type InvariantInput,
  type ItemSnapshot,
  type ViolationCode,
} from '../../tools/loadtest/invariants';
import { ev } from '../support/loadtest-ledger';

/** Item A: stock 2; r1 held then confirmed (by cmd k1), r2 held then cancelled (k2), r3 held, r4 rejected. */
function consistent(): InvariantInput {
  const ledger = [
    ev(1, 'ItemCreated', [2, 0, 0]),
    ev(2, 'ReservationHeld', [-1, 1, 0], 'r1'),
    ev(3, 'ReservationHeld', [-1, 1, 0], 'r2'),
    ev(4, 'ReservationRejected', [0, 0, 0], 'r4'),
    ev(5, 'ReservationConfirmed', [0, -1, 1], 'r1', 'k1'),
    ev(6, 'ReservationCancelled', [1, -1, 0], 'r2', 'k2'),
    ev(7, 'ReservationHeld', [-1, 1, 0], 'r3'),
  ];
  const item: ItemSnapshot = {
    inventoryId: 'A',
    counters: { available: 0, reserved: 1, confirmed: 1, seq: 7 },
    reservations: [
      { reservationId: 'r1', status: 'confirmed', quantity: 1 },
      { reservationId: 'r2', status: 'cancelled', quantity: 1 },
      { reservationId: 'r3', status: 'held', quantity: 1 },
      { reservationId: 'r4', status: 'rejected', quantity: 1 },
    ],
    ledger,
  };
  return {
    items: [item],
    accepted: ['r1', 'r2', 'r3', 'r4'].map((reservationId) => ({ inventoryId: 'A', reservationId })),
    settles: [
      { inventoryId: 'A', reservationId: 'r1', commandId: 'k1', type: 'Confirm' },
      { inventoryId: 'A', reservationId: 'r2', commandId: 'k2', type: 'Cancel' },
    ],
    initialStock: { A: 2 },
  };
}

const codes = (input: InvariantInput): ViolationCode[] => checkInvariants(input).map((v) => v.code);
const itemOf = (input: InvariantInput) => input.items[0] as ItemSnapshot;

describe('checkInvariants', () => {
  it('passes a consistent run', () => {
    expect(checkInvariants(consistent())).toEqual([]);
  });

  it('passes when events landed after the counters were read', () => {
    const input = consistent();
    const item = itemOf(input);
    item.ledger.push(ev(8, 'HoldExpired', [1, -1, 0], 'r3', 'c-r3.expire'));
    expect(checkInvariants(input)).toEqual([]);
  });

  it('fails an oversold item', () => {
    const input = consistent();
    const item = itemOf(input);
    // A fifth hold on an item with stock 2 and two units already out: available goes negative too.
    item.ledger.push(ev(8, 'ReservationHeld', [-1, 1, 0], 'r5'), ev(9, 'ReservationHeld', [-1, 1, 0], 'r6'));
    item.counters = { available: -2, reserved: 3, confirmed: 1, seq: 9 };
    item.reservations.push(
      { reservationId: 'r5', status: 'held', quantity: 1 },
      { reservationId: 'r6', status: 'held', quantity: 1 },
    );
    const found = codes(input);
    expect(found).toContain('OVERSELL');
    expect(found).toContain('NEGATIVE_COUNTER');
  });

  it('fails a lost request: a 202 with no decision', () => {
    const input = consistent();
    input.accepted = [...input.accepted, { inventoryId: 'A', reservationId: 'r-lost' }];
    const violations = checkInvariants(input);
    expect(violations.map((v) => v.code).sort()).toEqual(['NOT_DECIDED', 'RESERVATION_MISSING']);
    expect(violations[0]?.reservationId).toBe('r-lost');
  });

  it('fails a reservation still pending at the end', () => {
    const input = consistent();
    const item = itemOf(input);
    item.reservations = item.reservations.map((r) =>
      r.reservationId === 'r3' ? { ...r, status: 'pending' } : r,
    );
    expect(codes(input)).toContain('RESERVATION_MISSING');
  });

  it('fails a double decision', () => {
    const input = consistent();
    const item = itemOf(input);
    item.ledger.push(ev(8, 'ReservationRejected', [0, 0, 0], 'r3'));
    item.counters = { ...(item.counters as NonNullable<ItemSnapshot['counters']>), seq: 8 };
    expect(codes(input)).toContain('DOUBLE_DECISION');
  });

  it('fails counters that differ from the ledger replay', () => {
    const input = consistent();
    const item = itemOf(input);
    item.counters = { available: 1, reserved: 0, confirmed: 1, seq: 7 };
    expect(codes(input)).toContain('COUNTER_MISMATCH');
  });

  it('fails a seq gap', () => {
    const input = consistent();
    const item = itemOf(input);
    item.ledger = item.ledger.filter((e) => e.seq !== 4);
    expect(codes(input)).toContain('SEQ_GAP');
  });

  it('fails a ledger that ends before the seq the item reports', () => {
    const input = consistent();
    const item = itemOf(input);
    item.ledger = item.ledger.slice(0, 6);
    expect(codes(input)).toContain('SEQ_GAP');
  });

  it('fails an undecided or twice-decided confirm', () => {
    const input = consistent();
    input.settles = [
      ...input.settles,
      { inventoryId: 'A', reservationId: 'r3', commandId: 'k3', type: 'Confirm' },
    ];
    expect(codes(input)).toEqual(['COMMAND_NOT_DECIDED']);
    const twice = consistent();
    const item = itemOf(twice);
    item.ledger.push(ev(8, 'ConfirmRejected', [0, 0, 0], 'r1', 'k1'));
    expect(codes(twice)).toEqual(['COMMAND_DOUBLE_DECISION']);
  });

  it('fails a status that disagrees with the ledger, and holds that do not add up to reserved', () => {
    const input = consistent();
    const item = itemOf(input);
    item.reservations = item.reservations.map((r) =>
      r.reservationId === 'r3' ? { ...r, status: 'expired' } : r,
    );
    expect(codes(input).sort()).toEqual(['HOLDS_MISMATCH', 'STATUS_MISMATCH']);
  });

  it('fails an item that could not be read, and stock that differs from what was created', () => {
    const input = consistent();
    itemOf(input).counters = null;
    expect(codes(input)).toEqual(['ITEM_MISSING']);
    const stock = consistent();
    stock.initialStock = { A: 3 };
    expect(codes(stock)).toEqual(['STOCK_MISMATCH']);
  });
});
