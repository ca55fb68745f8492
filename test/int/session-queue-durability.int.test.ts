import fs from 'node:fs';
import { QueueUnavailableError } from '../../src/ports/queue';
import type { SessionReceiver } from '../../src/ports/sessions';
import { accept, closeQueuesAfterEach, ids, msg, setup } from '../support/session-queue';

/** What the embedded queue keeps: schedules, duplicate records, group commits, fsyncs, restarts. */

closeQueuesAfterEach();

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

  it('rejects sends with QueueUnavailableError when the database cannot commit', async () => {
    const { db, queue } = setup();
    await queue.ping();
    db.close();
    await expect(queue.send([msg('z', 1)])).rejects.toBeInstanceOf(QueueUnavailableError);
    await expect(queue.ping()).rejects.toBeInstanceOf(QueueUnavailableError);
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
