import { EmbeddedStore } from '../../src/adapters/embedded/embedded-store';
import { deadLetterAdmin, recordDeadLetters, type DeadLetterDeps } from '../../src/app/dead-letters';
import { silentLogger } from '../../src/app/logger';
import { getCommand } from '../../src/app/queries';
import { systemClock } from '../../src/ports/clock';
import { failureId, type FailureRecord } from '../../src/app/failures';
import { QueueUnavailableError, type OutgoingCommand } from '../../src/ports/queue';
import { InvalidContinuationError } from '../../src/ports/store';
import { accept, closeQueuesAfterEach, msg, openDb, setup } from '../support/session-queue';

/**
 * Failed commands over the embedded queue and store: listed in pages, resubmitted into their session with
 * the same command id under a new message id, their failure record cleared; what is not a command stays.
 */

closeQueuesAfterEach();

/** The failure record of an Adjust command, as the trigger writes it. */
function failureOf(inventoryId: string, commandId: string, description: string): FailureRecord {
  return {
    type: 'failure',
    id: failureId(commandId),
    inventoryId,
    commandId,
    commandType: 'Adjust',
    reservationId: null,
    reason: 'MaxDeliveryCountExceeded',
    description,
    deliveryCount: 10,
    failedAt: '2030-01-01T00:00:00.000Z',
  };
}

/** Sends the messages and dead-letters each one, as the dispatcher does with poison or exhausted messages. */
async function deadLettered(messages: OutgoingCommand[]) {
  const env = setup();
  const store = new EmbeddedStore(openDb(env.file.replace(/queue\.db$/, 'store.db')));
  await env.queue.send(messages);
  for (const m of messages) {
    const receiver = await accept(env.queue);
    const [received] = await receiver.receiveMessages(1);
    await receiver.deadLetter(received!, 'MaxDeliveryCountExceeded', `failed: ${m.messageId}`);
    await receiver.close();
  }
  const deps: DeadLetterDeps = { deadLetters: env.queue, queue: env.queue, store };
  return { ...env, store, deps, admin: deadLetterAdmin(deps) };
}

describe('dead-letter admin over the embedded queue', () => {
  it('lists dead letters oldest first in pages, and refuses a continuation it did not issue', async () => {
    const { admin } = await deadLettered([msg('a', 1), msg('b', 2), msg('c', 3)]);
    const first = await admin.list({ limit: 2 });
    expect(first.items.map((d) => d.messageId)).toEqual(['a-1', 'b-2']);
    expect(first.items[0]).toMatchObject({
      inventoryId: 'a',
      cartId: null,
      commandType: 'Adjust',
      commandId: 'a-1',
      reason: 'MaxDeliveryCountExceeded',
      description: 'failed: a-1',
      deliveryCount: 1,
    });
    const second = await admin.list({ limit: 2, continuation: first.continuation! });
    expect(second.items.map((d) => d.messageId)).toEqual(['c-3']);
    expect(second.continuation).toBeNull();
    await expect(admin.list({ limit: 2, continuation: 'forged' })).rejects.toBeInstanceOf(
      InvalidContinuationError,
    );
  });

  it('sends a copy with the same command into its session under a new message id, once, and clears its failure', async () => {
    const { admin, queue, store } = await deadLettered([msg('a', 1)]);
    await store.create('a', failureOf('a', 'a-1', 'boom'));
    const [letter] = queue.deadLetters();
    const result = await admin.resubmit('a-1');
    expect(result).toEqual({
      kind: 'resubmitted',
      messageId: 'a-1',
      resubmittedAs: `a-1~resubmit-${letter!.sequenceNumber}`,
      sessionId: 'a',
    });
    expect(queue.deadLetters()).toEqual([]);
    expect(queue.counts()).toMatchObject({ active: 1, deadLettered: 0 });
    expect(await store.read('a', failureId('a-1'))).toBeNull();
    const receiver = await accept(queue);
    const [copy] = await receiver.receiveMessages(5);
    expect(copy).toMatchObject({ messageId: result.kind === 'resubmitted' ? result.resubmittedAs : '' });
    expect(copy!.body).toEqual(msg('a', 1).body);
    expect(await admin.resubmit('a-1')).toEqual({ kind: 'not-found' });
  });

  it('keeps a dead letter whose body is not a command, and says why', async () => {
    const { admin, queue } = await deadLettered([msg('a', 0)]); // delta 0: a schema violation
    const result = await admin.resubmit('a-0');
    expect(result).toMatchObject({ kind: 'not-a-command', reason: 'SchemaViolation' });
    expect(queue.deadLetters().map((d) => d.messageId)).toEqual(['a-0']);
    expect(queue.counts().active).toBe(0);
  });

  it('keeps the dead letter when the copy cannot be sent', async () => {
    const { deps, queue } = await deadLettered([msg('a', 1)]);
    const down = deadLetterAdmin({
      ...deps,
      queue: { ...deps.queue, send: () => Promise.reject(new QueueUnavailableError('down')) },
    });
    await expect(down.resubmit('a-1')).rejects.toBeInstanceOf(QueueUnavailableError);
    expect(queue.deadLetters().map((d) => d.messageId)).toEqual(['a-1']);
  });

  it('sends one copy when the same dead letter is resubmitted twice at once', async () => {
    const { admin, queue } = await deadLettered([msg('a', 1)]);
    const results = await Promise.all([admin.resubmit('a-1'), admin.resubmit('a-1')]);
    expect(results.filter((r) => r.kind === 'resubmitted').length).toBeGreaterThanOrEqual(1);
    expect(queue.counts()).toMatchObject({ active: 1, deadLettered: 0 });
  });

  it('names a resubmitted copy after the original id, not after an earlier copy', async () => {
    const { admin, queue } = await deadLettered([msg('a', 1, { messageId: 'a-1~resubmit-7' })]);
    const [letter] = queue.deadLetters();
    const result = await admin.resubmit('a-1~resubmit-7');
    expect(result).toMatchObject({ resubmittedAs: `a-1~resubmit-${letter!.sequenceNumber}` });
  });

  it('the sweep gives each dead letter without a failure record one, keeps an existing one, skips poison', async () => {
    const { deps, store } = await deadLettered([msg('a', 1), msg('b', 2), msg('c', 0)]);
    await store.create('b', failureOf('b', 'b-2', 'the real error'));
    const sweep = { ...deps, clock: systemClock, log: silentLogger };
    expect(await recordDeadLetters(sweep)).toBe(3);
    const query = { store, clock: systemClock, pendingHorizonMs: 86_400_000 };
    expect(await getCommand(query, 'a', 'a-1')).toMatchObject({
      kind: 'failed',
      failure: {
        reason: 'MaxDeliveryCountExceeded',
        description: expect.stringMatching(/failed: a-1/) as string,
      },
    });
    expect((await store.read<FailureRecord>('b', failureId('b-2')))?.doc.description).toBe('the real error');
    expect(await store.read('c', failureId('c-0'))).toBeNull();
    expect(await recordDeadLetters(sweep, 2)).toBe(2);
  });

  it('discards a dead letter for good, keeping its failed status', async () => {
    const { admin, queue, store } = await deadLettered([msg('a', 0), msg('b', 1)]);
    await store.create('b', failureOf('b', 'b-1', 'boom'));
    expect(await admin.discard('a-0')).toBe('discarded');
    expect(await admin.discard('b-1')).toBe('discarded');
    expect(await admin.discard('b-1')).toBe('not-found');
    expect(queue.deadLetters()).toEqual([]);
    expect(queue.counts()).toMatchObject({ active: 0, deadLettered: 0 });
    expect(await store.read('b', failureId('b-1'))).not.toBeNull();
  });
});
