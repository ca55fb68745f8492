import type Database from 'better-sqlite3';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase } from '../../src/adapters/embedded/database';
import { EmbeddedStore } from '../../src/adapters/embedded/embedded-store';
import { EmbeddedSessionQueue } from '../../src/adapters/embedded/queue';
import { queryAll, readLedger } from '../../src/app/queries';
import { createItem } from '../../src/domain/item';
import { tallyId } from '../../src/domain/ids';
import type {
  AdjustCommand,
  CancelCommand,
  ConfirmCommand,
  ExpireHoldCommand,
  InventoryItem,
  LedgerEvent,
  Reservation,
  UserTally,
  ReserveCommand,
} from '../../src/domain/model';
import type { Clock } from '../../src/ports/clock';
import type {
  BatchOperation,
  BatchResult,
  CrossPartitionSpec,
  DocumentStore,
  Page,
  PageRequest,
  QuerySpec,
  StoredDocument,
  Versioned,
  WriteResult,
} from '../../src/ports/store';

/** The fixed instant every test clock answers, so timestamps written by different runs compare equal. */
export const T0 = '2026-01-01T00:00:00.000Z';
export const T0_MS = Date.parse(T0);

/** An ISO timestamp `seconds` after T0 (negative: before). */
export function at(seconds: number): string {
  return new Date(T0_MS + seconds * 1000).toISOString();
}

export const fixedClock: Clock = { now: () => new Date(T0) };

/** A clock the test moves by hand. */
export function manualClock(
  start = T0_MS,
): Clock & { set(iso: string): void; advance(seconds: number): void } {
  let now = start;
  return {
    now: () => new Date(now),
    set: (iso) => {
      now = Date.parse(iso);
    },
    advance: (seconds) => {
      now += seconds * 1000;
    },
  };
}

let sequence = 0;
/** A fresh, valid id (matches the domain id pattern). */
export function uid(prefix = 'id'): string {
  sequence += 1;
  return `${prefix}-${sequence.toString(36)}`;
}

export const ITEM = 'sku-1';

/** A newly created item (its ItemCreated event is seq 1) and that event. */
export function newItem(
  available: number,
  inventoryId = ITEM,
  now = T0,
): { item: InventoryItem; events: LedgerEvent[] } {
  return createItem({ inventoryId, available, name: `item ${inventoryId}` }, uid('c'), now);
}

export function item(
  counters: Partial<
    Pick<InventoryItem, 'available' | 'reserved' | 'confirmed' | 'seq' | 'maxPerUser' | 'limitSince'>
  >,
  inventoryId = ITEM,
): InventoryItem {
  return {
    type: 'inventory',
    id: inventoryId,
    inventoryId,
    name: 'test item',
    available: 0,
    reserved: 0,
    confirmed: 0,
    seq: 1,
    createdAt: T0,
    updatedAt: T0,
    ...counters,
  };
}

export function held(quantity: number, overrides: Partial<Reservation> = {}): Reservation {
  return {
    type: 'reservation',
    id: 'res-1',
    inventoryId: ITEM,
    quantity,
    userId: 'user-1',
    status: 'held',
    reason: null,
    expiresAt: at(900),
    requestedAt: T0,
    decidedAt: T0,
    updatedAt: T0,
    commandId: 'cmd-reserve',
    ...overrides,
  };
}

type Opt<C> = Partial<Omit<C, 'type'>>;

/** A user's tally of the test item, counted under the limit set at sequence number 1. */
export function tallyOf(
  userId: string,
  counts: Partial<Pick<UserTally, 'held' | 'confirmed'>> = {},
): UserTally {
  return {
    type: 'tally',
    id: tallyId(userId),
    inventoryId: ITEM,
    userId,
    held: 0,
    confirmed: 0,
    since: 1,
    updatedAt: T0,
    ...counts,
  };
}

export function reserve(
  reservationId: string,
  quantity: number,
  opts: Opt<ReserveCommand> = {},
): ReserveCommand {
  return {
    type: 'Reserve',
    commandId: uid('c'),
    inventoryId: ITEM,
    requestedAt: T0,
    reservationId,
    quantity,
    userId: 'user-1',
    expiresAt: at(900),
    ...opts,
  };
}

export function confirm(reservationId: string, opts: Opt<ConfirmCommand> = {}): ConfirmCommand {
  return { type: 'Confirm', commandId: uid('c'), inventoryId: ITEM, requestedAt: T0, reservationId, ...opts };
}

export function cancel(reservationId: string, opts: Opt<CancelCommand> = {}): CancelCommand {
  return { type: 'Cancel', commandId: uid('c'), inventoryId: ITEM, requestedAt: T0, reservationId, ...opts };
}

export function expireHold(reservationId: string, opts: Opt<ExpireHoldCommand> = {}): ExpireHoldCommand {
  return {
    type: 'ExpireHold',
    commandId: uid('c'),
    inventoryId: ITEM,
    requestedAt: T0,
    reservationId,
    expiresAt: at(900),
    ...opts,
  };
}

export function adjust(delta: number, opts: Opt<AdjustCommand> = {}): AdjustCommand {
  return {
    type: 'Adjust',
    commandId: uid('c'),
    inventoryId: ITEM,
    requestedAt: T0,
    delta,
    reason: 'count',
    ...opts,
  };
}

export function counters(item: Pick<InventoryItem, 'available' | 'reserved' | 'confirmed'>): {
  available: number;
  reserved: number;
  confirmed: number;
} {
  return { available: item.available, reserved: item.reserved, confirmed: item.confirmed };
}

/** A real embedded store on a fresh temp directory. */
export interface TestStore {
  store: EmbeddedStore;
  queue: EmbeddedSessionQueue;
  /** The queue's own file, to look at what it holds. */
  queueDb(): Database.Database;
  db: Database.Database;
  dir: string;
  close(): Promise<void>;
}

export function openTestStore(clock: Clock = fixedClock, prefix = 'unit-'): TestStore {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const db = openDatabase(dir);
  const store = new EmbeddedStore(db, clock);
  const queueDb = openDatabase(dir, 'queue.db');
  // The real embedded queue (duplicate detection, schedules): what the consumer sends expiries to.
  const queue = new EmbeddedSessionQueue(queueDb, { clock });
  return {
    store,
    queue,
    queueDb: () => queueDb,
    db,
    dir,
    close: async () => {
      await queue.close();
      queueDb.close();
      db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Every row of the store, ETags included: equal dumps mean nothing was written in between. */
export function dumpStore(db: Database.Database): { pk: string; id: string; etag: string; body: string }[] {
  return db
    .prepare<[], { pk: string; id: string; etag: string; body: string }>(
      'SELECT pk, id, etag, body FROM store_docs ORDER BY pk, id',
    )
    .all();
}

/** The documents of one partition grouped by type, read through the store port. */
export async function readPartition(
  store: DocumentStore,
  inventoryId: string,
): Promise<{ item: InventoryItem | null; reservations: Reservation[]; events: LedgerEvent[] }> {
  const item = (await store.read<InventoryItem & StoredDocument>(inventoryId, inventoryId))?.doc ?? null;
  const reservations = await queryAll<Reservation & StoredDocument>(store, inventoryId, {
    type: 'reservation',
    orderBy: 'id',
  });
  const events = await readLedger(store, inventoryId);
  return { item, reservations, events };
}

/**
 * Decides what happens to one `batch` call: undefined lets it through to the real store; a result
 * replaces it (nothing written); a throw is thrown to the caller.
 */
export type BatchInterceptor = (
  call: number,
  partitionKey: string,
  operations: readonly BatchOperation[],
) => Promise<BatchResult | undefined> | BatchResult | undefined;

/** Delegates to a real store and records every batch; an interceptor can fail chosen calls. */
export class InterceptingStore implements DocumentStore {
  readonly batches: BatchOperation[][] = [];
  intercept: BatchInterceptor | null = null;
  maxBatches = 5000;

  constructor(readonly inner: DocumentStore) {}

  read<T extends StoredDocument>(partitionKey: string, id: string): Promise<Versioned<T> | null> {
    return this.inner.read<T>(partitionKey, id);
  }

  create(partitionKey: string, doc: StoredDocument): Promise<WriteResult> {
    return this.inner.create(partitionKey, doc);
  }

  replace(partitionKey: string, doc: StoredDocument, ifMatch?: string): Promise<WriteResult> {
    return this.inner.replace(partitionKey, doc, ifMatch);
  }

  async batch(partitionKey: string, operations: readonly BatchOperation[]): Promise<BatchResult> {
    // A processor that retries forever would otherwise hang the suite instead of failing it.
    if (this.batches.length >= this.maxBatches) throw new Error(`more than ${this.maxBatches} batch calls`);
    this.batches.push([...operations]);
    const injected = await this.intercept?.(this.batches.length, partitionKey, operations);
    if (injected) return injected;
    return this.inner.batch(partitionKey, operations);
  }

  query<T extends StoredDocument>(
    partitionKey: string,
    spec: QuerySpec,
    page: PageRequest,
  ): Promise<Page<T>> {
    return this.inner.query<T>(partitionKey, spec, page);
  }

  queryAcrossPartitions<T extends StoredDocument>(
    spec: CrossPartitionSpec,
    page: PageRequest,
  ): Promise<Page<T>> {
    return this.inner.queryAcrossPartitions<T>(spec, page);
  }

  sync(): Promise<void> {
    return this.inner.sync();
  }

  ping(): Promise<void> {
    return this.inner.ping();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
