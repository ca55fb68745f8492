import fc from 'fast-check';
import { issuedAt, newId } from '../../src/app/ids';
import { commandMarkerId, eventId, ID_PATTERN, isValidId } from '../../src/domain/ids';

const ITEM = 'sku-1';
const instant = fc.integer({ min: 0, max: Date.parse('9999-12-31T23:59:59.999Z') }).map((ms) => new Date(ms));

describe('newId and issuedAt', () => {
  it('issues ids that match the domain id pattern, with their kind prefix', () => {
    fc.assert(
      fc.property(instant, fc.constantFrom('r' as const, 'c' as const), (now, prefix) => {
        const id = newId(prefix, now, ITEM);
        expect(id).toMatch(ID_PATTERN);
        expect(isValidId(id)).toBe(true);
        expect(id.startsWith(`${prefix}-`)).toBe(true);
        expect(id).toHaveLength(28);
      }),
    );
  });

  it('round-trips the issue time to the millisecond', () => {
    fc.assert(
      fc.property(instant, fc.constantFrom('r' as const, 'c' as const), (now, prefix) => {
        expect(issuedAt(newId(prefix, now, ITEM), ITEM)?.getTime()).toBe(now.getTime());
      }),
    );
    expect(issuedAt(newId('r', new Date('2026-01-01T00:00:00.123Z'), ITEM), ITEM)?.toISOString()).toBe(
      '2026-01-01T00:00:00.123Z',
    );
  });

  it('sorts by issue time (as strings, the way listings and ids are ordered)', () => {
    fc.assert(
      fc.property(instant, instant, (a, b) => {
        fc.pre(a.getTime() !== b.getTime());
        const [early, late] = a < b ? [a, b] : [b, a];
        expect(newId('r', early, ITEM) < newId('r', late, ITEM)).toBe(true);
      }),
    );
    const times = [
      0,
      1,
      31,
      32,
      1023,
      1024,
      Date.parse('2026-01-01T00:00:00Z'),
      Date.parse('2026-01-01T00:00:00.001Z'),
    ];
    const ids = times.map((ms) => newId('c', new Date(ms), ITEM));
    expect([...ids].sort()).toEqual(ids);
  });

  it('makes different ids in the same millisecond', () => {
    const now = new Date('2026-01-01T00:00:00Z');
    const ids = new Set(Array.from({ length: 1000 }, () => newId('r', now, ITEM)));
    expect(ids.size).toBe(1000);
  });

  it.each([
    ['an id of another shape', 'res-1'],
    ['an unknown prefix', 'x-01KDVDNA00X3FKB0KF1ECFX6XS'],
    ['lower case', 'r-01kdvdna00x3fkb0kf1ecfx6xs'],
    ['a letter Crockford excludes (U)', 'r-01KDVDNA00X3FKB0KF1ECFX6XU'],
    ['one character short', 'r-01KDVDNA00X3FKB0KF1ECFX6X'],
    ['one character long', 'r-01KDVDNA00X3FKB0KF1ECFX6XSS'],
    ['the empty string', ''],
  ])('answers null for %s', (_name, id) => {
    expect(issuedAt(id, ITEM)).toBeNull();
  });

  it('answers null for a real id asked about under another item, or with a character changed', () => {
    const id = newId('r', new Date('2026-01-01T00:00:00Z'), ITEM);
    expect(issuedAt(id, ITEM)).not.toBeNull();
    const others = ['sku-2', 'sku-10', 'SKU-1', 'sku-1 '].filter((other) => issuedAt(id, other) !== null);
    expect(others.length).toBeLessThanOrEqual(1); // 10 check bits: a collision is 1 in 1024
  });

  it('answers null for every id with one character changed, wherever it is and whatever it becomes', () => {
    const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
    fc.assert(
      fc.property(
        instant,
        fc.constantFrom('r' as const, 'c' as const),
        fc.nat(27),
        fc.constantFrom(...alphabet, 'r', 'c'),
        (now, prefix, at, replacement) => {
          const id = newId(prefix, now, ITEM);
          fc.pre(at !== 1 && id.charAt(at) !== replacement);
          expect(issuedAt(id.slice(0, at) + replacement + id.slice(at + 1), ITEM)).toBeNull();
        },
      ),
      { numRuns: 5_000 },
    );
  });

  it('misses about one moved id in a thousand, not more (10 check bits)', () => {
    const now = new Date('2026-01-01T00:00:00Z');
    let movesMissed = 0;
    for (let i = 0; i < 20_000; i++) {
      if (issuedAt(newId('c', now, ITEM), `sku-${i}`) !== null) movesMissed += 1;
    }
    // Expected about 20 of 20,000; the bound leaves room for chance, not for a broken check.
    expect(movesMissed).toBeLessThan(60);
  });
});

describe('domain ids', () => {
  it.each(['a', 'A9', 'sku-1', 'sku_1.v2', 'x'.repeat(128)])('accepts %s', (id) =>
    expect(isValidId(id)).toBe(true),
  );

  it.each(['', '-a', '.a', '_a', 'a b', 'a/b', 'a#b', 'ä', 'x'.repeat(129)])('refuses %j', (id) => {
    expect(isValidId(id)).toBe(false);
  });

  it('derives event ids that sort by seq and marker ids that stay valid ids', () => {
    expect(eventId(1)).toBe('ev-000000000001');
    expect([eventId(10), eventId(9), eventId(100)].sort()).toEqual([eventId(9), eventId(10), eventId(100)]);
    expect(isValidId(eventId(123))).toBe(true);
    expect(commandMarkerId('c-1')).toBe('cmd-c-1');
    expect(isValidId(commandMarkerId(newId('c', new Date(), ITEM)))).toBe(true);
  });
});
