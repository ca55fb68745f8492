import fs from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { openDatabase } from '../../src/adapters/embedded/database';
import { EmbeddedAcceptWriter, handOver, type CommittedMessages } from '../../src/adapters/embedded/queue';
import type { Fsync } from '../../src/adapters/embedded/wal-sync';
import { QueueUnavailableError } from '../../src/ports/queue';
import { accept, closeQueuesAfterEach, ids, msg, openDb, setup } from '../support/session-queue';

/**
 * The accept side on a connection of its own (the host's accept thread) and the queue that delivers on
 * another connection to the same file: what one commits, the other delivers once handed over.
 */

closeQueuesAfterEach();

type Queue = ReturnType<typeof setup>;

/** A writer on its own connection to the queue's file, on the queue's clock, as the host's accept thread. */
function writerOn({ file, clock }: Queue, handedOver: CommittedMessages[], fsync?: Fsync) {
  return new EmbeddedAcceptWriter(openDb(file), {
    clock,
    // Handed over as a thread would: a structured clone.
    publish: (inserted) => handedOver.push(structuredClone(handOver(inserted))),
    ...(fsync ? { fsync } : {}),
  });
}

describe('an accept writer beside the queue on the same file', () => {
  it('hands over each durable commit, which the queue then delivers in order per session', async () => {
    const q = setup();
    const { queue } = q;
    const handedOver: CommittedMessages[] = [];
    const writer = writerOn(q, handedOver);
    await Promise.all([writer.send([msg('a', 1), msg('b', 1)]), writer.send([msg('a', 2)])]);
    await writer.send([msg('a', 3)]);
    // Not deliverable until handed over: the queue has not heard of them.
    expect(await queue.acceptNextSession()).toBeNull();

    for (const committed of handedOver) queue.admitCommitted(committed);
    const a = await accept(queue);
    expect(a.sessionId).toBe('a');
    const got = await a.receiveMessages(10);
    expect(ids(got)).toEqual(['a-1', 'a-2', 'a-3']);
    expect(got[1]?.body).toEqual(msg('a', 2).body);
    const b = await accept(queue);
    expect(ids(await b.receiveMessages(10))).toEqual(['b-1']);
    await writer.close();
  });

  it('drops a resend as a duplicate whichever connection accepted the first', async () => {
    const q = setup();
    const { queue } = q;
    const handedOver: CommittedMessages[] = [];
    const writer = writerOn(q, handedOver);
    await queue.send([msg('s', 1)]);
    await writer.send([msg('s', 1), msg('s', 2)]);
    await queue.send([msg('s', 2)]);
    for (const committed of handedOver) queue.admitCommitted(committed);
    expect(ids(await (await accept(queue)).receiveMessages(10))).toEqual(['s-1', 's-2']);
    await writer.close();
  });

  it('hands over nothing and keeps nothing when the fsync after its commit fails, so a retry is accepted', async () => {
    const q = setup();
    const { restart } = q;
    const handedOver: CommittedMessages[] = [];
    // The first fsync fails; the one that makes the undo durable succeeds.
    let failures = 1;
    const failing = writerOn(q, handedOver, (fd, done) => {
      if (failures-- > 0) done(Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' }));
      else fs.fsync(fd, done);
    });
    const refused = await failing.send([msg('s', 1)]).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(QueueUnavailableError);
    expect((refused as QueueUnavailableError).outcome).toBe('not-accepted');
    expect(handedOver).toEqual([]);
    await failing.close();

    const writer = writerOn(q, handedOver);
    await writer.send([msg('s', 1)]);
    expect(handedOver).toHaveLength(1);
    await writer.close();
    // A restart loads what the file holds: the retry, once.
    const again = await restart();
    expect(ids(await (await accept(again)).receiveMessages(10))).toEqual(['s-1']);
  });

  it('hands over nothing when the undo is committed but its fsync fails too: the outcome is unknown', async () => {
    const q = setup();
    const handedOver: CommittedMessages[] = [];
    const failing = writerOn(q, handedOver, (_fd, done) =>
      done(Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' })),
    );
    const refused = await failing.send([msg('s', 1)]).catch((error: unknown) => error);
    expect((refused as QueueUnavailableError).outcome).toBe('unknown');
    // The file no longer holds the rows (the undo committed): nothing to deliver while this process lives.
    expect(handedOver).toEqual([]);
    await failing.close();
  });

  it('delivers nothing from the same connection either when its undo is committed but not durable', async () => {
    const { queue } = setup({
      fsync: (_fd, done) => done(Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' })),
    });
    const refused = await queue.send([msg('s', 1)]).catch((error: unknown) => error);
    expect((refused as QueueUnavailableError).outcome).toBe('unknown');
    expect(await queue.acceptNextSession()).toBeNull();
  });

  it('leaves what is handed over after the queue closed to the next start, which loads it from the file', async () => {
    const q = setup();
    const { queue, restart } = q;
    const handedOver: CommittedMessages[] = [];
    const writer = writerOn(q, handedOver);
    await writer.send([msg('s', 1)]);
    await queue.close();
    for (const committed of handedOver) queue.admitCommitted(committed);
    // The closed queue took none of it on.
    expect(queue.counts().active).toBe(0);
    await writer.close();
    const again = await restart();
    expect(ids(await (await accept(again)).receiveMessages(10))).toEqual(['s-1']);
  });

  it('waits for another connection holding the write lock instead of failing the accept', async () => {
    const { file } = setup();
    const handedOver: CommittedMessages[] = [];
    // The host's connections wait on busy_timeout (database.ts); the other thread holds the lock 1 s
    // and notes the time it lets go.
    const committedAt = new SharedArrayBuffer(8);
    const db = openDatabase(path.dirname(file), 'queue.db');
    const writer = new EmbeddedAcceptWriter(db, {
      publish: (inserted) => handedOver.push(handOver(inserted)),
    });
    const holder = new Worker(
      `const { parentPort, workerData } = require('node:worker_threads');
       const Database = require(workerData.driver);
       const db = new Database(workerData.file);
       db.exec('BEGIN IMMEDIATE');
       parentPort.postMessage('locked');
       Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1000);
       new Float64Array(workerData.committedAt)[0] = Date.now();
       db.exec('COMMIT');
       db.close();`,
      { eval: true, workerData: { driver: require.resolve('better-sqlite3'), file, committedAt } },
    );
    const exited = new Promise((resolve) => holder.once('exit', resolve));
    await new Promise((resolve) => holder.once('message', resolve));
    const released = new Float64Array(committedAt);
    expect(released[0]).toBe(0); // still held as the accept starts
    await writer.send([msg('s', 1)]);
    // It waited for the lock and committed once the other let go.
    expect(released[0]).toBeGreaterThan(0);
    expect(handedOver.flatMap((c) => c.rows.map((row) => row.message_id))).toEqual(['s-1']);
    await writer.close();
    db.close();
    await exited;
  });
});
