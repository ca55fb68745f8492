import { replayLedger } from '../../src/domain/events';
import type { LedgerPage } from '../../src/domain/model';
import type { Command, InventoryItem } from '../../src/domain/model';
import { ItemCache } from '../../src/app/item-cache';
import { processCommands } from '../../src/app/process-commands';
import type { CommandOutcome } from '../../src/app/processing/outcome';
import { MAX_BATCH_OPERATIONS, TransientStoreError } from '../../src/ports/store';
import {
  adjust,
  cancel,
  confirm,
  counters,
  expireHold,
  ITEM,
  readPartition,
  reserve,
} from '../support/domain-fixtures';
import { brief, opsSummary, useProcessorHarness } from '../support/processor-harness';

const h = useProcessorHarness('group-');

describe('group commit', () => {
  /** Checks that every batch stays within the limit and that onCommitted named exactly its commands. */
  function checkBatches(
    commands: readonly Command[],
    committed: { indexes: number[]; outcomes: CommandOutcome[] }[],
  ): void {
    const batches = h.store.batches;
    expect(committed).toHaveLength(batches.length);
    let next = 0;
    batches.forEach((ops, b) => {
      expect(ops.length).toBeLessThanOrEqual(MAX_BATCH_OPERATIONS);
      const call = committed[b];
      if (!call) throw new Error(`no onCommitted for batch ${b}`);
      // Consecutive commands, in order, continuing where the previous batch stopped.
      expect(call.indexes).toEqual(call.indexes.map((_, k) => next + k));
      next += call.indexes.length;
      expect(call.outcomes.map((o) => o.commandId)).toEqual(call.indexes.map((i) => commands[i]?.commandId));
      // The commands that wrote in this batch are exactly the ones it settled.
      const writers = new Set(
        ops.flatMap((op) =>
          op.op === 'delete'
            ? []
            : op.doc.type === 'ledger-page' && 'events' in op.doc
              ? (op.doc as LedgerPage).events.map((e) => e.commandId)
              : op.doc.type === 'command' && 'commandId' in op.doc
                ? [String(op.doc.commandId)]
                : [],
        ),
      );
      for (const id of writers) expect(call.outcomes.map((o) => o.commandId)).toContain(id);
    });
    expect(next).toBe(commands.length);
  }

  async function run(commands: readonly Command[]) {
    const committed: { indexes: number[]; outcomes: CommandOutcome[] }[] = [];
    h.store.batches.length = 0;
    const outcomes = await processCommands(ITEM, commands, h.deps(), {
      onCommitted: (indexes, outs) => void committed.push({ indexes, outcomes: outs }),
    });
    return { outcomes, committed };
  }

  it('commits 250 Reserves in ceil(250 / 98) batches (item replace and ledger page shared, a reservation each)', async () => {
    await h.createItem(1000);
    const commands = Array.from({ length: 250 }, (_, i) => reserve(`res-${i}`, 2));
    const { outcomes, committed } = await run(commands);

    expect(outcomes.every((o) => o.status === 'applied')).toBe(true);
    const perBatch = MAX_BATCH_OPERATIONS - 2; // 98
    expect(h.store.batches).toHaveLength(Math.ceil(250 / perBatch)); // 3
    expect(h.store.batches.map((b) => b.length)).toEqual([100, 100, 56]);
    for (const ops of h.store.batches) {
      expect(opsSummary(ops).filter((s) => s === 'replace:inventory')).toHaveLength(1);
      expect(opsSummary(ops).filter((s) => s === 'create:ledger-page')).toHaveLength(1);
      expect(ops.find((op) => op.op === 'replace')).toMatchObject({
        doc: { type: 'inventory' },
        ifMatch: expect.any(String),
      });
    }
    checkBatches(commands, committed);
    expect(committed.map((c) => c.indexes.length)).toEqual([98, 98, 54]);

    const { item, reservations, events } = await readPartition(h.t.store, ITEM);
    expect(item).toMatchObject({ available: 500, reserved: 500, confirmed: 0, seq: 251 });
    expect(reservations).toHaveLength(250);
    expect(replayLedger(events)).toEqual({ available: 500, reserved: 500, confirmed: 0, seq: 251 });
  });

  it('commits 250 Confirms in ceil(250 / 49) batches (reservation replace + marker each, one ledger page)', async () => {
    await h.createItem(1000);
    await run(Array.from({ length: 250 }, (_, i) => reserve(`res-${i}`, 1)));
    const commands = Array.from({ length: 250 }, (_, i) => confirm(`res-${i}`));
    const { outcomes, committed } = await run(commands);

    expect(outcomes.every((o) => o.status === 'applied')).toBe(true);
    const perBatch = Math.floor((MAX_BATCH_OPERATIONS - 2) / 2); // 49
    expect(h.store.batches).toHaveLength(Math.ceil(250 / perBatch)); // 6
    expect(committed.map((c) => c.indexes.length)).toEqual([49, 49, 49, 49, 49, 5]);
    for (const ops of h.store.batches) {
      const kinds = opsSummary(ops);
      expect(kinds.filter((k) => k === 'replace:reservation')).toHaveLength((ops.length - 2) / 2);
      expect(kinds.filter((k) => k === 'create:command')).toHaveLength((ops.length - 2) / 2);
      expect(kinds.filter((k) => k === 'create:ledger-page')).toHaveLength(1);
    }
    checkBatches(commands, committed);
    expect((await h.itemDoc()).doc).toMatchObject({ available: 750, reserved: 0, confirmed: 250, seq: 501 });
  });

  it('packs a mixed stream greedily: no batch over the limit, none that could have taken the next command', async () => {
    await h.createItem(100);
    const commands: Command[] = [];
    for (let i = 0; i < 250; i++) {
      const r = `res-${Math.floor(i / 5)}`;
      const kind = i % 5;
      if (kind === 0) commands.push(reserve(r, 3));
      else if (kind === 1) commands.push(i % 2 === 0 ? confirm(r) : cancel(r));
      else if (kind === 2)
        commands.push(expireHold(r)); // a noop: the hold already ended
      else if (kind === 3) commands.push(adjust(i % 3 === 0 ? -1 : 2));
      else commands.push(confirm(`nothing-${i}`));
    }
    const { outcomes, committed } = await run(commands);
    checkBatches(commands, committed);
    expect(outcomes.filter((o) => o.status === 'noop')).toHaveLength(50);
    // Every batch but the last is too full for the next command (at most 4 operations: held, expired + marker).
    h.store.batches
      .slice(0, -1)
      .forEach((ops) => expect(ops.length).toBeGreaterThan(MAX_BATCH_OPERATIONS - 4));
    const { item, events } = await readPartition(h.t.store, ITEM);
    expect(replayLedger(events)).toEqual({
      ...counters(item as InventoryItem),
      seq: (item as InventoryItem).seq,
    });
  });

  it('sends a redelivered command in the middle of a group to duplicate, and decides the rest again without it', async () => {
    await h.createItem(10);
    const old = reserve('res-1', 4);
    const oldAdjust = adjust(-1);
    await processCommands(ITEM, [old, oldAdjust], h.deps());
    h.cache = new ItemCache(100);
    const commands = [
      reserve('res-2', 6),
      old,
      reserve('res-3', 1),
      oldAdjust,
      confirm('res-1'),
      confirm('res-2'),
    ];
    const { outcomes } = await run(commands);
    // The redelivered Reserve and Adjust hit their 409s; the others are decided as if they were not there.
    expect(brief(outcomes)).toEqual([
      'rejected:INSUFFICIENT_STOCK',
      'duplicate',
      'applied',
      'duplicate',
      'applied',
      'rejected:HOLD_NOT_ACTIVE',
    ]);
    expect((await h.itemDoc()).doc).toMatchObject({ available: 4, reserved: 1, confirmed: 4 });
  });

  it('keeps and reports the batches that committed, and only those, when a later batch of the group fails', async () => {
    await h.createItem(1000);
    const commands = Array.from({ length: 110 }, (_, i) => reserve(`res-${i}`, 1)); // 98 + 12
    h.store.intercept = (call) => {
      if (call === 2) throw new TransientStoreError('throttled', 'slow down');
      return undefined;
    };
    const committed: number[][] = [];
    const run = processCommands(ITEM, commands, h.deps(), { onCommitted: (i) => void committed.push(i) });
    await expect(run).rejects.toBeInstanceOf(TransientStoreError);
    expect(committed).toEqual([Array.from({ length: 98 }, (_, i) => i)]);
    const { item, reservations } = await readPartition(h.t.store, ITEM);
    expect(item).toMatchObject({ reserved: 98, seq: 99 });
    expect(reservations).toHaveLength(98);
  });
});
