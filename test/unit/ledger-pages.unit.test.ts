import fc from 'fast-check';
import { applyEvents, delta, ledgerEvents, ledgerPage, replayLedger } from '../../src/domain/events';
import { createItem } from '../../src/domain/item';
import type { EventDraft } from '../../src/domain/events';
import type { InventoryItem, LedgerEvent } from '../../src/domain/model';
import { T0 } from '../support/domain-fixtures';

/**
 * A ledger page holds one batch's events; the ledger is the single events written before pages existed, then
 * the pages. Replaying it must give the item's counters and sequence however the events were cut into pages.
 */

const draft: fc.Arbitrary<EventDraft> = fc
  .record({
    available: fc.integer({ min: -5, max: 5 }),
    reserved: fc.integer({ min: -5, max: 5 }),
    confirmed: fc.integer({ min: -5, max: 5 }),
  })
  .map(({ available, reserved, confirmed }) => ({
    kind: 'StockAdjusted',
    delta: delta(available, reserved, confirmed),
  }));

/** An item and its whole ledger, built as the service builds them: one applyEvents per command. */
const history = fc
  .array(fc.array(draft, { minLength: 1, maxLength: 6 }), { maxLength: 40 })
  .map((commands) => {
    const created = createItem({ inventoryId: 'sku-p', available: 50 }, 'c-0', T0);
    let item: InventoryItem = created.item;
    const events: LedgerEvent[] = [...created.events];
    commands.forEach((drafts, i) => {
      const next = applyEvents(item, drafts, `c-${i + 1}`, T0);
      item = next.item;
      events.push(...next.events);
    });
    return { item, events };
  });

/** Cuts the events into consecutive runs at the given points: the first run stays single documents. */
function cut(events: readonly LedgerEvent[], points: readonly number[]) {
  const bounds = [...new Set(points.map((p) => p % (events.length + 1)))].sort((a, b) => a - b);
  const singles = events.slice(0, bounds[0] ?? 0);
  const runs: LedgerEvent[][] = [];
  let from = bounds[0] ?? 0;
  for (const to of [...bounds.slice(1), events.length]) {
    if (to > from) runs.push(events.slice(from, to));
    from = to;
  }
  return { singles, pages: runs.map((run) => ledgerPage(run)) };
}

describe('ledger pages', () => {
  it('replay to the item however the ledger is cut into pages, old single events first', () => {
    fc.assert(
      fc.property(history, fc.array(fc.nat(), { maxLength: 12 }), ({ item, events }, points) => {
        const { singles, pages } = cut(events, points);
        const ledger = ledgerEvents(singles, pages);
        expect(ledger).toEqual(events);
        expect(replayLedger(ledger)).toEqual({
          available: item.available,
          reserved: item.reserved,
          confirmed: item.confirmed,
          seq: item.seq,
        });
        for (const page of pages) {
          expect(page.events.map((e) => e.seq)).toEqual(
            Array.from({ length: page.events.length }, (_, i) => page.seq + i),
          );
        }
      }),
    );
  });

  it('read in any order, give the same ledger; a missing page is a gap or a short ledger', () => {
    fc.assert(
      fc.property(
        history,
        fc.array(fc.nat(), { minLength: 2, maxLength: 12 }),
        fc.nat(),
        ({ item, events }, points, drop) => {
          const { singles, pages } = cut(events, points);
          expect(ledgerEvents([...singles].reverse(), [...pages].reverse())).toEqual(events);
          if (pages.length === 0) return;
          const lost = drop % pages.length;
          const kept = pages.filter((_, i) => i !== lost);
          if (lost < pages.length - 1) {
            expect(() => replayLedger(ledgerEvents(singles, kept))).toThrow(/ledger gap/);
          } else {
            expect(replayLedger(ledgerEvents(singles, kept)).seq).toBeLessThan(item.seq);
          }
        },
      ),
    );
  });

  it('refuses a page of no events, or of events that do not follow each other', () => {
    const { events } = createItem({ inventoryId: 'sku-q', available: 1 }, 'c-0', T0);
    expect(() => ledgerPage([])).toThrow(/at least one event/);
    const first = events[0]!;
    expect(() => ledgerPage([first, { ...first, seq: first.seq + 2 }])).toThrow(/expected/);
    expect(ledgerPage(events)).toMatchObject({
      type: 'ledger-page',
      id: 'lp-000000000001',
      seq: 1,
    });
  });
});
