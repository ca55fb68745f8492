import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase } from '../../src/adapters/embedded/database';
import { EmbeddedStore } from '../../src/adapters/embedded/embedded-store';
import { listLedger } from '../../src/app/queries';
import { applyEvents, delta, ledgerPage } from '../../src/domain/events';
import { createItem } from '../../src/domain/item';
import type { LedgerEvent } from '../../src/domain/model';
import { systemClock } from '../../src/ports/clock';
import { InvalidContinuationError, type DocumentStore, type StoredDocument } from '../../src/ports/store';

/**
 * The ledger listing over what a store holds after the change to pages: events written one document each
 * first, then pages of a batch's events. Every page size lists every event once, in sequence order.
 */

let dir: string;
let store: EmbeddedStore;
const ITEM = 'sku-list';

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'int-ledger-listing-'));
  store = new EmbeddedStore(openDatabase(dir));
  const created = createItem({ inventoryId: ITEM, available: 10 }, 'c-0', '2030-01-01T00:00:00.000Z');
  let item = created.item;
  const events: LedgerEvent[] = [...created.events];
  for (let i = 1; i < 12; i++) {
    const next = applyEvents(item, [{ kind: 'StockAdjusted', delta: delta(1) }], `c-${i}`, item.updatedAt);
    item = next.item;
    events.push(...next.events);
  }
  // Seq 1-3 as single documents (before pages), then pages of 3, 1 and 5 events.
  const docs: StoredDocument[] = [
    ...events.slice(0, 3),
    ledgerPage(events.slice(3, 6)),
    ledgerPage(events.slice(6, 7)),
    ledgerPage(events.slice(7, 12)),
    item,
  ];
  const written = await store.batch(
    ITEM,
    docs.map((doc) => ({ op: 'create', doc })),
  );
  expect(written.ok).toBe(true);
});

afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const deps = () => ({ store, clock: systemClock, pendingHorizonMs: 86_400_000 });

async function listAll(limit: number): Promise<number[][]> {
  const pages: number[][] = [];
  let continuation: string | undefined;
  do {
    const page = await listLedger(deps(), ITEM, limit, continuation);
    expect(page.items.length).toBeLessThanOrEqual(limit);
    pages.push(page.items.map((e) => e.seq));
    continuation = page.continuation ?? undefined;
  } while (continuation !== undefined && pages.length < 100);
  return pages;
}

test.each([1, 2, 3, 4, 5, 7, 12, 100])(
  'lists single events then pages, %i at a time, each once in order',
  async (limit) => {
    const pages = await listAll(limit);
    expect(pages.flat()).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    // Only the last listing page may be short.
    pages.slice(0, -1).forEach((p) => expect(p).toHaveLength(limit));
  },
);

test('refuses a continuation the listing did not issue', async () => {
  await expect(listLedger(deps(), ITEM, 5, 'forged')).rejects.toBeInstanceOf(InvalidContinuationError);
  const bad = Buffer.from(
    JSON.stringify({ ledger: { phase: 'pages', store: null, size: 0, pages: 0, skip: -1 } }),
  ).toString('base64url');
  await expect(listLedger(deps(), ITEM, 5, bad)).rejects.toBeInstanceOf(InvalidContinuationError);
});

test('goes on past a store read that comes back empty before the end, as Cosmos DB pages may', async () => {
  // The first read of pages answers nothing but a continuation from where it started.
  let first = true;
  const halting: DocumentStore = Object.create(store) as DocumentStore;
  halting.query = (pk, spec, page) => {
    if (spec.type === 'ledger-page' && first) {
      first = false;
      const start = Buffer.from(JSON.stringify({ id: '', seq: 0, by: 'seq' })).toString('base64url');
      return Promise.resolve({ items: [], continuation: start });
    }
    return store.query(pk, spec, page);
  };
  const page = await listLedger({ ...deps(), store: halting }, ITEM, 100, undefined);
  expect(page.items.map((e) => e.seq)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
  expect(first).toBe(false);
});

test('takes a continuation issued before ledger pages for one of the single events', async () => {
  const old = await store.query(ITEM, { type: 'event', orderBy: 'seq' }, { limit: 2 });
  const page = await listLedger(deps(), ITEM, 100, old.continuation ?? undefined);
  expect(page.items.map((e) => e.seq)).toEqual(Array.from({ length: 10 }, (_, i) => i + 3));
});
