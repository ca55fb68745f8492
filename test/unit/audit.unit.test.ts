import { auditItem, type AuditInput } from '../../src/domain/audit';
import type { LedgerEvent } from '../../src/domain/model';
import { adjust, at, cancel, confirm, expireHold, ITEM, reserve, T0 } from '../support/domain-fixtures';
import { MemoryModel } from '../support/memory-model';

/**
 * The pure audit against the documents a real run of the domain leaves behind (MemoryModel), consistent as
 * built; each test corrupts one thing and expects exactly the differences that corruption makes.
 *
 * user-a reserves before the item has a per-user limit (so keeps no tally); the limit (3) then starts and
 * user-b reserves under it, confirms, cancels, is refused past the limit; a restock and an expiry follow.
 */
function fixture(): AuditInput {
  const model = new MemoryModel();
  model.create(ITEM, 20, T0);
  model.apply(reserve('a-held', 2, { userId: 'user-a' }), T0);
  model.apply(reserve('a-conf', 3, { userId: 'user-a' }), T0);
  model.apply(confirm('a-conf'), T0);
  model.replace(ITEM, 15, T0, 3);
  model.apply(reserve('b-held', 1, { userId: 'user-b' }), T0);
  model.apply(reserve('b-conf', 1, { userId: 'user-b' }), T0);
  model.apply(confirm('b-conf'), T0);
  model.apply(reserve('b-gone', 1, { userId: 'user-b' }), T0);
  model.apply(cancel('b-gone'), T0);
  model.apply(reserve('b-over', 2, { userId: 'user-b' }), T0);
  model.apply(adjust(4), T0);
  model.apply(reserve('c-late', 1, { userId: 'user-c', expiresAt: at(10) }), T0);
  model.apply(expireHold('c-late', { expiresAt: at(10) }), at(10));
  model.checkInvariants();
  const item = model.items.get(ITEM);
  if (!item) throw new Error('no item');
  return {
    item,
    events: [...(model.ledgers.get(ITEM) ?? [])],
    reservations: [...model.reservations.values()].sort((x, y) => x.id.localeCompare(y.id)),
    tallies: [...model.tallies.values()],
  };
}

/** The index of the first event of `kind` (for `reservationId`, when given). */
const indexOf = (input: AuditInput, kind: LedgerEvent['kind'], reservationId?: string): number => {
  const index = input.events.findIndex(
    (e) => e.kind === kind && (reservationId === undefined || e.reservationId === reservationId),
  );
  if (index < 0) throw new Error(`no ${kind} event`);
  return index;
};

describe('the audit of an item', () => {
  it('finds a consistent fixture consistent, and says how much it compared', () => {
    const input = fixture();
    expect(input.events.map((e) => e.kind)).toContain('ReservationRejected');
    expect(auditItem(input)).toEqual({
      status: 'consistent',
      checked: { events: input.events.length, reservations: 7, tallies: 2 },
      differences: [],
    });
  });

  it('names a counter that is not what the ledger replays to', () => {
    const input = fixture();
    const available = input.item.available;
    const result = auditItem({ ...input, item: { ...input.item, available: available + 5 } });
    expect(result.status).toBe('inconsistent');
    expect(result.differences).toEqual([
      {
        check: 'replayed-counter',
        subject: 'item.available',
        expected: available,
        found: available + 5,
        detail: `the item's available is ${available + 5}, its ledger replays to ${available}`,
      },
    ]);
  });

  it("names an item seq that is not the last event's", () => {
    const input = fixture();
    const last = input.events.length;
    const result = auditItem({ ...input, item: { ...input.item, seq: last - 1 } });
    expect(result.differences).toEqual([
      expect.objectContaining({ check: 'item-seq', subject: 'item.seq', expected: last, found: last - 1 }),
    ]);
  });

  it('names a gap in the ledger where an event is missing', () => {
    const input = fixture();
    // A rejection moves no stock: only the sequence shows it is gone.
    const at = indexOf(input, 'ReservationRejected');
    const events = input.events.filter((_, i) => i !== at);
    expect(auditItem({ ...input, events }).differences).toEqual([
      expect.objectContaining({
        check: 'ledger-gap',
        subject: `ledger[${at}].seq`,
        expected: at + 1,
        found: at + 2,
      }),
    ]);
  });

  it('names a sequence number that comes twice', () => {
    const input = fixture();
    const at = indexOf(input, 'ReservationRejected');
    const events = [...input.events.slice(0, at + 1), ...input.events.slice(at)];
    expect(auditItem({ ...input, events }).differences).toEqual([
      expect.objectContaining({
        check: 'ledger-repeat',
        subject: `ledger[${at + 1}].seq`,
        expected: at + 2,
        found: at + 1,
      }),
    ]);
  });

  it('names a reserved that is not the sum of the held reservations', () => {
    const input = fixture();
    // user-a keeps no tally: losing their hold shows in the sum alone.
    const reservations = input.reservations.filter((r) => r.id !== 'a-held');
    expect(auditItem({ ...input, reservations }).differences).toEqual([
      expect.objectContaining({
        check: 'held-sum',
        subject: 'item.reserved',
        expected: input.item.reserved - 2,
        found: input.item.reserved,
      }),
    ]);
  });

  it('names a confirmed that is not the sum of the confirmed reservations', () => {
    const input = fixture();
    const reservations = input.reservations.filter((r) => r.id !== 'a-conf');
    expect(auditItem({ ...input, reservations }).differences).toEqual([
      expect.objectContaining({
        check: 'confirmed-sum',
        subject: 'item.confirmed',
        expected: input.item.confirmed - 3,
        found: input.item.confirmed,
      }),
    ]);
  });

  it('names a held reservation whose ReservationHeld event is not in the ledger', () => {
    const input = fixture();
    const at = indexOf(input, 'ReservationHeld', 'a-held');
    const events = input.events.map((e, i) => (i === at ? { ...e, reservationId: 'someone-else' } : e));
    expect(auditItem({ ...input, events }).differences).toEqual([
      {
        check: 'decision-event',
        subject: 'reservation a-held',
        expected: 'ReservationHeld of 2',
        found: 'none',
        detail:
          'reservation a-held is held (2); its last ledger event should be ReservationHeld of 2, found none',
      },
    ]);
  });

  it('names a confirmed reservation whose last ledger event is its hold, not its confirmation', () => {
    const input = fixture();
    const at = indexOf(input, 'ReservationConfirmed', 'a-conf');
    const events = input.events.map((e, i) => (i === at ? { ...e, reservationId: 'someone-else' } : e));
    const held = input.events[indexOf(input, 'ReservationHeld', 'a-conf')];
    expect(auditItem({ ...input, events }).differences).toEqual([
      expect.objectContaining({
        check: 'decision-event',
        subject: 'reservation a-conf',
        expected: 'ReservationConfirmed of 3',
        found: `ReservationHeld of 3 (seq ${held?.seq})`,
      }),
    ]);
  });

  it('names a reservation said to be held that the ledger cancelled, with the sums and tally it breaks', () => {
    const input = fixture();
    const reservations = input.reservations.map((r) =>
      r.id === 'b-gone' ? { ...r, status: 'held' as const } : r,
    );
    const cancelled = input.events[indexOf(input, 'ReservationCancelled', 'b-gone')];
    expect(auditItem({ ...input, reservations }).differences).toEqual([
      expect.objectContaining({
        check: 'held-sum',
        expected: input.item.reserved + 1,
        found: input.item.reserved,
      }),
      expect.objectContaining({
        check: 'decision-event',
        subject: 'reservation b-gone',
        expected: 'ReservationHeld of 1',
        found: `ReservationCancelled of 1 (seq ${cancelled?.seq})`,
      }),
      expect.objectContaining({ check: 'tally', subject: 'tally:user-b.held', expected: 2, found: 1 }),
    ]);
  });

  it("names a user's tally that is not what their reservations add up to", () => {
    const input = fixture();
    const tallies = input.tallies.map((t) =>
      t.userId === 'user-b' ? { ...t, confirmed: t.confirmed + 1 } : t,
    );
    expect(auditItem({ ...input, tallies }).differences).toEqual([
      {
        check: 'tally',
        subject: 'tally:user-b.confirmed',
        expected: 1,
        found: 2,
        detail: "user user-b's tally says confirmed 2, their confirmed reservations add up to 1",
      },
    ]);
  });

  it('leaves alone tallies of an earlier limit, and every tally of an item without one', () => {
    const input = fixture();
    const stale = input.tallies.map((t) => ({ ...t, held: 99, since: t.since - 1 }));
    expect(auditItem({ ...input, tallies: stale })).toMatchObject({
      status: 'consistent',
      checked: { tallies: 0 },
    });
    const { maxPerUser: _limit, limitSince: _since, ...unlimited } = input.item;
    const wrong = input.tallies.map((t) => ({ ...t, held: 99 }));
    expect(auditItem({ ...input, item: unlimited, tallies: wrong })).toMatchObject({
      status: 'consistent',
      checked: { tallies: 0 },
    });
  });
});
