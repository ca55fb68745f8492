import { replayLedger } from '../../src/domain/events';
import { commandMarkerId } from '../../src/domain/ids';
import type { Command, InventoryItem, Reservation } from '../../src/domain/model';
import { ItemCache } from '../../src/app/item-cache';
import { putItem } from '../../src/app/items';
import { processCommands } from '../../src/app/process-commands';
import { ConflictRetriesExhaustedError, UnexpectedWriteError } from '../../src/app/processing/outcome';
import { TransientStoreError } from '../../src/ports/store';
import {
  adjust,
  cancel,
  confirm,
  counters,
  dumpStore,
  expireHold,
  fixedClock,
  ITEM,
  readPartition,
  reserve,
} from '../support/domain-fixtures';
import { brief, opsSummary, useProcessorHarness } from '../support/processor-harness';

const h = useProcessorHarness('process-');

describe('processCommands with the embedded store', () => {
  it('commits a Reserve in one batch: item replaced under its ETag, reservation created, its event in a ledger page', async () => {
    await h.createItem(10);
    const before = await h.itemDoc();
    const command = reserve('res-1', 3);
    const committed: number[][] = [];
    const outcomes = await processCommands(ITEM, [command], h.deps(), {
      onCommitted: (i) => void committed.push(i),
    });

    expect(outcomes).toEqual([
      { status: 'applied', reason: null, commandId: command.commandId, reservationId: 'res-1' },
    ]);
    expect(h.store.batches).toHaveLength(1);
    expect(opsSummary(h.store.batches[0] ?? [])).toEqual([
      'create:ledger-page',
      'create:reservation',
      'replace:inventory',
    ]);
    expect(h.store.batches[0]?.find((op) => op.op === 'replace')).toMatchObject({
      doc: { type: 'inventory' },
      ifMatch: before.etag,
    });
    expect(committed).toEqual([[0]]);

    const { item, reservations, events } = await readPartition(h.t.store, ITEM);
    expect(item).toMatchObject({ available: 7, reserved: 3, confirmed: 0, seq: 2 });
    expect(reservations).toEqual([expect.objectContaining({ id: 'res-1', status: 'held', quantity: 3 })]);
    expect(events.map((e) => e.kind)).toEqual(['ItemCreated', 'ReservationHeld']);
    expect(replayLedger(events)).toEqual({ ...counters(item as InventoryItem), seq: 2 });
    // The cache now holds what was written, with its new ETag: the next command needs no read.
    expect(h.cache.get(ITEM)).toEqual(await h.itemDoc());
  });

  it.each([
    ['the warm cache', false],
    ['an empty cache (after a restart)', true],
  ])('reports a redelivered Reserve as duplicate and changes nothing, with %s', async (_name, restart) => {
    await h.createItem(10);
    const command = reserve('res-1', 3);
    await processCommands(ITEM, [command], h.deps());
    const snapshot = dumpStore(h.t.db);
    if (restart) h.cache = new ItemCache(100);
    const committed: number[][] = [];

    const outcomes = await processCommands(ITEM, [command], h.deps(), {
      onCommitted: (i) => void committed.push(i),
    });

    expect(outcomes).toEqual([
      { status: 'duplicate', reason: null, commandId: command.commandId, reservationId: 'res-1' },
    ]);
    expect(dumpStore(h.t.db)).toEqual(snapshot);
    expect(committed).toEqual([]);
    expect((await h.itemDoc()).doc).toMatchObject({ available: 7, reserved: 3 });
  });

  it('reports a Reserve reusing an existing reservation id under a new command id as duplicate', async () => {
    await h.createItem(10);
    await processCommands(ITEM, [reserve('res-1', 3)], h.deps());
    const snapshot = dumpStore(h.t.db);
    const outcomes = await processCommands(
      ITEM,
      [reserve('res-1', 5)],
      h.deps({ cache: new ItemCache(100) }),
    );
    expect(brief(outcomes)).toEqual(['duplicate']);
    expect(dumpStore(h.t.db)).toEqual(snapshot);
  });

  it.each([
    ['Confirm', () => confirm('res-1'), { available: 7, reserved: 0, confirmed: 3 }],
    ['Cancel', () => cancel('res-1'), { available: 10, reserved: 0, confirmed: 0 }],
    ['ExpireHold', () => expireHold('res-1'), { available: 10, reserved: 0, confirmed: 0 }],
    ['Adjust', () => adjust(5), { available: 12, reserved: 3, confirmed: 0 }],
  ] as const)(
    'reports a redelivered %s as duplicate or noop and changes nothing',
    async (type, make, expected) => {
      await h.createItem(10);
      await processCommands(ITEM, [reserve('res-1', 3)], h.deps());
      const command: Command = make();
      const first = await processCommands(ITEM, [command], h.deps());
      expect(brief(first)).toEqual(['applied']);
      expect(await h.t.store.read(ITEM, commandMarkerId(command.commandId))).toMatchObject({
        doc: { type: 'command', commandId: command.commandId, commandType: type, outcome: 'applied' },
      });
      const snapshot = dumpStore(h.t.db);

      for (const fresh of [false, true]) {
        if (fresh) h.cache = new ItemCache(100);
        const again = await processCommands(ITEM, [command], h.deps());
        // An ExpireHold finds the hold no longer active and writes nothing; the others hit the marker's 409.
        expect(brief(again)).toEqual([type === 'ExpireHold' ? 'noop' : 'duplicate']);
        expect(dumpStore(h.t.db)).toEqual(snapshot);
      }
      expect(counters((await h.itemDoc()).doc)).toEqual(expected);
    },
  );

  it('reports a redelivered rejected Confirm as duplicate (its marker, not its decision, answers)', async () => {
    await h.createItem(10);
    const command = confirm('res-unknown');
    expect(brief(await processCommands(ITEM, [command], h.deps()))).toEqual([
      'rejected:RESERVATION_NOT_FOUND',
    ]);
    const snapshot = dumpStore(h.t.db);
    expect(brief(await processCommands(ITEM, [command], h.deps()))).toEqual(['duplicate']);
    expect(dumpStore(h.t.db)).toEqual(snapshot);
  });

  it('reloads and decides again after an ETag conflict (the item was replaced behind its back)', async () => {
    await h.createItem(10);
    await processCommands(ITEM, [reserve('res-1', 3)], h.deps());
    const stale = h.cache.get(ITEM);
    // An admin PUT raises available to 2 while the cache still holds the old document and ETag.
    const current = await h.itemDoc();
    const put = await putItem(
      { store: h.t.store, clock: fixedClock },
      { inventoryId: ITEM, available: 2, name: 'x' },
      current.etag,
    );
    expect(put.kind).toBe('replaced');
    expect(h.cache.get(ITEM)?.etag).toBe(stale?.etag);
    h.store.batches.length = 0;

    // Decided against the stale copy (available 7) this would be held; against the real one it is rejected.
    const outcomes = await processCommands(ITEM, [reserve('res-2', 5), reserve('res-3', 2)], h.deps());

    expect(brief(outcomes)).toEqual(['rejected:INSUFFICIENT_STOCK', 'applied']);
    expect(h.store.batches).toHaveLength(2);
    const { item, reservations, events } = await readPartition(h.t.store, ITEM);
    expect(item).toMatchObject({ available: 0, reserved: 5, confirmed: 0, name: 'x' });
    expect(reservations.map((r) => `${r.id}:${r.status}`)).toEqual([
      'res-1:held',
      'res-2:rejected',
      'res-3:held',
    ]);
    expect(events.map((e) => e.kind)).toEqual([
      'ItemCreated',
      'ReservationHeld',
      'StockSet',
      'ReservationRejected',
      'ReservationHeld',
    ]);
    expect(replayLedger(events)).toEqual({
      ...counters(item as InventoryItem),
      seq: (item as InventoryItem).seq,
    });
    expect(h.cache.get(ITEM)).toEqual(await h.itemDoc());
  });

  it('after a conflict also reads the reservations again (another consumer settled the hold meanwhile)', async () => {
    await h.createItem(10);
    await processCommands(ITEM, [reserve('res-1', 3)], h.deps());
    h.store.batches.length = 0;
    // A consumer that lost its session lock cancels the hold just before this one commits its Confirm.
    h.store.intercept = async (call) => {
      if (call === 1) {
        const other = await processCommands(ITEM, [cancel('res-1')], {
          store: h.t.store,
          clock: fixedClock,
          cache: new ItemCache(1),
        });
        expect(brief(other)).toEqual(['applied']);
      }
      return undefined;
    };
    const outcomes = await processCommands(ITEM, [confirm('res-1')], h.deps({ maxConflictRetries: 3 }));
    expect(brief(outcomes)).toEqual(['rejected:HOLD_NOT_ACTIVE']);
    expect(h.store.batches).toHaveLength(2);
    expect((await h.itemDoc()).doc).toMatchObject({ available: 10, reserved: 0, confirmed: 0 });
    expect((await h.t.store.read<Reservation>(ITEM, 'res-1'))?.doc.status).toBe('cancelled');
  });

  it('gives up with ConflictRetriesExhaustedError when the conflict persists, writing nothing partial', async () => {
    await h.createItem(10);
    await processCommands(ITEM, [reserve('res-1', 3)], h.deps());
    h.store.batches.length = 0;
    // Before every batch of the processor, someone else writes the item.
    h.store.intercept = async () => {
      await h.touchItem();
      return undefined;
    };
    const committed: number[][] = [];
    const run = processCommands(
      ITEM,
      [reserve('res-2', 1), confirm('res-1'), adjust(4)],
      h.deps({ maxConflictRetries: 2 }),
      {
        onCommitted: (i) => void committed.push(i),
      },
    );

    await expect(run).rejects.toBeInstanceOf(ConflictRetriesExhaustedError);
    expect(h.store.batches).toHaveLength(3); // the first attempt and two retries
    expect(committed).toEqual([]);
    const { item, reservations, events } = await readPartition(h.t.store, ITEM);
    expect(item).toMatchObject({ available: 7, reserved: 3, confirmed: 0, seq: 2 });
    expect(reservations.map((r) => `${r.id}:${r.status}`)).toEqual(['res-1:held']);
    expect(events).toHaveLength(2);
  });

  it('retries an injected conflict once and then commits', async () => {
    await h.createItem(10);
    h.store.intercept = (call) => (call === 1 ? { ok: false, failure: 'conflict', index: 0 } : undefined);
    const outcomes = await processCommands(ITEM, [reserve('res-1', 3)], h.deps({ maxConflictRetries: 1 }));
    expect(brief(outcomes)).toEqual(['applied']);
    expect(h.store.batches).toHaveLength(2);
    expect((await h.itemDoc()).doc).toMatchObject({ available: 7, reserved: 3, seq: 2 });
  });

  it('throws a transient store error (so the host redelivers) and writes nothing', async () => {
    await h.createItem(10);
    const snapshot = dumpStore(h.t.db);
    h.store.intercept = () => {
      throw new TransientStoreError('throttled', 'slow down', 100);
    };
    const committed: number[][] = [];
    const run = processCommands(ITEM, [reserve('res-1', 3), adjust(2)], h.deps(), {
      onCommitted: (i) => void committed.push(i),
    });
    await expect(run).rejects.toBeInstanceOf(TransientStoreError);
    expect(committed).toEqual([]);
    expect(dumpStore(h.t.db)).toEqual(snapshot);
  });

  it('throws UnexpectedWriteError on a failure no retry can fix', async () => {
    await h.createItem(10);
    const snapshot = dumpStore(h.t.db);
    h.store.intercept = () => ({ ok: false, failure: 'tooLarge', index: 1 });
    await expect(processCommands(ITEM, [reserve('res-1', 3)], h.deps())).rejects.toBeInstanceOf(
      UnexpectedWriteError,
    );
    expect(h.store.batches).toHaveLength(1);
    expect(dumpStore(h.t.db)).toEqual(snapshot);
  });

  it('decides against a missing item: rejected INVENTORY_NOT_FOUND, recorded without events', async () => {
    const outcomes = await processCommands(
      ITEM,
      [reserve('res-1', 1), confirm('res-1'), adjust(3)],
      h.deps(),
    );
    expect(brief(outcomes)).toEqual([
      'rejected:INVENTORY_NOT_FOUND',
      'rejected:INVENTORY_NOT_FOUND',
      'rejected:INVENTORY_NOT_FOUND',
    ]);
    const { item, reservations, events } = await readPartition(h.t.store, ITEM);
    expect(item).toBeNull();
    expect(events).toEqual([]);
    expect(reservations.map((r) => `${r.id}:${r.status}:${r.reason}`)).toEqual([
      'res-1:rejected:INVENTORY_NOT_FOUND',
    ]);
  });
});
