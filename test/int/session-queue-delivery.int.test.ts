import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EmbeddedSessionQueue } from '../../src/adapters/embedded/queue';
import { SessionLockLostError, type SessionReceiver } from '../../src/ports/sessions';
import type { AdjustCommand } from '../../src/domain/model';
import { QueueUnavailableError, type OutgoingCommand } from '../../src/ports/queue';
import { accept, closeQueuesAfterEach, ids, msg, openDb, queues, setup } from '../support/session-queue';

/** Sessions of the embedded queue: order, locks, delivery counts, dead letters, waiting consumers. */

closeQueuesAfterEach();

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
        subject: 'Adjust',
        applicationProperties: {},
        reason: 'SchemaValidationFailed',
        description: 'quantity must be positive',
        deliveryCount: 1,
        enqueuedAt: m!.enqueuedTimeUtc,
        deadLetteredAt: new Date(clock.t),
        sequenceNumber: String(m!.sequenceNumber),
      },
    ]);
    expect(queue.deadLetters('other')).toEqual([]);
    await expect(receiver.complete(m!)).rejects.toThrow(/not locked/);
  });

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
