import Database from 'better-sqlite3';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EmbeddedStore } from '../../src/adapters/embedded/embedded-store';
import { EmbeddedSessionQueue } from '../../src/adapters/embedded/queue';
import type { Fsync } from '../../src/adapters/embedded/wal-sync';
import { acceptReservation } from '../../src/app/accept';
import { keyPartition } from '../../src/app/idempotency';
import { systemClock } from '../../src/ports/clock';
import { QueueUnavailableError } from '../../src/ports/queue';
import { TransientStoreError } from '../../src/ports/store';

/**
 * A 202 means durable, and a 503 that says "nothing was accepted" must be true: the queue's and the
 * store's fsyncs fail for real here (EIO from the fsync call the adapters make), and what the caller
 * was told is checked against what a consumer can then receive and what a restart finds on disk.
 */

const EIO = () => Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' });

/** An fsync that fails while `failing` says so, and syncs for real otherwise. */
function switchableFsync(): { fsync: Fsync; failing: { on: boolean; times: number } } {
  const failing = { on: false, times: Number.POSITIVE_INFINITY };
  const fsync: Fsync = (fd, done) => {
    if (failing.on && failing.times > 0) {
      failing.times -= 1;
      setImmediate(() => done(EIO()));
      return;
    }
    fs.fsync(fd, done);
  };
  return { fsync, failing };
}

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const undo of cleanup.splice(0).reverse()) undo();
});

function open(dir: string, name: string): Database.Database {
  const db = new Database(path.join(dir, name));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  return db;
}

function setup() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'accept-durability-'));
  const queueSync = switchableFsync();
  const storeSync = switchableFsync();
  const storeDb = open(dir, 'inventory.db');
  const queueDb = open(dir, 'queue.db');
  const store = new EmbeddedStore(storeDb, systemClock, storeSync.fsync);
  let queue = new EmbeddedSessionQueue(queueDb, { fsync: queueSync.fsync });
  const reopenQueue = async () => {
    await queue.close();
    queue = new EmbeddedSessionQueue(queueDb);
    return queue;
  };
  cleanup.push(() => {
    void queue.close();
    storeDb.close();
    queueDb.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const deps = () => ({ store, queue, clock: systemClock });
  const rows = () => queueDb.prepare('SELECT COUNT(*) AS n FROM queue_messages').get() as { n: number };
  return { deps, store, queueDb, queueSync, storeSync, reopenQueue, rows, queue: () => queue };
}

const INPUT = { inventoryId: 'sku-1', quantity: 2, userId: 'u1', holdSeconds: 600 };

describe('an accept whose fsync fails', () => {
  it('queue fsync fails once: 503 not-accepted, nothing deliverable or on disk, and the key is free again', async () => {
    const t = setup();
    t.queueSync.failing.on = true;
    t.queueSync.failing.times = 1;
    const failed = await acceptReservation(t.deps(), INPUT, 'key-1').catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(QueueUnavailableError);
    expect((failed as QueueUnavailableError).outcome).toBe('not-accepted');
    expect(await t.queue().acceptNextSession()).toBeNull();
    expect(t.rows().n).toBe(0);
    expect(await t.store.read(keyPartition('key-1'), 'record')).toBeNull();

    // The retry is accepted afresh, and exactly one Reserve is queued.
    const accepted = await acceptReservation(t.deps(), INPUT, 'key-1');
    expect(accepted).toMatchObject({ kind: 'accepted', replayed: false });
    expect(t.rows().n).toBe(1);
    const receiver = await t.queue().acceptNextSession();
    const received = await receiver!.receiveMessages(10);
    expect(received.map((m) => (m.body as { type: string }).type)).toEqual(['Reserve']);
  });

  it('queue fsync keeps failing: 503 outcome unknown, the key is kept, and a retry resends the same ids once', async () => {
    const t = setup();
    t.queueSync.failing.on = true;
    const failed = await acceptReservation(t.deps(), INPUT, 'key-2').catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(QueueUnavailableError);
    expect((failed as QueueUnavailableError).outcome).toBe('unknown');
    expect(await t.store.read(keyPartition('key-2'), 'record')).not.toBeNull();

    t.queueSync.failing.on = false;
    const retried = await acceptReservation(t.deps(), INPUT, 'key-2');
    expect(retried).toMatchObject({ kind: 'accepted', replayed: true });
    // Whatever reached the disk, the command is there once: duplicate detection drops the resend.
    const queue = await t.reopenQueue();
    const receiver = await queue.acceptNextSession();
    const reserves = (await receiver!.receiveMessages(10)).filter(
      (m) => (m.body as { type: string }).type === 'Reserve',
    );
    expect(reserves.map((m) => m.messageId)).toEqual([retried.kind === 'accepted' ? retried.commandId : '']);
  });

  it('store fsync fails: the key is not durable, so nothing is sent and the answer is 503', async () => {
    const t = setup();
    t.storeSync.failing.on = true;
    const failed = await acceptReservation(t.deps(), INPUT, 'key-3').catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(TransientStoreError);
    expect(t.rows().n).toBe(0);
    expect(await t.queue().acceptNextSession()).toBeNull();
  });

  it('an unkeyed accept whose queue fsync fails leaves nothing for the consumer', async () => {
    const t = setup();
    t.queueSync.failing.on = true;
    t.queueSync.failing.times = 1;
    await expect(acceptReservation(t.deps(), INPUT)).rejects.toMatchObject({ outcome: 'not-accepted' });
    expect(await t.queue().acceptNextSession()).toBeNull();
    const reopened = await t.reopenQueue();
    expect(reopened.counts().active).toBe(0);
  });
});
