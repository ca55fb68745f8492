import { commitBatch } from '../../src/app/processing/commit-batch';
import { decideInOrder } from '../../src/app/processing/decide-in-order';
import { packBatch, type Batch } from '../../src/app/processing/pack-batch';
import type { LedgerPage } from '../../src/domain/model';
import type { Command, InventoryItem, UserTally } from '../../src/domain/model';
import {
  adjust,
  cancel,
  confirm,
  fixedClock,
  InterceptingStore,
  item,
  openTestStore,
  reserve,
  T0,
  tallyOf,
  type TestStore,
} from '../support/domain-fixtures';

const limits = { maxOperations: 100, rejectedTtlSeconds: 90_000 };
const base = (doc: InventoryItem) => ({
  item: { doc, etag: 'e-item' },
  reservations: new Map(),
  tallies: new Map(),
});

function decided(commands: Command[], stock = 1000) {
  return decideInOrder({
    commands,
    start: 0,
    duplicates: new Set(),
    item: item({ available: stock }),
    reservations: new Map(),
    tallies: new Map(),
    now: T0,
    markerTtlSeconds: 60,
  });
}

describe('packBatch', () => {
  it('takes commands in order while their writes fit, and never splits one command across batches', () => {
    // Reserve: a reservation; Confirm of the same hold: a marker; the item and the ledger page once each.
    const commands = Array.from({ length: 60 }, (_, i) => [reserve(`r-${i}`, 1), confirm(`r-${i}`)]).flat();
    const batch = packBatch(decided(commands), base(item({ available: 1000 })), limits);
    // 1 item + 1 page + k reservations (each written once) + k markers <= 100 → k = 49, and the Reserve of
    // the 50th (one more operation) does not fit.
    expect(batch.operations.length).toBeLessThanOrEqual(100);
    expect(batch.settled.map((s) => s.index)).toEqual(
      Array.from({ length: batch.settled.length }, (_, i) => i),
    );
    expect(batch.settled).toHaveLength(98);
    expect(batch.operations).toHaveLength(1 + 1 + 49 + 49);
    const page = batch.operations.find((op) => op.op === 'create' && op.doc.type === 'ledger-page');
    expect(page?.op === 'create' && (page.doc as LedgerPage).events.map((e) => e.seq)).toEqual(
      Array.from({ length: 98 }, (_, i) => i + 2),
    );
  });

  it('writes a reservation touched twice once, in its last state, owned by the command that created it', () => {
    const batch = packBatch(
      decided([reserve('r-1', 2), cancel('r-1')], 10),
      base(item({ available: 10 })),
      limits,
    );
    const writes = batch.operations.flatMap((op, i) =>
      op.op !== 'delete' && op.doc.type === 'reservation' ? [{ op, role: batch.roles[i] }] : [],
    );
    expect(writes).toHaveLength(1);
    expect(writes[0]?.op).toMatchObject({ op: 'create', doc: { id: 'r-1', status: 'cancelled' } });
    expect(writes[0]?.role).toMatchObject({ of: 'reservation', command: 0 });
    expect(batch.item).toMatchObject({ available: 10, reserved: 0 });
  });

  it('gives a rejected reservation its time to live', () => {
    const rejected = packBatch(decided([reserve('r-1', 5)], 1), base(item({ available: 1 })), limits);
    expect(
      rejected.operations.find((op) => op.op === 'create' && op.doc.type === 'reservation'),
    ).toMatchObject({
      doc: { status: 'rejected', ttl: 90_000 },
    });
  });

  it("replaces a reservation it read under that reservation's ETag", () => {
    const held = decided([reserve('r-1', 2)], 10)[0]?.writes?.reservation;
    if (!held) throw new Error('no hold');
    const steps = decideInOrder({
      commands: [confirm('r-1')],
      start: 0,
      duplicates: new Set(),
      item: item({ available: 8, reserved: 2 }),
      reservations: new Map([['r-1', held]]),
      tallies: new Map(),
      now: T0,
      markerTtlSeconds: 60,
    });
    const known = {
      item: { doc: item({ available: 8, reserved: 2 }), etag: 'e-item' },
      reservations: new Map([['r-1', { doc: held, etag: 'e-r1' }]]),
      tallies: new Map(),
    };
    const batch = packBatch(steps, known, limits);
    expect(batch.operations.find((op) => op.op === 'replace' && op.doc.type === 'reservation')).toMatchObject(
      {
        ifMatch: 'e-r1',
        doc: { status: 'confirmed' },
      },
    );
  });
});

describe('packBatch with a per-user limit', () => {
  const limited = item({ available: 100, maxPerUser: 5, limitSince: 1 });
  const decidedLimited = (commands: Command[], tallies: Map<string, UserTally>) =>
    decideInOrder({
      commands,
      start: 0,
      duplicates: new Set(),
      item: limited,
      reservations: new Map(),
      tallies,
      now: T0,
      markerTtlSeconds: 60,
    });

  it("writes each user's tally once, in its last state: created when new, else replaced under its ETag", () => {
    const stored = tallyOf('user-1', { held: 1 });
    const steps = decidedLimited(
      [reserve('r-1', 2), reserve('r-2', 1, { userId: 'user-2' }), reserve('r-3', 1)],
      new Map([['user-1', stored]]),
    );
    const batch = packBatch(
      steps,
      { ...base(limited), tallies: new Map([['user-1', { tally: stored, etag: 'e-t1' }]]) },
      limits,
    );
    const tallyOps = batch.operations.filter((op) => op.op !== 'delete' && op.doc.type === 'tally');
    expect(tallyOps).toEqual([
      { op: 'replace', ifMatch: 'e-t1', doc: expect.objectContaining({ userId: 'user-1', held: 4 }) },
      { op: 'create', doc: expect.objectContaining({ userId: 'user-2', held: 1 }) },
    ]);
  });

  it('writes no tally for an item without a limit', () => {
    const batch = packBatch(decided([reserve('r-1', 2)]), base(item({ available: 10 })), limits);
    expect(batch.roles.some((r) => r.of === 'tally')).toBe(false);
  });
});

describe('commitBatch reads a failure by the role of the operation that failed', () => {
  let t: TestStore;
  beforeEach(() => (t = openTestStore(fixedClock, 'commit-')));
  afterEach(() => t.close());
  function failingAt(index: number, failure: 'duplicate' | 'conflict' | 'notFound'): InterceptingStore {
    const store = new InterceptingStore(t.store);
    store.intercept = () => ({ ok: false, failure, index });
    return store;
  }
  const batch: Batch = packBatch(
    decided([adjust(2), reserve('r-1', 1)]),
    base(item({ available: 10 })),
    limits,
  );
  const at = (of: string, command?: number) =>
    batch.roles.findIndex(
      (r) => r.of === of && (command === undefined || ('command' in r && r.command === command)),
    );

  it.each([
    ['a taken marker', 'marker', 0, { kind: 'duplicate', command: 0 }],
    ['a taken reservation', 'reservation', 1, { kind: 'duplicate', command: 1 }],
    [
      'a taken ledger page (its sequence)',
      'ledger-page',
      undefined,
      { kind: 'conflict', failure: 'duplicate' },
    ],
  ] as const)('409 at %s', async (_name, of, command, expected) => {
    const index = at(of, command);
    expect(index).toBeGreaterThanOrEqual(0);
    await expect(commitBatch('sku', batch, failingAt(index, 'duplicate'))).resolves.toEqual(expected);
  });

  it('412 at the item or 404 anywhere is a conflict', async () => {
    await expect(commitBatch('sku', batch, failingAt(at('item'), 'conflict'))).resolves.toEqual({
      kind: 'conflict',
      failure: 'conflict',
    });
    await expect(commitBatch('sku', batch, failingAt(at('ledger-page'), 'notFound'))).resolves.toEqual({
      kind: 'conflict',
      failure: 'notFound',
    });
  });
});
