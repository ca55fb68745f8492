import { decide } from '../../src/domain/decide';
import { createItem, replaceItem } from '../../src/domain/item';
import {
  at,
  cancel,
  confirm,
  expireHold,
  held,
  item,
  reserve,
  T0,
  tallyOf,
} from '../support/domain-fixtures';

const limited = item({ available: 10, maxPerUser: 3, limitSince: 1 });

describe('a per-user limit', () => {
  it('holds a reservation that keeps the user within it and counts it in their tally', () => {
    const d = decide({
      item: limited,
      reservation: null,
      tally: tallyOf('user-1', { held: 1 }),
      command: reserve('r', 2),
      now: T0,
    });
    expect(d).toMatchObject({
      kind: 'applied',
      tally: { userId: 'user-1', held: 3, confirmed: 0, since: 1 },
    });
  });

  it('rejects USER_LIMIT_EXCEEDED past it, counting confirmed units too, and moves no stock', () => {
    const d = decide({
      item: limited,
      reservation: null,
      tally: tallyOf('user-1', { held: 1, confirmed: 1 }),
      command: reserve('r', 2),
      now: T0,
    });
    expect(d).toMatchObject({ kind: 'rejected', reason: 'USER_LIMIT_EXCEEDED', tally: null });
    if (d.kind === 'noop' || !d.item) throw new Error('expected the item');
    expect([d.item.available, d.item.reserved]).toEqual([10, 0]);
  });

  it('says HOLD_EXPIRED before the limit, and the limit before INSUFFICIENT_STOCK', () => {
    const full = tallyOf('user-1', { held: 3 });
    const late = reserve('r', 1, { expiresAt: T0 });
    expect(decide({ item: limited, reservation: null, tally: full, command: late, now: T0 })).toMatchObject({
      reason: 'HOLD_EXPIRED',
    });
    const empty = item({ available: 0, maxPerUser: 3, limitSince: 1 });
    expect(
      decide({ item: empty, reservation: null, tally: full, command: reserve('r', 1), now: T0 }),
    ).toMatchObject({
      reason: 'USER_LIMIT_EXCEEDED',
    });
  });

  it('gives the allowance back on cancel and expiry, and moves it from held to confirmed on confirm', () => {
    const hold = held(2);
    const base = {
      item: item({ available: 8, reserved: 2, maxPerUser: 3, limitSince: 1 }),
      reservation: hold,
    };
    const tally = tallyOf('user-1', { held: 2 });
    expect(decide({ ...base, tally, command: cancel('res-1'), now: T0 })).toMatchObject({
      tally: { held: 0 },
    });
    expect(decide({ ...base, tally, command: expireHold('res-1'), now: at(900) })).toMatchObject({
      tally: { held: 0 },
    });
    expect(decide({ ...base, tally, command: confirm('res-1'), now: T0 })).toMatchObject({
      tally: { held: 0, confirmed: 2 },
    });
  });

  it('gives the allowance back when a confirm comes too late and the hold expires instead', () => {
    const base = {
      item: item({ available: 8, reserved: 2, maxPerUser: 3, limitSince: 1 }),
      reservation: held(2),
    };
    const d = decide({
      ...base,
      tally: tallyOf('user-1', { held: 2 }),
      command: confirm('res-1', { requestedAt: at(901) }),
      now: at(901),
    });
    expect(d).toMatchObject({ kind: 'rejected', reason: 'HOLD_EXPIRED', tally: { held: 0, confirmed: 0 } });
  });

  it('keeps no tally on an item without one', () => {
    const d = decide({ item: item({ available: 10 }), reservation: null, command: reserve('r', 9), now: T0 });
    expect(d).toMatchObject({ kind: 'applied', tally: null });
  });
});

describe('setting the limit on the item', () => {
  const created = createItem({ inventoryId: 'sku', available: 5, maxPerUser: 2 }, 'c1', T0).item;

  it('starts an epoch at the sequence number where a limit begins', () => {
    expect(created).toMatchObject({ maxPerUser: 2, limitSince: 1 });
    const none = createItem({ inventoryId: 'sku', available: 5 }, 'c1', T0).item;
    expect('maxPerUser' in none).toBe(false);
    const later = replaceItem(none, { inventoryId: 'sku', available: 5, maxPerUser: 4 }, 'c2', T0).item;
    expect(later).toMatchObject({ maxPerUser: 4, limitSince: 2 });
  });

  it('keeps the epoch when the limit changes or is left out, and drops both when it is removed', () => {
    const changed = replaceItem(created, { inventoryId: 'sku', available: 5, maxPerUser: 7 }, 'c2', T0).item;
    expect(changed).toMatchObject({ maxPerUser: 7, limitSince: 1, seq: 2 });
    const kept = replaceItem(changed, { inventoryId: 'sku', available: 6 }, 'c3', T0).item;
    expect(kept).toMatchObject({ maxPerUser: 7, limitSince: 1, seq: 3 });
    const removed = replaceItem(kept, { inventoryId: 'sku', available: 6, maxPerUser: null }, 'c4', T0).item;
    expect('maxPerUser' in removed || 'limitSince' in removed).toBe(false);
    const again = replaceItem(removed, { inventoryId: 'sku', available: 6, maxPerUser: 7 }, 'c5', T0).item;
    expect(again).toMatchObject({ maxPerUser: 7, limitSince: 5 });
  });
});
