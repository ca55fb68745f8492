import fc from 'fast-check';
import type { Command, Reservation } from '../../src/domain/model';
import { ItemCache } from '../../src/app/item-cache';
import { processCommands } from '../../src/app/process-commands';
import type { CommandOutcome } from '../../src/app/processing/outcome';
import {
  adjust,
  at,
  cancel,
  confirm,
  counters,
  expireHold,
  readPartition,
  reserve,
} from '../support/domain-fixtures';
import { useProcessorHarness } from '../support/processor-harness';

const h = useProcessorHarness('sizes-');

describe('one message per call and groups of any size reach the same state', () => {
  /** Abstract steps; reservation ids are drawn from a small pool so unknown, repeated and settled ids all occur. */
  type Step =
    | { op: 'reserve'; slot: number; res: number; quantity: number; expires: number }
    | { op: 'confirm' | 'cancel' | 'expire'; slot: number; res: number; requested: number }
    | { op: 'adjust'; slot: number; delta: number }
    | { op: 'redeliver'; back: number };

  const stepArb: fc.Arbitrary<Step> = fc.oneof(
    {
      weight: 4,
      arbitrary: fc.record({
        op: fc.constant('reserve' as const),
        slot: fc.nat(2),
        res: fc.nat(25),
        quantity: fc.integer({ min: 1, max: 6 }),
        expires: fc.integer({ min: -60, max: 600 }),
      }),
    },
    {
      weight: 4,
      arbitrary: fc.record({
        op: fc.constantFrom('confirm' as const, 'cancel' as const, 'expire' as const),
        slot: fc.nat(2),
        res: fc.nat(25),
        requested: fc.integer({ min: -60, max: 600 }),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        op: fc.constant('adjust' as const),
        slot: fc.nat(2),
        delta: fc.integer({ min: -8, max: 8 }).filter((d) => d !== 0),
      }),
    },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('redeliver' as const), back: fc.nat(30) }) },
  );

  /** The abstract stream made concrete for one set of inventory ids (one per slot). */
  function materialise(steps: Step[], items: string[]): Command[] {
    const out: Command[] = [];
    steps.forEach((s, i) => {
      if (s.op === 'redeliver') {
        const earlier = out[out.length - 1 - (s.back % Math.max(1, out.length))];
        if (earlier) out.push(earlier);
        return;
      }
      const inventoryId = items[s.slot % items.length] as string;
      const commandId = `c-${i}`;
      if (s.op === 'reserve') {
        out.push(reserve(`r-${s.res}`, s.quantity, { inventoryId, commandId, expiresAt: at(s.expires) }));
      } else if (s.op === 'adjust') {
        out.push(adjust(s.delta, { inventoryId, commandId }));
      } else {
        const base = { inventoryId, commandId, requestedAt: at(s.requested) };
        const res = `r-${s.res}`;
        out.push(
          s.op === 'confirm'
            ? confirm(res, base)
            : s.op === 'cancel'
              ? cancel(res, base)
              : expireHold(res, base),
        );
      }
    });
    return out;
  }

  async function finalState(inventoryId: string) {
    const { item, reservations, events } = await readPartition(h.t.store, inventoryId);
    const strip = <T extends object>(doc: T) => {
      const { inventoryId: _p, ...rest } = doc as T & { inventoryId: string };
      return rest;
    };
    return {
      item: item ? { ...counters(item), seq: item.seq, updatedAt: item.updatedAt } : null,
      reservations: reservations.map((r: Reservation) => strip(r)),
      // The creation event carries the admin command id putItem generated: not part of the comparison.
      events: events.map((e) => ({
        ...strip(e),
        commandId: e.kind === 'ItemCreated' ? 'create' : e.commandId,
      })),
    };
  }

  let run = 0;

  it('for random command streams on a few items', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.nat(12), { minLength: 1, maxLength: 3 }),
        fc.array(stepArb, { minLength: 1, maxLength: 200, size: 'max' }),
        fc.array(fc.integer({ min: 1, max: 99 }), { minLength: 1, maxLength: 20 }),
        async (stock, steps, sizes) => {
          run += 1;
          h.store.batches.length = 0;
          const modes = ['one', 'grouped'].map((mode) => stock.map((_, s) => `${mode}-${run}-${s}`));
          const outcomes: CommandOutcome[][] = [];
          const states: unknown[] = [];
          for (const [m, items] of modes.entries()) {
            const modeCache = new ItemCache(100);
            for (const [s, inventoryId] of items.entries()) await h.createItem(stock[s] ?? 0, inventoryId);
            const commands = materialise(steps, items);
            const results: CommandOutcome[] = [];
            for (const inventoryId of items) {
              const session = commands.filter((c) => c.inventoryId === inventoryId);
              if (m === 0) {
                for (const c of session)
                  results.push(...(await processCommands(inventoryId, [c], h.deps({ cache: modeCache }))));
              } else {
                let start = 0;
                for (let g = 0; start < session.length; g++) {
                  const k = sizes[g % sizes.length] ?? 1;
                  const group = session.slice(start, start + k);
                  results.push(...(await processCommands(inventoryId, group, h.deps({ cache: modeCache }))));
                  start += k;
                }
              }
            }
            outcomes.push(results);
            const perItem = [];
            for (const inventoryId of items) perItem.push(await finalState(inventoryId));
            states.push(perItem);
          }
          expect(outcomes[1]).toEqual(outcomes[0]);
          expect(states[1]).toEqual(states[0]);
        },
      ),
      // A failure found late would otherwise shrink for minutes over streams this long.
      { numRuns: 40, interruptAfterTimeLimit: 15_000, markInterruptAsFailure: false },
    );
  });
});
