import Database from 'better-sqlite3';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EmbeddedSessionQueue, type EmbeddedQueueOptions } from '../../src/adapters/embedded/queue';
import { SessionLockLostError, type ReceivedMessage, type SessionReceiver } from '../../src/ports/sessions';
import type { Clock } from '../../src/ports/clock';
import type { AdjustCommand } from '../../src/domain/model';
import { QueueUnavailableError, type OutgoingCommand } from '../../src/ports/queue';

class FakeClock implements Clock {
  t = Date.parse('2030-01-01T00:00:00Z');
  now(): Date {
    return new Date(this.t);
  }
  advance(ms: number): void {
    this.t += ms;
  }
}

const opened: Database.Database[] = [];
const queues: EmbeddedSessionQueue[] = [];

function openDb(file: string): Database.Database {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  opened.push(db);
  return db;
}

function setup(options: EmbeddedQueueOptions = {}) {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'q-')), 'queue.db');
  const clock = new FakeClock();
  const db = openDb(file);
  const queue = new EmbeddedSessionQueue(db, { clock, ...options });
  queues.push(queue);
  /** Closes the queue and the db, then opens both again on the same file (a process restart). */
  const restart = async (): Promise<EmbeddedSessionQueue> => {
    await queue.close();
    db.close();
    const again = new EmbeddedSessionQueue(openDb(file), { clock, ...options });
    queues.push(again);
    return again;
  };
  return { db, queue, clock, file, restart };
}

afterEach(async () => {
  for (const q of queues.splice(0)) await q.close();
  for (const db of opened.splice(0)) if (db.open) db.close();
});

function msg(sessionId: string, n: number, extra: Partial<OutgoingCommand> = {}): OutgoingCommand {
  const body: AdjustCommand = {
    type: 'Adjust',
    commandId: `${sessionId}-${n}`,
    inventoryId: sessionId,
    requestedAt: '2030-01-01T00:00:00.000Z',
    delta: n,
    reason: 'test',
  };
  return { sessionId, messageId: `${sessionId}-${n}`, body, ...extra };
}

const ids = (messages: ReceivedMessage[]) => messages.map((m) => m.messageId);

async function accept(queue: EmbeddedSessionQueue): Promise<SessionReceiver> {
  const receiver = await queue.acceptNextSession();
  if (!receiver) throw new Error('expected a session');
  return receiver;
}

/** Receives and completes everything the session has now, in the order delivered. */
async function drain(receiver: SessionReceiver, batch = 7): Promise<string[]> {
  const seen: string[] = [];
  for (;;) {
    const got = await receiver.receiveMessages(batch);
    if (got.length === 0) return seen;
    for (const m of got) {
      seen.push(m.messageId);
      await receiver.complete(m);
    }
  }
}

describe('EmbeddedSessionQueue', () => {
  it('delivers each session in send order while sessions are interleaved', async () => {
    const { queue } = setup();
    const sessions = ['a', 'b', 'c', 'd'];
    for (let round = 0; round < 10; round++) {
      const batch: OutgoingCommand[] = [];
      for (let i = 0; i < 30; i++) batch.push(msg(sessions[(round + i) % 4]!, round * 30 + i));
      await queue.send(batch);
    }
    const expected = new Map(sessions.map((s) => [s, [] as string[]]));
    for (let n = 0; n < 300; n++) {
      const s = sessions[(Math.floor(n / 30) + (n % 30)) % 4]!;
      expected.get(s)!.push(`${s}-${n}`);
    }

    const delivered = new Map<string, string[]>();
    for (let r = await queue.acceptNextSession(); r; r = await queue.acceptNextSession()) {
      const seqs: number[] = [];
      const first = await r.receiveMessages(1000);
      seqs.push(...first.map((m) => m.sequenceNumber));
      for (const m of first) await r.complete(m);
      delivered.set(r.sessionId, ids(first));
      expect([...seqs].sort((x, y) => x - y)).toEqual(seqs);
      await r.close();
    }
    expect(delivered).toEqual(expected);
    expect(queue.counts().active).toBe(0);
  });

  it('hands out the session whose oldest message is oldest first', async () => {
    const { queue, clock } = setup();
    await queue.send([msg('late', 1)]);
    clock.advance(1);
    await queue.send([msg('later', 1)]);
    await queue.send([msg('late', 2)]);
    expect((await accept(queue)).sessionId).toBe('late');
    expect((await accept(queue)).sessionId).toBe('later');
  });

  it('never gives one session to two consumers, even with many concurrent accepts', async () => {
    const { queue } = setup();
    const sessions = Array.from({ length: 20 }, (_, i) => `s${i}`);
    await queue.send(sessions.flatMap((s) => [msg(s, 1), msg(s, 2)]));

    const receivers = await Promise.all(Array.from({ length: 50 }, () => queue.acceptNextSession()));
    const got = receivers.filter((r): r is SessionReceiver => r !== null);
    expect(got).toHaveLength(20);
    expect(new Set(got.map((r) => r.sessionId))).toEqual(new Set(sessions));
    expect(queue.counts().lockedSessions).toBe(20);

    // Releasing one session makes exactly that one acceptable again.
    const released = got[3]!;
    await released.close();
    const again = await Promise.all([queue.acceptNextSession(), queue.acceptNextSession()]);
    expect(again.map((r) => r?.sessionId ?? null)).toEqual([released.sessionId, null]);
  });

  it('hands a session with an expired lock to another consumer; the old receiver gets SessionLockLostError', async () => {
    const { queue, clock } = setup({ lockDurationMs: 30_000 });
    await queue.send([msg('x', 1), msg('x', 2)]);
    const first = await accept(queue);
    const [m1] = await first.receiveMessages(1);
    expect(m1?.deliveryCount).toBe(1);

    // A renewed lock keeps the session.
    clock.advance(20_000);
    expect((await first.renewLock()).getTime()).toBe(clock.t + 30_000);
    clock.advance(20_000);
    expect(await queue.acceptNextSession()).toBeNull();

    clock.advance(10_001);
    const second = await accept(queue);
    expect(second.sessionId).toBe('x');
    await expect(first.complete(m1!)).rejects.toBeInstanceOf(SessionLockLostError);
    await expect(first.abandon(m1!)).rejects.toBeInstanceOf(SessionLockLostError);
    await expect(first.deadLetter(m1!, 'r')).rejects.toBeInstanceOf(SessionLockLostError);
    await expect(first.renewLock()).rejects.toBeInstanceOf(SessionLockLostError);
    await expect(first.receiveMessages(1)).rejects.toBeInstanceOf(SessionLockLostError);

    const redelivered = await second.receiveMessages(10);
    expect(redelivered.map((m) => [m.messageId, m.deliveryCount])).toEqual([
      ['x-1', 2],
      ['x-2', 1],
    ]);
    await second.complete(redelivered[0]!);
    await first.close(); // a no-op for a lost lock: must not release the new holder's session
    expect(await queue.acceptNextSession()).toBeNull();
  });

  it('redelivers an abandoned message next with deliveryCount 2, 3, ...', async () => {
    const { queue } = setup();
    await queue.send([msg('r', 1), msg('r', 2)]);
    const receiver = await accept(queue);
    const counts: number[] = [];
    for (let i = 0; i < 4; i++) {
      const [m] = await receiver.receiveMessages(1);
      expect(m?.messageId).toBe('r-1');
      counts.push(m!.deliveryCount);
      await receiver.abandon(m!);
    }
    expect(counts).toEqual([1, 2, 3, 4]);
    // Closing with messages unsettled counts that delivery too.
    const [m] = await receiver.receiveMessages(1);
    expect(m?.deliveryCount).toBe(5);
    await receiver.close();
    const next = await accept(queue);
    expect((await next.receiveMessages(1))[0]?.deliveryCount).toBe(6);
  });

  it('does not redeliver a message already delivered and unsettled on the same receiver', async () => {
    const { queue } = setup();
    await queue.send([msg('u', 1), msg('u', 2), msg('u', 3)]);
    const receiver = await accept(queue);
    expect(ids(await receiver.receiveMessages(1))).toEqual(['u-1']);
    expect(ids(await receiver.receiveMessages(1))).toEqual(['u-2']);
    expect(ids(await receiver.receiveMessages(5))).toEqual(['u-3']);
    expect(await receiver.receiveMessages(5)).toEqual([]);
  });

  it('dead-letters after maxDeliveryCount deliveries with MaxDeliveryCountExceeded, then delivers the next message', async () => {
    const { queue } = setup({ maxDeliveryCount: 3 });
    await queue.send([msg('p', 1), msg('p', 2)]);
    const receiver = await accept(queue);
    for (let i = 1; i <= 3; i++) {
      const [m] = await receiver.receiveMessages(1);
      expect([m?.messageId, m?.deliveryCount]).toEqual(['p-1', i]);
      await receiver.abandon(m!);
    }
    const [next] = await receiver.receiveMessages(1);
    expect(next?.messageId).toBe('p-2');
    const dead = queue.deadLetters('p');
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({ messageId: 'p-1', reason: 'MaxDeliveryCountExceeded', deliveryCount: 3 });
    expect((dead[0]!.body as AdjustCommand).delta).toBe(1);
    expect(queue.counts()).toMatchObject({ active: 1, deadLettered: 1 });
  });

  it('dead-letters a message whose lock was lost on its last allowed delivery instead of delivering it again', async () => {
    const { queue, clock } = setup({ maxDeliveryCount: 2, lockDurationMs: 1000 });
    await queue.send([msg('q', 1), msg('q', 2)]);
    for (let i = 0; i < 2; i++) {
      const r = await accept(queue);
      expect(ids(await r.receiveMessages(1))).toEqual(['q-1']);
      clock.advance(1001);
    }
    const r = await accept(queue);
    expect(ids(await r.receiveMessages(1))).toEqual(['q-2']);
    expect(queue.deadLetters()).toMatchObject([{ messageId: 'q-1', reason: 'MaxDeliveryCountExceeded' }]);
  });

  it('dead-letters explicitly with the given reason and description, without blocking the session', async () => {
    const { queue, clock } = setup();
    await queue.send([msg('d', 1), msg('d', 2), msg('other', 1)]);
    const receiver = await accept(queue);
    const [m] = await receiver.receiveMessages(1);
    clock.advance(5);
    await receiver.deadLetter(m!, 'SchemaValidationFailed', 'quantity must be positive');
    expect(ids(await receiver.receiveMessages(1))).toEqual(['d-2']);
    expect(queue.deadLetters()).toEqual([
      {
        messageId: 'd-1',
        sessionId: 'd',
        body: m!.body,
        reason: 'SchemaValidationFailed',
        description: 'quantity must be positive',
        deliveryCount: 1,
        deadLetteredAt: new Date(clock.t),
        sequenceNumber: m!.sequenceNumber,
      },
    ]);
    expect(queue.deadLetters('other')).toEqual([]);
    await expect(receiver.complete(m!)).rejects.toThrow(/not locked/);
  });

  it('holds scheduled messages until their time and then places them by that time', async () => {
    const { queue, clock } = setup();
    const start = clock.t;
    await queue.send([msg('s', 1, { scheduledEnqueueTime: new Date(start + 10_000) }), msg('s', 2)]);
    await queue.send([msg('only-later', 1, { scheduledEnqueueTime: new Date(start + 5_000) })]);
    expect(queue.counts()).toMatchObject({ active: 1, scheduled: 2 });

    const r = await accept(queue);
    expect(r.sessionId).toBe('s');
    const [two] = await r.receiveMessages(10);
    expect(two?.messageId).toBe('s-2');
    await r.complete(two!);
    expect(await queue.acceptNextSession()).toBeNull();

    clock.advance(5_000);
    const later = await accept(queue);
    expect(later.sessionId).toBe('only-later');
    expect((await later.receiveMessages(1))[0]?.enqueuedTimeUtc).toEqual(new Date(start + 5_000));

    expect(await r.receiveMessages(10)).toEqual([]);
    await r.renewLock();
    clock.advance(5_000);
    await queue.send([msg('s', 3)]);
    expect(ids(await r.receiveMessages(10))).toEqual(['s-1', 's-3']);
    expect(queue.counts().scheduled).toBe(0);
  });

  it('drops a duplicate messageId within the window, also within one send, and accepts it after the window', async () => {
    const { queue, clock } = setup({ duplicateDetectionWindowMs: 60_000 });
    await queue.send([msg('k', 1), msg('k', 1), msg('k', 2)]);
    clock.advance(59_000);
    await queue.send([msg('k', 1)]);
    expect(queue.counts().active).toBe(2);

    clock.advance(1_000);
    await queue.send([msg('k', 1)]);
    expect(queue.counts().active).toBe(3);
    expect(await drain(await accept(queue))).toEqual(['k-1', 'k-2', 'k-1']);
  });

  it('commits concurrent sends in one transaction, resolves them only after the WAL is fsynced, and keeps them', async () => {
    const syncs: { fd: number; done: (error: NodeJS.ErrnoException | null) => void }[] = [];
    const { file, queue, restart } = setup({ fsync: (fd, done) => syncs.push({ fd, done }) });
    let resolved = 0;
    const sends = Array.from({ length: 100 }, (_, i) =>
      queue.send([msg(`c${i % 5}`, i)]).then(() => resolved++),
    );
    await new Promise((r) => setTimeout(r, 20));
    expect(syncs).toHaveLength(1);
    // Committed but not yet on disk: nobody has been told "accepted".
    expect(resolved).toBe(0);
    expect(fs.fstatSync(syncs[0]!.fd).ino).toBe(fs.statSync(`${file}-wal`).ino);
    syncs[0]!.done(null);
    await new Promise((r) => setTimeout(r, 20));
    // One transaction, one fsync: a send committed separately would still be waiting on a second fsync.
    expect(syncs).toHaveLength(1);
    expect(resolved).toBe(100);
    await Promise.all(sends);
    expect(resolved).toBe(100);
    expect(queue.counts().active).toBe(100);

    const reopened = await restart();
    expect(reopened.counts().active).toBe(100);
    const perSession = new Map<string, string[]>();
    for (let r = await reopened.acceptNextSession(); r; r = await reopened.acceptNextSession()) {
      perSession.set(r.sessionId, await drain(r));
    }
    for (let s = 0; s < 5; s++) {
      const expected = Array.from({ length: 20 }, (_, k) => `c${s}-${k * 5 + s}`);
      expect(perSession.get(`c${s}`)).toEqual(expected);
    }
  });

  it('keeps order, delivery counts, dead letters, schedules and duplicate records across a restart', async () => {
    const { queue, clock, restart } = setup({ maxDeliveryCount: 5 });
    const start = clock.t;
    await queue.send([
      msg('a', 1),
      msg('a', 2),
      msg('a', 3),
      msg('b', 1, { scheduledEnqueueTime: new Date(start + 60_000) }),
    ]);
    const r = await accept(queue);
    const [a1, a2] = await r.receiveMessages(2);
    await r.abandon(a1!);
    await r.deadLetter(a2!, 'Poison', 'bad');
    const [again] = await r.receiveMessages(1);
    expect(again?.deliveryCount).toBe(2);
    await r.abandon(again!);

    const q2 = await restart();
    expect(q2.counts()).toEqual({ active: 2, scheduled: 1, deadLettered: 1, lockedSessions: 0 });
    expect(q2.deadLetters()).toMatchObject([{ messageId: 'a-2', reason: 'Poison', description: 'bad' }]);
    await q2.send([msg('a', 1)]); // still a duplicate after the restart
    const r2 = await accept(q2);
    const got = await r2.receiveMessages(10);
    expect(got.map((m) => [m.messageId, m.deliveryCount])).toEqual([
      ['a-1', 3],
      ['a-3', 1],
    ]);
    for (const m of got) await r2.complete(m);
    await r2.close();
    expect(await q2.acceptNextSession()).toBeNull();
    clock.advance(60_000);
    const b = await accept(q2);
    expect(ids(await b.receiveMessages(1))).toEqual(['b-1']);
  });

  it.each([false, true])(
    'places a due scheduled message by its scheduled time, not its send order (restart: %s)',
    async (restartFirst) => {
      const { queue, clock, restart } = setup();
      const start = clock.t;
      await queue.send([msg('o', 1, { scheduledEnqueueTime: new Date(start + 1_000) }), msg('o', 2)]);
      clock.advance(2_000);
      await queue.send([msg('o', 3)]);
      const q = restartFirst ? await restart() : queue;
      expect(await drain(await accept(q))).toEqual(['o-2', 'o-1', 'o-3']);
    },
  );

  it('resolves a waiting acceptNextSession when a message is sent meanwhile', async () => {
    const { queue } = setup();
    const started = Date.now();
    const waiting = queue.acceptNextSession({ timeoutMs: 10_000 });
    setTimeout(() => void queue.send([msg('w', 1)]), 30);
    const receiver = await waiting;
    expect(receiver?.sessionId).toBe('w');
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('wakes a waiting consumer when a lock expires, and resolves null on timeout, abort and close', async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'q-')), 'queue.db');
    const queue = new EmbeddedSessionQueue(openDb(file), { lockDurationMs: 150 }); // real clock
    queues.push(queue);
    await queue.send([msg('e', 1)]);
    const holder = await accept(queue);
    const started = Date.now();
    const next = await queue.acceptNextSession({ timeoutMs: 5_000 });
    expect(next?.sessionId).toBe('e');
    expect(Date.now() - started).toBeLessThan(2_000);
    await expect(holder.renewLock()).rejects.toBeInstanceOf(SessionLockLostError);

    expect(await queue.acceptNextSession({ timeoutMs: 50 })).toBeNull();
    const controller = new AbortController();
    const aborted = queue.acceptNextSession({ timeoutMs: 60_000, signal: controller.signal });
    controller.abort();
    expect(await aborted).toBeNull();
    const closing = queue.acceptNextSession({ timeoutMs: 60_000 });
    await queue.close();
    expect(await closing).toBeNull();
    await expect(queue.send([msg('e', 2)])).rejects.toBeInstanceOf(QueueUnavailableError);
    await expect(queue.ping()).rejects.toBeInstanceOf(QueueUnavailableError);
  });

  it('rejects sends with QueueUnavailableError when the database cannot commit', async () => {
    const { db, queue } = setup();
    await queue.ping();
    db.close();
    await expect(queue.send([msg('z', 1)])).rejects.toBeInstanceOf(QueueUnavailableError);
    await expect(queue.ping()).rejects.toBeInstanceOf(QueueUnavailableError);
  });

  it('accepts other sessions quickly while a hot session with a 5,000-message backlog is held', async () => {
    const { queue } = setup();
    const hot = Array.from({ length: 5_000 }, (_, i) => msg('hot', i));
    await Promise.all([queue.send(hot.slice(0, 2_500)), queue.send(hot.slice(2_500))]);
    const holder = await accept(queue);
    expect(holder.sessionId).toBe('hot');
    const first = await holder.receiveMessages(10);
    expect(ids(first)).toEqual(hot.slice(0, 10).map((m) => m.messageId));

    await queue.send(Array.from({ length: 500 }, (_, i) => msg(`cold${i}`, 1)));
    const started = performance.now();
    for (let i = 0; i < 500; i++) {
      const r = await accept(queue);
      expect(r.sessionId).toBe(`cold${i}`);
      const [m] = await r.receiveMessages(1);
      await r.complete(m!);
      await r.close();
      // The hot session keeps its place: its backlog is not scanned on each accept.
      if (i % 100 === 0) await holder.complete(first[i / 100]!);
    }
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(queue.counts()).toMatchObject({ active: 4_995, lockedSessions: 1 });
    expect(ids(await holder.receiveMessages(2))).toEqual(['hot-10', 'hot-11']);
  });
});

describe('durable accepts', () => {
  it('rejects the sends of a flush whose fsync fails, with QueueUnavailableError', async () => {
    const { queue } = setup({ fsync: (_fd, done) => done(Object.assign(new Error('EIO'), { code: 'EIO' })) });
    await expect(queue.send([msg('s', 1)])).rejects.toBeInstanceOf(QueueUnavailableError);
  });

  it('shares one fsync among flushes that happen while another fsync is running', async () => {
    const syncs: ((error: NodeJS.ErrnoException | null) => void)[] = [];
    const { queue } = setup({ fsync: (_fd, done) => syncs.push(done) });
    const first = queue.send([msg('a', 1)]);
    await new Promise((r) => setImmediate(r));
    const later = [queue.send([msg('b', 1)])];
    await new Promise((r) => setImmediate(r));
    later.push(queue.send([msg('c', 1)]));
    await new Promise((r) => setImmediate(r));
    expect(syncs).toHaveLength(1);
    syncs[0]!(null);
    await first;
    await new Promise((r) => setImmediate(r));
    expect(syncs).toHaveLength(2);
    syncs[1]!(null);
    await Promise.all(later);
  });
});
