import fc from 'fast-check';
import { replayLedger } from '../../src/domain/events';
import { commandMarkerId } from '../../src/domain/ids';
import type { Command, InventoryItem, Reservation } from '../../src/domain/model';
import { handleSessionMessages, type IncomingMessage, type Settlement } from '../../src/app/handle-messages';
import { ItemCache } from '../../src/app/item-cache';
import { putItem } from '../../src/app/items';
import {
  ConflictRetriesExhaustedError,
  processCommands,
  UnexpectedWriteError,
  type CommandOutcome,
  type ProcessorDeps,
} from '../../src/app/process-commands';
import { MAX_BATCH_OPERATIONS, TransientStoreError, type BatchOperation } from '../../src/ports/store';
import {
  adjust,
  at,
  cancel,
  confirm,
  counters,
  dumpStore,
  expireHold,
  fixedClock,
  InterceptingStore,
  ITEM,
  openTestStore,
  readPartition,
  reserve,
  type TestStore,
} from '../support/domain-fixtures';

let t: TestStore;
let store: InterceptingStore;
let cache: ItemCache;

function deps(overrides: Partial<ProcessorDeps> = {}): ProcessorDeps {
  return { store, clock: fixedClock, cache, ...overrides };
}

async function createItem(available: number, inventoryId = ITEM): Promise<void> {
  const put = await putItem(
    { store: t.store, clock: fixedClock },
    { inventoryId, available, name: inventoryId },
    undefined,
  );
  if (put.kind !== 'created') throw new Error(`could not create ${inventoryId}: ${put.kind}`);
}

async function itemDoc(inventoryId = ITEM): Promise<{ doc: InventoryItem; etag: string }> {
  const read = await t.store.read<InventoryItem>(inventoryId, inventoryId);
  if (!read) throw new Error(`no item ${inventoryId}`);
  return read;
}

/** Replaces the item behind the processor's back (an admin write): its ETag changes, the counters do not. */
async function touchItem(inventoryId = ITEM): Promise<void> {
  const current = await itemDoc(inventoryId);
  const written = await t.store.replace(
    { ...current.doc, name: `${current.doc.name}!` } as never,
    current.etag,
  );
  if (!written.ok) throw new Error('touch failed');
}

function brief(outcomes: CommandOutcome[]): string[] {
  return outcomes.map((o) => `${o.status}${o.reason ? `:${o.reason}` : ''}`);
}

function opsSummary(ops: readonly BatchOperation[]): string[] {
  return ops.map((op) => (op.op === 'delete' ? `delete:${op.id}` : `${op.op}:${op.doc.type}`));
}

beforeEach(() => {
  t = openTestStore(fixedClock, 'process-');
  store = new InterceptingStore(t.store);
  cache = new ItemCache(100);
});

afterEach(() => t.close());

describe('processCommands with the embedded store', () => {
  it('commits a Reserve in one batch: item replaced under its ETag, reservation created, event created', async () => {
    await createItem(10);
    const before = await itemDoc();
    const command = reserve('res-1', 3);
    const committed: number[][] = [];
    const outcomes = await processCommands(ITEM, [command], deps(), {
      onCommitted: (i) => void committed.push(i),
    });

    expect(outcomes).toEqual([
      { status: 'applied', reason: null, commandId: command.commandId, reservationId: 'res-1' },
    ]);
    expect(store.batches).toHaveLength(1);
    expect(opsSummary(store.batches[0] ?? [])).toEqual([
      'replace:inventory',
      'create:reservation',
      'create:event',
    ]);
    expect(store.batches[0]?.[0]).toMatchObject({ ifMatch: before.etag });
    expect(committed).toEqual([[0]]);

    const { item, reservations, events } = await readPartition(t.store, ITEM);
    expect(item).toMatchObject({ available: 7, reserved: 3, confirmed: 0, seq: 2 });
    expect(reservations).toEqual([expect.objectContaining({ id: 'res-1', status: 'held', quantity: 3 })]);
    expect(events.map((e) => e.kind)).toEqual(['ItemCreated', 'ReservationHeld']);
    expect(replayLedger(events)).toEqual({ ...counters(item as InventoryItem), seq: 2 });
    // The cache now holds what was written, with its new ETag: the next command needs no read.
    expect(cache.get(ITEM)).toEqual(await itemDoc());
  });

  it.each([
    ['the warm cache', false],
    ['an empty cache (after a restart)', true],
  ])('reports a redelivered Reserve as duplicate and changes nothing, with %s', async (_name, restart) => {
    await createItem(10);
    const command = reserve('res-1', 3);
    await processCommands(ITEM, [command], deps());
    const snapshot = dumpStore(t.db);
    if (restart) cache = new ItemCache(100);
    const committed: number[][] = [];

    const outcomes = await processCommands(ITEM, [command], deps(), {
      onCommitted: (i) => void committed.push(i),
    });

    expect(outcomes).toEqual([
      { status: 'duplicate', reason: null, commandId: command.commandId, reservationId: 'res-1' },
    ]);
    expect(dumpStore(t.db)).toEqual(snapshot);
    expect(committed).toEqual([]);
    expect((await itemDoc()).doc).toMatchObject({ available: 7, reserved: 3 });
  });

  it('reports a Reserve reusing an existing reservation id under a new command id as duplicate', async () => {
    await createItem(10);
    await processCommands(ITEM, [reserve('res-1', 3)], deps());
    const snapshot = dumpStore(t.db);
    const outcomes = await processCommands(ITEM, [reserve('res-1', 5)], deps({ cache: new ItemCache(100) }));
    expect(brief(outcomes)).toEqual(['duplicate']);
    expect(dumpStore(t.db)).toEqual(snapshot);
  });

  it.each([
    ['Confirm', () => confirm('res-1'), { available: 7, reserved: 0, confirmed: 3 }],
    ['Cancel', () => cancel('res-1'), { available: 10, reserved: 0, confirmed: 0 }],
    ['ExpireHold', () => expireHold('res-1'), { available: 10, reserved: 0, confirmed: 0 }],
    ['Adjust', () => adjust(5), { available: 12, reserved: 3, confirmed: 0 }],
  ] as const)(
    'reports a redelivered %s as duplicate or noop and changes nothing',
    async (type, make, expected) => {
      await createItem(10);
      await processCommands(ITEM, [reserve('res-1', 3)], deps());
      const command: Command = make();
      const first = await processCommands(ITEM, [command], deps());
      expect(brief(first)).toEqual(['applied']);
      expect(await t.store.read(ITEM, commandMarkerId(command.commandId))).toMatchObject({
        doc: { type: 'command', commandId: command.commandId, commandType: type, outcome: 'applied' },
      });
      const snapshot = dumpStore(t.db);

      for (const fresh of [false, true]) {
        if (fresh) cache = new ItemCache(100);
        const again = await processCommands(ITEM, [command], deps());
        // An ExpireHold finds the hold no longer active and writes nothing; the others hit the marker's 409.
        expect(brief(again)).toEqual([type === 'ExpireHold' ? 'noop' : 'duplicate']);
        expect(dumpStore(t.db)).toEqual(snapshot);
      }
      expect(counters((await itemDoc()).doc)).toEqual(expected);
    },
  );

  it('reports a redelivered rejected Confirm as duplicate (its marker, not its decision, answers)', async () => {
    await createItem(10);
    const command = confirm('res-unknown');
    expect(brief(await processCommands(ITEM, [command], deps()))).toEqual(['rejected:RESERVATION_NOT_FOUND']);
    const snapshot = dumpStore(t.db);
    expect(brief(await processCommands(ITEM, [command], deps()))).toEqual(['duplicate']);
    expect(dumpStore(t.db)).toEqual(snapshot);
  });

  it('reloads and decides again after an ETag conflict (the item was replaced behind its back)', async () => {
    await createItem(10);
    await processCommands(ITEM, [reserve('res-1', 3)], deps());
    const stale = cache.get(ITEM);
    // An admin PUT raises available to 2 while the cache still holds the old document and ETag.
    const current = await itemDoc();
    const put = await putItem(
      { store: t.store, clock: fixedClock },
      { inventoryId: ITEM, available: 2, name: 'x' },
      current.etag,
    );
    expect(put.kind).toBe('replaced');
    expect(cache.get(ITEM)?.etag).toBe(stale?.etag);
    store.batches.length = 0;

    // Decided against the stale copy (available 7) this would be held; against the real one it is rejected.
    const outcomes = await processCommands(ITEM, [reserve('res-2', 5), reserve('res-3', 2)], deps());

    expect(brief(outcomes)).toEqual(['rejected:INSUFFICIENT_STOCK', 'applied']);
    expect(store.batches).toHaveLength(2);
    const { item, reservations, events } = await readPartition(t.store, ITEM);
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
    expect(cache.get(ITEM)).toEqual(await itemDoc());
  });

  it('after a conflict also reads the reservations again (another consumer settled the hold meanwhile)', async () => {
    await createItem(10);
    await processCommands(ITEM, [reserve('res-1', 3)], deps());
    store.batches.length = 0;
    // A consumer that lost its session lock cancels the hold just before this one commits its Confirm.
    store.intercept = async (call) => {
      if (call === 1) {
        const other = await processCommands(ITEM, [cancel('res-1')], {
          store: t.store,
          clock: fixedClock,
          cache: new ItemCache(1),
        });
        expect(brief(other)).toEqual(['applied']);
      }
      return undefined;
    };
    const outcomes = await processCommands(ITEM, [confirm('res-1')], deps({ maxConflictRetries: 3 }));
    expect(brief(outcomes)).toEqual(['rejected:HOLD_NOT_ACTIVE']);
    expect(store.batches).toHaveLength(2);
    expect((await itemDoc()).doc).toMatchObject({ available: 10, reserved: 0, confirmed: 0 });
    expect((await t.store.read<Reservation>(ITEM, 'res-1'))?.doc.status).toBe('cancelled');
  });

  it('gives up with ConflictRetriesExhaustedError when the conflict persists, writing nothing partial', async () => {
    await createItem(10);
    await processCommands(ITEM, [reserve('res-1', 3)], deps());
    store.batches.length = 0;
    // Before every batch of the processor, someone else writes the item.
    store.intercept = async () => {
      await touchItem();
      return undefined;
    };
    const committed: number[][] = [];
    const run = processCommands(
      ITEM,
      [reserve('res-2', 1), confirm('res-1'), adjust(4)],
      deps({ maxConflictRetries: 2 }),
      {
        onCommitted: (i) => void committed.push(i),
      },
    );

    await expect(run).rejects.toBeInstanceOf(ConflictRetriesExhaustedError);
    expect(store.batches).toHaveLength(3); // the first attempt and two retries
    expect(committed).toEqual([]);
    const { item, reservations, events } = await readPartition(t.store, ITEM);
    expect(item).toMatchObject({ available: 7, reserved: 3, confirmed: 0, seq: 2 });
    expect(reservations.map((r) => `${r.id}:${r.status}`)).toEqual(['res-1:held']);
    expect(events).toHaveLength(2);
  });

  it('retries an injected conflict once and then commits', async () => {
    await createItem(10);
    store.intercept = (call) => (call === 1 ? { ok: false, failure: 'conflict', index: 0 } : undefined);
    const outcomes = await processCommands(ITEM, [reserve('res-1', 3)], deps({ maxConflictRetries: 1 }));
    expect(brief(outcomes)).toEqual(['applied']);
    expect(store.batches).toHaveLength(2);
    expect((await itemDoc()).doc).toMatchObject({ available: 7, reserved: 3, seq: 2 });
  });

  it('throws a transient store error (so the host redelivers) and writes nothing', async () => {
    await createItem(10);
    const snapshot = dumpStore(t.db);
    store.intercept = () => {
      throw new TransientStoreError('throttled', 'slow down', 100);
    };
    const committed: number[][] = [];
    const run = processCommands(ITEM, [reserve('res-1', 3), adjust(2)], deps(), {
      onCommitted: (i) => void committed.push(i),
    });
    await expect(run).rejects.toBeInstanceOf(TransientStoreError);
    expect(committed).toEqual([]);
    expect(dumpStore(t.db)).toEqual(snapshot);
  });

  it('throws UnexpectedWriteError on a failure no retry can fix', async () => {
    await createItem(10);
    const snapshot = dumpStore(t.db);
    store.intercept = () => ({ ok: false, failure: 'tooLarge', index: 1 });
    await expect(processCommands(ITEM, [reserve('res-1', 3)], deps())).rejects.toBeInstanceOf(
      UnexpectedWriteError,
    );
    expect(store.batches).toHaveLength(1);
    expect(dumpStore(t.db)).toEqual(snapshot);
  });

  it('decides against a missing item: rejected INVENTORY_NOT_FOUND, recorded without events', async () => {
    const outcomes = await processCommands(ITEM, [reserve('res-1', 1), confirm('res-1'), adjust(3)], deps());
    expect(brief(outcomes)).toEqual([
      'rejected:INVENTORY_NOT_FOUND',
      'rejected:INVENTORY_NOT_FOUND',
      'rejected:INVENTORY_NOT_FOUND',
    ]);
    const { item, reservations, events } = await readPartition(t.store, ITEM);
    expect(item).toBeNull();
    expect(events).toEqual([]);
    expect(reservations.map((r) => `${r.id}:${r.status}:${r.reason}`)).toEqual([
      'res-1:rejected:INVENTORY_NOT_FOUND',
    ]);
  });
});

describe('group commit', () => {
  /** Checks that every batch stays within the limit and that onCommitted named exactly its commands. */
  function checkBatches(
    commands: readonly Command[],
    committed: { indexes: number[]; outcomes: CommandOutcome[] }[],
  ): void {
    const batches = store.batches;
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
          op.op !== 'delete' &&
          (op.doc.type === 'event' || op.doc.type === 'command') &&
          'commandId' in op.doc
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
    store.batches.length = 0;
    const outcomes = await processCommands(ITEM, commands, deps(), {
      onCommitted: (indexes, outs) => void committed.push({ indexes, outcomes: outs }),
    });
    return { outcomes, committed };
  }

  it('commits 250 Reserves in ceil(250 / 49) batches (item replace shared, reservation + event each)', async () => {
    await createItem(1000);
    const commands = Array.from({ length: 250 }, (_, i) => reserve(`res-${i}`, 2));
    const { outcomes, committed } = await run(commands);

    expect(outcomes.every((o) => o.status === 'applied')).toBe(true);
    const perBatch = Math.floor((MAX_BATCH_OPERATIONS - 1) / 2); // 49
    expect(store.batches).toHaveLength(Math.ceil(250 / perBatch)); // 6
    expect(store.batches.map((b) => b.length)).toEqual([99, 99, 99, 99, 99, 11]);
    for (const ops of store.batches) {
      expect(opsSummary(ops).filter((s) => s === 'replace:inventory')).toHaveLength(1);
      expect(ops[0]).toMatchObject({ op: 'replace', doc: { type: 'inventory' } });
    }
    checkBatches(commands, committed);
    expect(committed.map((c) => c.indexes.length)).toEqual([49, 49, 49, 49, 49, 5]);

    const { item, reservations, events } = await readPartition(t.store, ITEM);
    expect(item).toMatchObject({ available: 500, reserved: 500, confirmed: 0, seq: 251 });
    expect(reservations).toHaveLength(250);
    expect(replayLedger(events)).toEqual({ available: 500, reserved: 500, confirmed: 0, seq: 251 });
  });

  it('commits 250 Confirms in ceil(250 / 33) batches (reservation replace + event + marker each)', async () => {
    await createItem(1000);
    await run(Array.from({ length: 250 }, (_, i) => reserve(`res-${i}`, 1)));
    const commands = Array.from({ length: 250 }, (_, i) => confirm(`res-${i}`));
    const { outcomes, committed } = await run(commands);

    expect(outcomes.every((o) => o.status === 'applied')).toBe(true);
    const perBatch = Math.floor((MAX_BATCH_OPERATIONS - 1) / 3); // 33
    expect(store.batches).toHaveLength(Math.ceil(250 / perBatch)); // 8
    expect(committed.map((c) => c.indexes.length)).toEqual([33, 33, 33, 33, 33, 33, 33, 19]);
    for (const ops of store.batches) {
      const kinds = opsSummary(ops);
      expect(kinds.filter((k) => k === 'replace:reservation')).toHaveLength((ops.length - 1) / 3);
      expect(kinds.filter((k) => k === 'create:command')).toHaveLength((ops.length - 1) / 3);
    }
    checkBatches(commands, committed);
    expect((await itemDoc()).doc).toMatchObject({ available: 750, reserved: 0, confirmed: 250, seq: 501 });
  });

  it('packs a mixed stream greedily: no batch over the limit, none that could have taken the next command', async () => {
    await createItem(100);
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
    store.batches.slice(0, -1).forEach((ops) => expect(ops.length).toBeGreaterThan(MAX_BATCH_OPERATIONS - 4));
    const { item, events } = await readPartition(t.store, ITEM);
    expect(replayLedger(events)).toEqual({
      ...counters(item as InventoryItem),
      seq: (item as InventoryItem).seq,
    });
  });

  it('sends a redelivered command in the middle of a group to duplicate, and decides the rest again without it', async () => {
    await createItem(10);
    const old = reserve('res-1', 4);
    const oldAdjust = adjust(-1);
    await processCommands(ITEM, [old, oldAdjust], deps());
    cache = new ItemCache(100);
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
    expect((await itemDoc()).doc).toMatchObject({ available: 4, reserved: 1, confirmed: 4 });
  });

  it('commits nothing of a group whose batch fails: handleSessionMessages throws and onCommitted is not called', async () => {
    await createItem(10);
    const snapshot = dumpStore(t.db);
    const commands = [reserve('res-1', 2), adjust(3), confirm('res-1')];
    const messages: IncomingMessage[] = commands.map((c) => ({
      body: JSON.stringify(c),
      messageId: c.commandId,
      sessionId: ITEM,
      deliveryCount: 1,
    }));
    const settled: Map<number, Settlement>[] = [];
    for (const failure of [
      () => {
        throw new TransientStoreError('unavailable', 'down');
      },
      () => ({ ok: false as const, failure: 'tooLarge' as const, index: 2 }),
    ]) {
      store.intercept = failure;
      await expect(
        handleSessionMessages(messages, { ...deps(), queue: t.queue }, (s) => void settled.push(s)),
      ).rejects.toThrow();
      expect(settled).toEqual([]);
      expect(dumpStore(t.db)).toEqual(snapshot);
    }
    // Redelivered once the store recovers, the same messages complete normally.
    store.intercept = null;
    const settlements = await handleSessionMessages(
      messages,
      { ...deps(), queue: t.queue },
      (s) => void settled.push(s),
    );
    expect(settlements.map((s) => s.action)).toEqual(['complete', 'complete', 'complete']);
    expect(settled).toHaveLength(1);
    expect((await itemDoc()).doc).toMatchObject({ available: 11, reserved: 0, confirmed: 2 });
  });

  it('completes the batches that committed and only those when a later batch of the group fails', async () => {
    await createItem(1000);
    const commands = Array.from({ length: 60 }, (_, i) => reserve(`res-${i}`, 1)); // 49 + 11
    const messages: IncomingMessage[] = commands.map((c) => ({
      body: c,
      messageId: c.commandId,
      sessionId: ITEM,
      deliveryCount: 1,
    }));
    store.intercept = (call) => {
      if (call === 2) throw new TransientStoreError('throttled', 'slow down');
      return undefined;
    };
    const settled: Map<number, Settlement>[] = [];
    await expect(
      handleSessionMessages(messages, { ...deps(), queue: t.queue }, (s) => void settled.push(s)),
    ).rejects.toBeInstanceOf(TransientStoreError);
    expect(settled).toHaveLength(1);
    expect([...(settled[0]?.keys() ?? [])]).toEqual(Array.from({ length: 49 }, (_, i) => i));
    const { item, reservations } = await readPartition(t.store, ITEM);
    expect(item).toMatchObject({ reserved: 49, seq: 50 });
    expect(reservations).toHaveLength(49);
  });
});

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
    const { item, reservations, events } = await readPartition(t.store, inventoryId);
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
          store.batches.length = 0;
          const modes = ['one', 'grouped'].map((mode) => stock.map((_, s) => `${mode}-${run}-${s}`));
          const outcomes: CommandOutcome[][] = [];
          const states: unknown[] = [];
          for (const [m, items] of modes.entries()) {
            const modeCache = new ItemCache(100);
            for (const [s, inventoryId] of items.entries()) await createItem(stock[s] ?? 0, inventoryId);
            const commands = materialise(steps, items);
            const results: CommandOutcome[] = [];
            for (const inventoryId of items) {
              const session = commands.filter((c) => c.inventoryId === inventoryId);
              if (m === 0) {
                for (const c of session)
                  results.push(...(await processCommands(inventoryId, [c], deps({ cache: modeCache }))));
              } else {
                let start = 0;
                for (let g = 0; start < session.length; g++) {
                  const k = sizes[g % sizes.length] ?? 1;
                  const group = session.slice(start, start + k);
                  results.push(...(await processCommands(inventoryId, group, deps({ cache: modeCache }))));
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
