import { MessageChannel } from 'node:worker_threads';
import { QueueUnavailableError } from '../../src/ports/queue';
import { BatchLimitError, InvalidContinuationError, TransientStoreError } from '../../src/ports/store';
import { errorOf, serveRequests, type FromWorker, type Reply } from '../../src/local/worker-protocol';

/** What a worker thread's failure becomes on the main thread, through a real MessagePort pair. */
async function failureThrough(error: Error, how: 'rejects' | 'throws' = 'rejects'): Promise<Error> {
  const { port1, port2 } = new MessageChannel();
  serveRequests<{ id: number }>(port2, () => {
    if (how === 'throws') throw error;
    return Promise.reject(error);
  });
  const reply = new Promise<Reply>((resolve) =>
    port1.once('message', (message: FromWorker) => {
      if (message.kind === 'replies' && message.replies[0]) resolve(message.replies[0]);
    }),
  );
  port1.postMessage([{ id: 7 }]);
  const answer = await reply;
  port1.close();
  port2.close();
  if (answer.ok) throw new Error('expected a failure');
  expect(answer.id).toBe(7);
  return errorOf(answer);
}

describe('failures crossing between the host threads', () => {
  it('raise a store outage on the main thread as the same transient store error, with its retry hint', async () => {
    const error = await failureThrough(new TransientStoreError('unavailable', 'disk full', 30_000));
    expect(error).toBeInstanceOf(TransientStoreError);
    expect(error).toMatchObject({ kind: 'unavailable', message: 'disk full', retryAfterMs: 30_000 });
  });

  it('raise a throttled store without a retry hint, a batch over the limit and a foreign continuation as theirs', async () => {
    expect(await failureThrough(new TransientStoreError('throttled', 'slow down'))).toMatchObject({
      kind: 'throttled',
      retryAfterMs: undefined,
    });
    expect(await failureThrough(new BatchLimitError('101 operations'))).toBeInstanceOf(BatchLimitError);
    expect(await failureThrough(new InvalidContinuationError())).toBeInstanceOf(InvalidContinuationError);
  });

  it('fail only their request when the work throws instead of rejecting (a store write refused at once)', async () => {
    const busy = await failureThrough(new TransientStoreError('unavailable', 'database is locked'), 'throws');
    expect(busy).toMatchObject({ kind: 'unavailable', message: 'database is locked' });
  });

  it('raise a queue refusal with its outcome, and anything else as a queue failure of unknown outcome', async () => {
    const refused = await failureThrough(new QueueUnavailableError('full', 30, { outcome: 'not-accepted' }));
    expect(refused).toMatchObject({ outcome: 'not-accepted', retryAfterSeconds: 30 });
    const unknown = await failureThrough(new Error('SQLITE_CORRUPT'));
    expect(unknown).toBeInstanceOf(QueueUnavailableError);
    expect(unknown).toMatchObject({ outcome: 'unknown', message: 'SQLITE_CORRUPT' });
  });
});
