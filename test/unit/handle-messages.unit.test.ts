import { handleSessionMessages, type IncomingMessage, type Settlement } from '../../src/app/handle-messages';
import { POISON_PARTITION, type PoisonRecord } from '../../src/app/poison';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase } from '../../src/adapters/embedded/database';
import { EmbeddedSessionQueue } from '../../src/adapters/embedded/queue';
import { ItemCache } from '../../src/app/item-cache';
import { putItem } from '../../src/app/items';
import type { LedgerPage } from '../../src/domain/model';
import type { ProcessorDeps } from '../../src/app/process-commands';
import type { Command, InventoryItem } from '../../src/domain/model';
import { QueueUnavailableError, type CommandQueue } from '../../src/ports/queue';
import { TransientStoreError, type DocumentStore } from '../../src/ports/store';
import {
  adjust,
  confirm,
  dumpStore,
  expireHold,
  fixedClock,
  InterceptingStore,
  ITEM,
  openTestStore,
  reserve,
  uid,
  type TestStore,
} from '../support/domain-fixtures';

type PoisonDoc = PoisonRecord;

let t: TestStore;
let deps: ProcessorDeps & { store: DocumentStore; queue: CommandQueue };

beforeEach(async () => {
  t = openTestStore(fixedClock, 'handle-');
  deps = { store: t.store, queue: t.queue, clock: fixedClock, cache: new ItemCache(10) };
  await putItem(deps, { inventoryId: ITEM, available: 10, name: 'n' }, undefined);
});

afterEach(() => t.close());

function message(body: unknown, messageId = uid('m'), sessionId = ITEM): IncomingMessage {
  return { body, messageId, sessionId, deliveryCount: 1 };
}

function ofCommand(command: Command, as: 'string' | 'object' | 'buffer' = 'string'): IncomingMessage {
  const body =
    as === 'object'
      ? command
      : as === 'buffer'
        ? Buffer.from(JSON.stringify(command))
        : JSON.stringify(command);
  return message(body, command.commandId);
}

function poisonDocs(): (PoisonDoc & { pk: string })[] {
  return dumpStore(t.db)
    .map((row) => ({ pk: row.pk, ...(JSON.parse(row.body) as PoisonDoc) }))
    .filter((doc) => doc.type === 'poison');
}

async function item(): Promise<InventoryItem> {
  const read = await t.store.read<InventoryItem>(ITEM, ITEM);
  if (!read) throw new Error('no item');
  return read.doc;
}

function actions(settlements: Settlement[]): string[] {
  return settlements.map((s) =>
    s.action === 'deadLetter' ? `deadLetter:${s.reason}` : `complete:${s.outcome.status}`,
  );
}

describe('handleSessionMessages', () => {
  it('dead-letters and records poison messages with their reason, and still applies the valid ones around them', async () => {
    const held = reserve('res-1', 3);
    const mismatch = reserve('res-9', 1, { inventoryId: 'sku-other' });
    const messages = [
      ofCommand(held),
      message('{"type":"Reserve", "quantity": 1', 'm-json'),
      ofCommand(adjust(5), 'object'),
      message({ ...reserve('res-2', 0), quantity: 0 }, 'm-schema'),
      message({ type: 'Teleport', commandId: 'c-x', inventoryId: ITEM }, 'm-type'),
      message(JSON.stringify(mismatch), 'm-session'),
      ofCommand(confirm('res-1'), 'buffer'),
    ];
    const store = new InterceptingStore(t.store);

    const settlements = await handleSessionMessages(messages, { ...deps, store });

    expect(actions(settlements)).toEqual([
      'complete:applied',
      'deadLetter:MalformedJson',
      'complete:applied',
      'deadLetter:SchemaViolation',
      'deadLetter:SchemaViolation',
      'deadLetter:SessionMismatch',
      'complete:applied',
    ]);
    const schema = settlements[3];
    expect(schema?.action === 'deadLetter' && schema.description).toMatch(/quantity/);
    const session = settlements[5];
    expect(session?.action === 'deadLetter' && session.description).toMatch(/sku-other/);
    // The valid messages were committed together, in one batch.
    expect(store.batches).toHaveLength(1);
    const pages = store.batches[0]?.filter((op) => op.op === 'create' && op.doc.type === 'ledger-page');
    expect(pages?.map((op) => (op.op === 'create' ? (op.doc as LedgerPage).events.length : 0))).toEqual([3]);
    expect(await item()).toMatchObject({ available: 12, reserved: 0, confirmed: 3 });
    // Nothing of the mismatched command reached the other item's partition.
    expect(await t.store.read('sku-other', 'res-9')).toBeNull();
    expect(await t.store.read(ITEM, 'res-9')).toBeNull();

    const poison = poisonDocs();
    expect(poison.map((p) => [p.messageId, p.reason]).sort()).toEqual(
      [
        ['m-json', 'MalformedJson'],
        ['m-schema', 'SchemaViolation'],
        ['m-session', 'SessionMismatch'],
        ['m-type', 'SchemaViolation'],
      ].sort(),
    );
    for (const p of poison) {
      expect(p).toMatchObject({
        pk: ITEM,
        sessionId: ITEM,
        deliveryCount: 1,
        recordedAt: fixedClock.now().toISOString(),
      });
      expect(p.description).not.toBe('');
    }
    expect(poison.find((p) => p.messageId === 'm-json')?.body).toBe('{"type":"Reserve", "quantity": 1');
    expect(JSON.parse(poison.find((p) => p.messageId === 'm-session')?.body ?? 'null')).toEqual(mismatch);
  });

  it('records a poison message once however often it is redelivered', async () => {
    const bad = message('not json', 'm-bad');
    for (let delivery = 1; delivery <= 3; delivery++) {
      const settlements = await handleSessionMessages([{ ...bad, deliveryCount: delivery }], deps);
      expect(actions(settlements)).toEqual(['deadLetter:MalformedJson']);
    }
    expect(poisonDocs()).toHaveLength(1);
  });

  it('records poison from a session id that is not a valid id in the poison partition', async () => {
    const settlements = await handleSessionMessages([message('{}', 'm-1', 'not a valid id!')], deps);
    expect(actions(settlements)).toEqual(['deadLetter:SchemaViolation']);
    expect(poisonDocs()).toEqual([
      expect.objectContaining({ pk: POISON_PARTITION, sessionId: 'not a valid id!' }),
    ]);
  });

  it('writes nothing but poison records for a group of poison messages only', async () => {
    const before = dumpStore(t.db);
    const settlements = await handleSessionMessages([message('['), message({ type: 'Reserve' })], deps);
    expect(actions(settlements)).toEqual(['deadLetter:MalformedJson', 'deadLetter:SchemaViolation']);
    expect(dumpStore(t.db).filter((row) => !row.id.startsWith('poison-'))).toEqual(before);
  });

  it('completes commands settled without a write (noop, duplicate), never leaving them to be abandoned', async () => {
    const held = reserve('res-1', 2);
    await handleSessionMessages([ofCommand(held)], deps);
    const settlements = await handleSessionMessages(
      [ofCommand(held), ofCommand(expireHold('res-unknown')), message('x')],
      { ...deps, cache: new ItemCache(10) },
    );
    expect(actions(settlements)).toEqual(['complete:duplicate', 'complete:noop', 'deadLetter:MalformedJson']);
  });

  it('completes business rejections normally', async () => {
    const settlements = await handleSessionMessages(
      [ofCommand(reserve('res-1', 50)), ofCommand(confirm('res-unknown')), ofCommand(adjust(-11))],
      deps,
    );
    expect(settlements).toEqual([
      expect.objectContaining({
        action: 'complete',
        outcome: expect.objectContaining({ reason: 'INSUFFICIENT_STOCK' }),
      }),
      expect.objectContaining({
        action: 'complete',
        outcome: expect.objectContaining({ reason: 'RESERVATION_NOT_FOUND' }),
      }),
      expect.objectContaining({
        action: 'complete',
        outcome: expect.objectContaining({ reason: 'INSUFFICIENT_STOCK' }),
      }),
    ]);
    expect(await item()).toMatchObject({ available: 10, reserved: 0, confirmed: 0, seq: 4 });
  });
});

describe('hold expiries', () => {
  const scheduled = (queue: EmbeddedSessionQueue) => queue.counts().scheduled;

  it('a held reservation schedules its ExpireHold at expiresAt; a rejected one schedules nothing', async () => {
    const held = reserve('res-held', 4);
    const rejected = reserve('res-rejected', 50);
    await handleSessionMessages([ofCommand(held), ofCommand(rejected)], deps);
    expect(scheduled(t.queue)).toBe(1);
    expect(t.queueDb().prepare('SELECT message_id, available_at FROM queue_messages').all()).toEqual([
      { message_id: `${held.commandId}.expire`, available_at: Date.parse(held.expiresAt) },
    ]);
  });

  it('a redelivered Reserve schedules the same expiry again, and the queue drops the duplicate', async () => {
    const held = reserve('res-again', 1);
    await handleSessionMessages([ofCommand(held)], deps);
    const again = await handleSessionMessages([ofCommand(held)], deps);
    expect(again[0]).toMatchObject({ outcome: { status: 'duplicate' } });
    expect(scheduled(t.queue)).toBe(1);
  });

  it('an expiry send that fails after the commit fails the delivery, and the redelivery schedules it', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'expiry-fsync-'));
    let failures = 1;
    const db = openDatabase(dir, 'queue.db');
    const queue = new EmbeddedSessionQueue(db, {
      clock: fixedClock,
      fsync: (fd, done) => {
        if (failures-- > 0) setImmediate(() => done(Object.assign(new Error('EIO'), { code: 'EIO' })));
        else fs.fsync(fd, done);
      },
    });
    try {
      const held = reserve('res-crash', 2);
      await expect(handleSessionMessages([ofCommand(held)], { ...deps, queue })).rejects.toBeInstanceOf(
        QueueUnavailableError,
      );
      expect((await item()).reserved).toBe(2); // the hold is committed ...
      expect(scheduled(queue)).toBe(0); // ... its expiry is not
      const redelivered = await handleSessionMessages([ofCommand(held)], { ...deps, queue });
      expect(redelivered[0]).toMatchObject({ outcome: { status: 'duplicate' } });
      expect(scheduled(queue)).toBe(1);
    } finally {
      await queue.close();
      db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('retention', () => {
  it('keeps a rejected reservation a day past the pending horizon, then lets it expire; a hold is kept', async () => {
    const held = reserve('res-kept', 1);
    const rejected = reserve('res-junk', 500);
    await handleSessionMessages([ofCommand(held), ofCommand(rejected)], {
      ...deps,
      pendingHorizonMs: 3_600_000,
    });
    const stored = (id: string) =>
      dumpStore(t.db)
        .map((row) => JSON.parse(row.body) as { id: string; ttl?: number; status?: string })
        .find((doc) => doc.id === id);
    expect(stored('res-junk')).toMatchObject({ status: 'rejected', ttl: 3_600 + 86_400 });
    expect(stored('res-kept')).toMatchObject({ status: 'held' });
    expect(stored('res-kept')).not.toHaveProperty('ttl');
  });
});

describe('handleSessionMessages when the store fails', () => {
  it('throws and commits nothing of the group; redelivered once the store recovers, the messages complete', async () => {
    const snapshot = dumpStore(t.db);
    const messages = [reserve('res-1', 2), adjust(3), confirm('res-1')].map((c) => ofCommand(c));
    const store = new InterceptingStore(t.store);
    for (const failure of [
      () => {
        throw new TransientStoreError('unavailable', 'down');
      },
      () => ({ ok: false as const, failure: 'tooLarge' as const, index: 2 }),
    ]) {
      store.intercept = failure;
      await expect(handleSessionMessages(messages, { ...deps, store })).rejects.toThrow();
      expect(dumpStore(t.db)).toEqual(snapshot);
    }
    store.intercept = null;
    const settlements = await handleSessionMessages(messages, { ...deps, store });
    expect(actions(settlements)).toEqual(['complete:applied', 'complete:applied', 'complete:applied']);
    expect(await item()).toMatchObject({ available: 11, reserved: 0, confirmed: 2 });
  });

  it('completes a group redelivered after a partial commit: the committed batch answers duplicate', async () => {
    const messages = Array.from({ length: 110 }, (_, i) => ofCommand(reserve(`res-${i}`, 1))); // 98 + 12
    const store = new InterceptingStore(t.store);
    store.intercept = (call) => {
      if (call === 2) throw new TransientStoreError('throttled', 'slow down');
      return undefined;
    };
    await expect(handleSessionMessages(messages, { ...deps, store })).rejects.toBeInstanceOf(
      TransientStoreError,
    );
    store.intercept = null;
    const again = actions(await handleSessionMessages(messages, { ...deps, store }));
    expect(again.slice(0, 98)).toEqual(Array.from({ length: 98 }, () => 'complete:duplicate'));
    expect(again.slice(98)).toEqual(Array.from({ length: 12 }, () => 'complete:rejected'));
    expect(await item()).toMatchObject({ available: 0, reserved: 10, confirmed: 0 });
  });
});
