import fc from 'fast-check';
import type { Command, InventoryItem } from '../../src/domain/model';
import { adjust, at, cancel, confirm, expireHold, reserve, uid } from '../support/domain-fixtures';
import { MemoryModel } from '../support/memory-model';

/** Abstract steps: reservation ids are picked from the ones that exist when the step runs. */
type Step =
  | { op: 'reserve'; item: number; user: number; quantity: number; holdSeconds: number; lag: number }
  | { op: 'confirm' | 'cancel' | 'expire'; pick: number; unknown: boolean; lag: number }
  | { op: 'adjust'; item: number; delta: number; lag: number }
  | { op: 'replace'; item: number; available: number; limit: number | null | undefined }
  | { op: 'tick'; seconds: number };

const lag = fc.integer({ min: 0, max: 8 });
const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant('reserve' as const),
      item: fc.nat(4),
      user: fc.nat(2),
      quantity: fc.integer({ min: 1, max: 15 }),
      holdSeconds: fc.integer({ min: 1, max: 30 }),
      lag,
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constantFrom('confirm' as const, 'cancel' as const, 'expire' as const),
      pick: fc.nat(),
      unknown: fc.boolean(),
      lag,
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('adjust' as const),
      item: fc.nat(4),
      delta: fc.integer({ min: -12, max: 12 }).filter((d) => d !== 0),
      lag,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('replace' as const),
      item: fc.nat(4),
      available: fc.nat(30),
      // Absent keeps the limit, null removes it: tallies then stop and are counted again when one returns.
      limit: fc.option(fc.option(fc.integer({ min: 1, max: 12 })), { nil: undefined }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ op: fc.constant('tick' as const), seconds: fc.integer({ min: 0, max: 10 }) }),
  },
);

const scenario = fc.record({
  stock: fc.array(fc.nat(20), { minLength: 3, maxLength: 5 }),
  limits: fc.array(fc.option(fc.integer({ min: 1, max: 12 })), { minLength: 5, maxLength: 5 }),
  steps: fc.array(step, { minLength: 1, maxLength: 60 }),
});

describe('domain invariants over random command sequences', () => {
  it('keep counters non-negative, stock conserved, counters equal to the reservations and to the replayed ledger, tallies exact and no hold past a per-user limit', () => {
    fc.assert(
      fc.property(scenario, ({ stock, limits, steps }) => {
        const model = new MemoryModel();
        const ids = stock.map((_, i) => `sku-${i}`);
        stock.forEach((available, i) => model.create(ids[i] as string, available, at(0), limits[i] ?? null));
        model.checkInvariants();
        let clock = 0;
        const reservationIds: { id: string; inventoryId: string }[] = [];

        for (const s of steps) {
          if (s.op === 'tick') {
            clock += s.seconds;
            continue;
          }
          const now = at(clock);
          if (s.op === 'replace') {
            const id = ids[s.item % ids.length] as string;
            const before = model.items.get(id) as InventoryItem;
            const events = model.replace(id, s.available, now, s.limit);
            expect(model.items.get(id)?.seq).toBe(before.seq + events.length);
            model.checkInvariants();
            continue;
          }
          const requestedAt = at(clock - s.lag);
          let command: Command;
          if (s.op === 'reserve') {
            const inventoryId = ids[s.item % ids.length] as string;
            const reservationId = uid('res');
            reservationIds.push({ id: reservationId, inventoryId });
            command = reserve(reservationId, s.quantity, {
              inventoryId,
              userId: `user-${s.user}`,
              requestedAt,
              expiresAt: at(clock - s.lag + s.holdSeconds),
            });
          } else if (s.op === 'adjust') {
            command = adjust(s.delta, { inventoryId: ids[s.item % ids.length] as string, requestedAt });
          } else {
            const known = reservationIds[s.pick % Math.max(1, reservationIds.length)];
            const target =
              s.unknown || !known
                ? { id: uid('nores'), inventoryId: ids[s.pick % ids.length] as string }
                : known;
            const base = { inventoryId: target.inventoryId, requestedAt };
            command =
              s.op === 'confirm'
                ? confirm(target.id, base)
                : s.op === 'cancel'
                  ? cancel(target.id, base)
                  : expireHold(target.id, { ...base, expiresAt: now });
          }

          const before = model.items.get(command.inventoryId) as InventoryItem;
          const ledgerBefore = model.ledgers.get(command.inventoryId)?.length ?? 0;
          const decision = model.apply(command, now);
          const after = model.items.get(command.inventoryId) as InventoryItem;
          if (decision.kind === 'noop') {
            expect(after).toBe(before);
          } else {
            // Every item exists in this scenario, so every decision moves the ledger by at least one event.
            expect(decision.events.length).toBeGreaterThanOrEqual(1);
            expect(after.seq).toBe(before.seq + decision.events.length);
            expect(decision.events.map((e) => e.seq)).toEqual(
              decision.events.map((_, i) => before.seq + 1 + i),
            );
            expect(model.ledgers.get(command.inventoryId)?.length).toBe(
              ledgerBefore + decision.events.length,
            );
          }
          if (command.type === 'Reserve' && decision.kind === 'applied') {
            const limit = after.maxPerUser;
            if (typeof limit === 'number')
              expect(model.used(command.inventoryId, command.userId)).toBeLessThanOrEqual(limit);
          }
          if (decision.kind === 'rejected' && decision.reason === 'USER_LIMIT_EXCEEDED') {
            expect(after.available + after.reserved).toBe(before.available + before.reserved);
          }
          // Other items are never touched by a command for this one.
          model.checkInvariants();
        }
      }),
      { numRuns: 200 },
    );
  });

  it('never lets two holds take the last unit', () => {
    fc.assert(
      fc.property(
        fc.nat(10),
        fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 20 }),
        (stock, quantities) => {
          const model = new MemoryModel();
          model.create('sku-0', stock);
          let granted = 0;
          for (const q of quantities) {
            const d = model.apply(reserve(uid('res'), q, { inventoryId: 'sku-0' }), at(1));
            if (d.kind === 'applied') granted += q;
          }
          expect(granted).toBeLessThanOrEqual(stock);
          expect(model.items.get('sku-0')?.available).toBe(stock - granted);
          model.checkInvariants();
        },
      ),
      { numRuns: 200 },
    );
  });
});
