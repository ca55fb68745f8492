import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase } from '../../src/adapters/embedded/database';
import { EmbeddedStore } from '../../src/adapters/embedded/embedded-store';
import type { BatchOperation, StoredDocument } from '../../src/ports/store';
import { DelayedStore } from '../../tools/bench/delayed-store';
import { describeMachine, evaluateTargets, renderMarkdown, scenarioTable } from '../../tools/bench/report';
import { totalRequestUnits } from '../../tools/bench/ru-meter';
import {
  chargeBatch,
  chargeOperation,
  CONTAINER_POLICY,
  documentBytes,
  indexTermCount,
  indexValues,
  modifiedTermCount,
  partitionCeiling,
  readCharge,
  type ChargedOperation,
  type IndexingPolicy,
} from '../../tools/bench/ru-model';
import { hotPartitionTable, RU_SOURCES, ruModelSection } from '../../tools/bench/ru-report';
import { benchModes, benchRun, DEFAULT_CONFIG, type BenchConfig } from '../../tools/bench/run';

const KB = 1024;

// The worked examples of https://learn.microsoft.com/azure/cosmos-db/understand-request-unit-consumption
// assume 10 indexed terms; this policy has 8 included paths, plus id and _ts.
const TEN_TERMS: IndexingPolicy = {
  includedPaths: ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'],
  compositeIndexes: [],
};

describe('the request-unit model charges the published costs', () => {
  it('charges a point read of 1 KB (or less) 1 RU and follows the size table above it', () => {
    expect(readCharge(KB)).toBe(1);
    expect(readCharge(200)).toBe(1);
    expect(readCharge(2 * KB)).toBeCloseTo(1.04, 10);
    expect(readCharge(8 * KB)).toBeCloseTo(1.33, 10);
    // Halfway between the 1 KB (1.00) and 2 KB (1.04) rows.
    expect(readCharge(1.5 * KB)).toBeCloseTo(1.02, 10);
  });

  it('charges a 1 KB create the size-based 4.95 RU plus 0.2 RU per indexed term (the page: 5.0 + 0.2 × 10 = 7)', () => {
    expect(indexTermCount(TEN_TERMS)).toBe(10);
    expect(chargeOperation({ kind: 'create', bytes: KB }, TEN_TERMS)).toBeCloseTo(6.95, 10);
    // Our container: type, status, seq, pk, userId, id, _ts and the (seq, id) composite index.
    expect(indexTermCount(CONTAINER_POLICY)).toBe(8);
    expect(chargeOperation({ kind: 'create', bytes: KB })).toBeCloseTo(6.55, 10);
    expect(chargeOperation({ kind: 'create', bytes: 8 * KB })).toBeCloseTo(7.04 + 1.6, 10);
  });

  it('charges a replace as a delete plus an insert plus each changed term twice (the page: 10.8 for two)', () => {
    const replace = chargeOperation({ kind: 'replace', bytes: KB, previousBytes: KB, modifiedTerms: 2 });
    expect(replace).toBeCloseTo(4.95 + 4.95 + 0.4 * 2, 10);
    const grown = chargeOperation({ kind: 'replace', bytes: 2 * KB, previousBytes: KB, modifiedTerms: 0 });
    expect(grown).toBeCloseTo(4.95 + 6.29, 10);
  });

  it('charges a delete the size-based charge plus removing every term (the page: 5.0 + 0.2 × 10 = 7)', () => {
    expect(chargeOperation({ kind: 'delete', previousBytes: KB }, TEN_TERMS)).toBeCloseTo(6.95, 10);
  });

  it('charges an upsert as a create when nothing was there and as a replace otherwise', () => {
    expect(chargeOperation({ kind: 'upsert', bytes: KB, previous: null })).toBe(
      chargeOperation({ kind: 'create', bytes: KB }),
    );
    expect(chargeOperation({ kind: 'upsert', bytes: KB, previous: { bytes: KB, modifiedTerms: 2 } })).toBe(
      chargeOperation({ kind: 'replace', bytes: KB, previousBytes: KB, modifiedTerms: 2 }),
    );
  });

  it('charges a transactional batch the sum of its operations', () => {
    const ops: ChargedOperation[] = [
      { kind: 'replace', bytes: KB, previousBytes: KB, modifiedTerms: 3 },
      { kind: 'create', bytes: 600 },
      { kind: 'create', bytes: 3 * KB },
      { kind: 'delete', previousBytes: KB },
    ];
    const sum = ops.reduce((total, op) => total + chargeOperation(op), 0);
    expect(chargeBatch(ops)).toBeCloseTo(sum, 10);
    expect(chargeBatch(ops)).toBeCloseTo(11.1 + 6.55 + (6.29 + (6.67 - 6.29) / 2 + 1.6) + 6.55, 10);
  });

  it('charges a query page a base plus a point read per result', () => {
    expect(chargeOperation({ kind: 'queryPage', resultBytes: [] })).toBeCloseTo(2.8, 10);
    expect(chargeOperation({ kind: 'queryPage', resultBytes: [KB, 2 * KB] })).toBeCloseTo(2.8 + 1 + 1.04, 10);
  });

  it('counts the terms a replace changes: differing indexed values, _ts, and composites over them', () => {
    const item = { type: 'inventory', id: 'i', seq: 4, available: 10, delta: { a: 1 } };
    const before = indexValues(item, 'i');
    expect(modifiedTermCount(before, indexValues({ ...item, available: 9, delta: { a: 2 } }, 'i'))).toBe(1);
    expect(modifiedTermCount(before, indexValues({ ...item, seq: 5 }, 'i'))).toBe(3);
    expect(modifiedTermCount(before, indexValues({ ...item, status: 'held' }, 'i'))).toBe(2);
    expect(modifiedTermCount(before, indexValues(item, 'other-partition'))).toBe(2);
    expect(modifiedTermCount(null, indexValues(item, 'i'))).toBe(8);
  });

  it('measures a document as the JSON bytes of the document plus its partition key', () => {
    const doc = { id: 'r-1', type: 'reservation', note: 'ünïcode' };
    expect(documentBytes('item-1', doc)).toBe(Buffer.byteLength(JSON.stringify({ ...doc, pk: 'item-1' })));
  });

  it('puts the hot-item ceiling at 10,000 RU/s over the RU per decision', () => {
    expect(partitionCeiling(12.5)).toBe(800);
    expect(partitionCeiling(0)).toBe(Number.POSITIVE_INFINITY);
  });
});

describe('the delayed store charges each call through the model', () => {
  let dir: string;
  let db: ReturnType<typeof openDatabase>;
  let store: DelayedStore;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-ru-'));
    db = openDatabase(dir);
    store = new DelayedStore(new EmbeddedStore(db), 0);
  });
  afterEach(() => {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const reservation = (id: string, status: string): StoredDocument & { status: string } => ({
    id,
    type: 'reservation',
    status,
  });

  it('charges creates, reads and replaces, a replace by the terms it changes', async () => {
    // Read through the getter each time: charges are settled when the counts are read.
    const ru = () => store.requestUnits.counts;
    const created = await store.create('p', reservation('r-1', 'held'));
    expect(created.ok).toBe(true);
    expect(ru().write).toBeCloseTo(6.55, 10);
    const read = await store.read('p', 'r-1');
    expect(ru().read).toBe(1);
    await store.replace('p', reservation('r-1', 'confirmed'), read?.etag);
    // status and _ts changed.
    expect(ru().write).toBeCloseTo(6.55 + 10.7, 10);
    expect(ru().documentsWritten).toBe(2);
    expect(ru().failed).toBe(0);
  });

  it('charges a committed batch the sum of its operations', async () => {
    const ops: BatchOperation[] = [
      { op: 'create', doc: reservation('r-1', 'held') },
      { op: 'create', doc: reservation('r-2', 'held') },
      { op: 'replace', doc: reservation('r-1', 'confirmed') },
    ];
    const result = await store.batch('p', ops);
    expect(result.ok).toBe(true);
    expect(store.requestUnits.counts.write).toBeCloseTo(6.55 + 6.55 + 10.7, 10);
    expect(store.requestUnits.counts.documentsWritten).toBe(3);
  });

  it('charges refused writes and failed batches as failed, writing nothing to the write count', async () => {
    await store.create('p', reservation('r-1', 'held'));
    const before = store.requestUnits.counts.write;
    const stale = await store.replace('p', reservation('r-1', 'confirmed'), '"not-the-etag"');
    expect(stale.ok).toBe(false);
    expect(store.requestUnits.counts.failed).toBe(1);
    const failed = await store.batch('p', [
      { op: 'create', doc: reservation('r-2', 'held') },
      { op: 'create', doc: reservation('r-1', 'held') },
    ]);
    expect(failed).toEqual({ ok: false, failure: 'duplicate', index: 1 });
    // The first create ran and was rolled back; the duplicate is refused.
    expect(store.requestUnits.counts.failed).toBeCloseTo(1 + 6.55 + 1, 10);
    expect(store.requestUnits.counts.write).toBe(before);
    expect(await store.read('p', 'missing')).toBeNull();
    expect(store.requestUnits.counts.failed).toBeCloseTo(1 + 6.55 + 1 + 1, 10);
  });

  it('charges a query page its base plus a read per result', async () => {
    await store.batch('p', [
      { op: 'create', doc: reservation('r-1', 'held') },
      { op: 'create', doc: reservation('r-2', 'held') },
    ]);
    const page = await store.query('p', { type: 'reservation', orderBy: 'id' }, { limit: 10 });
    expect(page.items).toHaveLength(2);
    expect(store.requestUnits.counts.query).toBeCloseTo(2.8 + 2, 10);
    expect(totalRequestUnits(store.requestUnits.counts)).toBeCloseTo(13.1 + 4.8, 10);
  });
});

describe('the report gives RU per decision and the hot-item ceiling', () => {
  const config: BenchConfig = { ...DEFAULT_CONFIG, commands: 200, seconds: 30, clients: 128, delayMs: 0 };
  const group = benchModes([10]).find((m) => m.id === 'group-10');

  it('shows each run its RU per decision and the ceiling 10,000 RU/s allows', async () => {
    if (!group) throw new Error('no group-10 mode');
    const run = await benchRun(config, 'hot', 'delayed', group);
    expect(run.check.ok).toBe(true);
    // Per decision a reservation created (6.55), a tenth of the item's replace (11.1) and a tenth of the
    // batch's ledger page (ten events, a few KB: at most the 16 KB write, 9.52 + 0.2 x 8 index terms).
    expect(run.ruPerDecision).toBeGreaterThan(6.55 + 11.1 / 10);
    expect(run.ruPerDecision).toBeLessThan(6.55 + (11.1 + 9.52 + 1.6) / 10);
    expect(run.ruPerDecision).toBeCloseTo(totalRequestUnits(run.requestUnits) / run.decided, 10);

    expect(scenarioTable([run])).toContain(`| ${run.ruPerDecision.toFixed(2)} |`);
    const table = hotPartitionTable([run]);
    expect(table).toContain('Ceiling/s at 10,000 RU/s');
    const ceiling = Math.round(10_000 / run.ruPerDecision).toLocaleString('en-US');
    expect(table).toContain(`| ${run.ruPerDecision.toFixed(2)} |`);
    expect(table).toContain(`| ${ceiling} |`);

    const markdown = renderMarkdown({
      machine: describeMachine(),
      config,
      quick: true,
      groupSizes: [10],
      runs: [run],
      targets: evaluateTargets([run], config.delayMs),
      totalSeconds: 1,
    });
    expect(markdown).toContain('## Request units on the hot partition');
    expect(markdown).toContain('## Request-unit model');
    expect(markdown).toContain(`a ceiling of ${ceiling} decided/s`);
  });

  it('states the model with its sources', () => {
    const section = ruModelSection().join('\n');
    for (const url of Object.values(RU_SOURCES)) expect(section).toContain(url);
    expect(section).toContain('| create | 6.55 |');
    expect(section).toContain('| point read | 1.00 |');
  });
});
