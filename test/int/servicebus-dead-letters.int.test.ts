import { isServiceBusError } from '@azure/service-bus';
import {
  MAX_SCANNED,
  ServiceBusDeadLetters,
  createServiceBusDeadLetters,
} from '../../src/adapters/servicebus/dead-letters';
import type { DeadLetter } from '../../src/ports/dead-letters';
import { QueueUnavailableError } from '../../src/ports/queue';
import { DeadLetterOutOfReachError, type DeadLetterFate } from '../../src/ports/dead-letters';
import { InvalidContinuationError } from '../../src/ports/store';
import { DeadLetterPeer, type DeadLetterSeed } from '../support/amqp-dead-letter-peer';
import { FAST_RETRIES, TRACEPARENT } from '../support/amqp-peer';

/**
 * The Service Bus dead-letter adapter through the real `@azure/service-bus` SDK over AMQP, against a rhea
 * peer playing the queue's dead-letter sub-queue (test/support/amqp-dead-letter-peer.ts).
 */

const QUEUE = 'reservations';
const ENQUEUED = new Date('2030-01-01T10:00:00.000Z');

function seed(n: number, extra: Partial<DeadLetterSeed> = {}): DeadLetterSeed {
  const body = {
    type: 'Reserve',
    commandId: `cmd-${n}`,
    inventoryId: 'sku-42',
    requestedAt: ENQUEUED.toISOString(),
    reservationId: `res-${n}`,
    quantity: n,
    userId: 'user-7',
    expiresAt: '2030-01-01T10:15:00.000Z',
  };
  return {
    messageId: `cmd-${n}`,
    sessionId: 'sku-42',
    body,
    subject: 'Reserve',
    applicationProperties: { traceparent: TRACEPARENT, attempt: n, replayed: false },
    reason: 'MaxDeliveryCountExceeded',
    description: `failed ${n}`,
    deliveryCount: 10,
    enqueuedAt: new Date(ENQUEUED.getTime() + n * 1000),
    ...extra,
  };
}

let peer: DeadLetterPeer;
const adapters: ServiceBusDeadLetters[] = [];

function newAdapter(): ServiceBusDeadLetters {
  const adapter = new ServiceBusDeadLetters({
    queueName: QUEUE,
    connectionString: peer.amqp.connectionString(),
    retryOptions: FAST_RETRIES,
  });
  adapters.push(adapter);
  return adapter;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

async function listAll(adapter: ServiceBusDeadLetters): Promise<DeadLetter[]> {
  const all: DeadLetter[] = [];
  let continuation: string | undefined;
  do {
    const page = await adapter.listDeadLetters({ limit: 100, ...(continuation ? { continuation } : {}) });
    all.push(...page.items);
    continuation = page.continuation ?? undefined;
  } while (continuation);
  return all;
}

const ids = (letters: { messageId: string }[]) => letters.map((l) => l.messageId);
const delivered = () => peer.events.flatMap((e) => (e.kind === 'deliver' ? [e.messageId] : []));

beforeAll(async () => {
  peer = await DeadLetterPeer.start(QUEUE);
});

afterEach(() => {
  const errors = [...peer.amqp.errors];
  peer.reset();
  expect(errors).toEqual([]);
});

afterAll(async () => {
  await Promise.all(adapters.map((a) => a.close()));
  await peer?.close();
});

describe('listDeadLetters', () => {
  it('pages oldest first with continuations holding 64-bit sequence numbers, and locks nothing', async () => {
    const sequences = peer.add(seed(1), seed(2), seed(3), seed(4), seed(5));
    expect(BigInt(sequences[0]!)).toBeGreaterThan(BigInt(Number.MAX_SAFE_INTEGER));
    const adapter = newAdapter();

    const first = await adapter.listDeadLetters({ limit: 2 });
    expect(ids(first.items)).toEqual(['cmd-1', 'cmd-2']);
    expect(first.continuation).toEqual(expect.any(String));
    const second = await adapter.listDeadLetters({ limit: 2, continuation: first.continuation! });
    expect(ids(second.items)).toEqual(['cmd-3', 'cmd-4']);
    const last = await adapter.listDeadLetters({ limit: 2, continuation: second.continuation! });
    expect(ids(last.items)).toEqual(['cmd-5']);
    expect(last.continuation).toBeNull();
    expect([...first.items, ...second.items, ...last.items].map((l) => l.sequenceNumber)).toEqual(sequences);

    expect(first.items[0]).toEqual({
      messageId: 'cmd-1',
      sessionId: 'sku-42',
      body: seed(1).body,
      subject: 'Reserve',
      applicationProperties: { traceparent: TRACEPARENT, attempt: '1', replayed: 'false' },
      reason: 'MaxDeliveryCountExceeded',
      description: 'failed 1',
      deliveryCount: 10,
      enqueuedAt: new Date(ENQUEUED.getTime() + 1000),
      deadLetteredAt: null,
      sequenceNumber: sequences[0],
    });
    // Peeked through the sub-queue's management link, each page from where the last one stopped.
    expect(peer.amqp.events).toContainEqual({
      kind: 'attach',
      role: 'receiver',
      address: `${QUEUE}/$DeadLetterQueue/$management`,
    });
    // A peek may return fewer than asked for: the last page asks again past its last item, to be sure.
    const peeks = peer.events.flatMap((e) => (e.kind === 'peek' ? [e.from] : []));
    const afterLast = (BigInt(sequences[4]!) + 1n).toString();
    expect(peeks).toEqual(['0', sequences[2], sequences[4], afterLast]);
    expect(delivered()).toEqual([]);
  });

  it('an empty sub-queue (status 204) gives an empty page without a continuation', async () => {
    await expect(newAdapter().listDeadLetters({ limit: 10 })).resolves.toEqual({
      items: [],
      continuation: null,
    });
  });

  it('a page exactly as long as what is left ends without a continuation', async () => {
    peer.add(seed(1), seed(2));
    await expect(newAdapter().listDeadLetters({ limit: 2 })).resolves.toMatchObject({ continuation: null });
  });

  it('shows a poison body (not JSON) as its text', async () => {
    peer.add(seed(1, { rawBody: Buffer.from('not json {', 'utf8') }));
    const [letter] = await listAll(newAdapter());
    expect(letter?.body).toBe('not json {');
  });

  it('refuses a continuation it did not issue without asking the broker', async () => {
    peer.add(seed(1));
    const adapter = newAdapter();
    const token = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const forged = [
      'not-a-token',
      token({ deadLetterAfter: 3 }), // the embedded queue's
      token({ sbDeadLetterFrom: 3 }),
      token({ sbDeadLetterFrom: '-1' }),
      token({ sbDeadLetterFrom: '007' }),
      token({ sbDeadLetterFrom: '9223372036854775808' }), // past the 64-bit range
    ];
    for (const continuation of forged) {
      await expect(adapter.listDeadLetters({ limit: 5, continuation })).rejects.toBeInstanceOf(
        InvalidContinuationError,
      );
    }
    expect(peer.events).toEqual([]);
  });

  it('a management request the broker fails rejects with QueueUnavailableError', async () => {
    peer.add(seed(1));
    peer.amqp.failManagementWith = {
      statusCode: 503,
      condition: 'com.microsoft:server-busy',
      description: 'The server is busy.',
    };
    const error = await rejection(newAdapter().listDeadLetters({ limit: 5 }));
    expect(error).toBeInstanceOf(QueueUnavailableError);
    expect((error as QueueUnavailableError).retryAfterSeconds).toBe(10);
    expect((error as Error).message).toContain('ServiceBusy');
  });
});

describe('withDeadLetter', () => {
  it('runs the callback with the letter while it is locked, then removes exactly it; the others stay unlocked', async () => {
    const sequences = peer.add(seed(1), seed(2), seed(3), seed(4), seed(5));
    const adapter = newAdapter();
    const [, , listed] = await listAll(adapter);
    const seen: DeadLetter[] = [];
    let lockedDuringCallback: boolean | undefined;
    const found = await adapter.withDeadLetter('cmd-3', async (letter) => {
      seen.push(letter);
      lockedDuringCallback = peer.remaining.find((l) => l.messageId === 'cmd-3')?.locked;
      return 'remove';
    });
    expect(found).toBe(true);
    expect(seen).toEqual([listed]);
    expect(lockedDuringCallback).toBe(true);
    expect(peer.remaining).toEqual(
      [1, 2, 4, 5].map((n) => ({ messageId: `cmd-${n}`, sequenceNumber: sequences[n - 1], locked: false })),
    );
    expect(peer.settlements('accepted')).toEqual(['cmd-3']);
    expect(peer.settlements('released').sort()).toEqual(['cmd-1', 'cmd-2']);
    // Only the ones up to it were received: cmd-4 and cmd-5 were never locked.
    expect(delivered()).toEqual(['cmd-1', 'cmd-2', 'cmd-3']);
    expect(peer.amqp.events).toContainEqual({
      kind: 'attach',
      role: 'sender',
      address: `${QUEUE}/$DeadLetterQueue`,
    });
    expect(ids(await listAll(adapter))).toEqual(['cmd-1', 'cmd-2', 'cmd-4', 'cmd-5']);
  });

  it('resubmits the oldest of two dead letters with the same message id', async () => {
    const [older, newer] = peer.add(seed(1), seed(2, { messageId: 'cmd-1' }));
    const seen: string[] = [];
    await newAdapter().withDeadLetter('cmd-1', async (letter) => {
      seen.push(letter.sequenceNumber);
      return 'remove';
    });
    expect(seen).toEqual([older]);
    expect(peer.remaining).toEqual([{ messageId: 'cmd-1', sequenceNumber: newer, locked: false }]);
  });

  it('a callback that answers keep leaves the letter in place, unlocked', async () => {
    peer.add(seed(1), seed(2));
    await expect(newAdapter().withDeadLetter('cmd-2', async () => 'keep')).resolves.toBe(true);
    expect(peer.remaining.map((l) => [l.messageId, l.locked])).toEqual([
      ['cmd-1', false],
      ['cmd-2', false],
    ]);
    expect(peer.settlements('accepted')).toEqual([]);
  });

  it('a callback that throws leaves the letter in place, unlocked, and its error passes through unchanged', async () => {
    peer.add(seed(1), seed(2), seed(3));
    const failure = new Error('send failed');
    const error = await rejection(
      newAdapter().withDeadLetter('cmd-2', async () => {
        throw failure;
      }),
    );
    expect(error).toBe(failure);
    expect(peer.remaining.map((l) => [l.messageId, l.locked])).toEqual([
      ['cmd-1', false],
      ['cmd-2', false],
      ['cmd-3', false],
    ]);
    expect(peer.settlements('accepted')).toEqual([]);
    expect(peer.settlements('released').sort()).toEqual(['cmd-1', 'cmd-2']);
  });

  it('an unknown message id gives false without locking anything', async () => {
    peer.add(seed(1), seed(2));
    const callback = jest.fn(async (): Promise<DeadLetterFate> => 'remove');
    await expect(newAdapter().withDeadLetter('cmd-404', callback)).resolves.toBe(false);
    expect(callback).not.toHaveBeenCalled();
    expect(delivered()).toEqual([]);
    expect(ids(peer.remaining)).toEqual(['cmd-1', 'cmd-2']);
  });

  it('a letter another receiver holds locked gives false and everything received meanwhile is given back', async () => {
    peer.add(seed(1), seed(2), seed(3));
    peer.lockElsewhere('cmd-2');
    const callback = jest.fn(async (): Promise<DeadLetterFate> => 'remove');
    await expect(newAdapter().withDeadLetter('cmd-2', callback)).resolves.toBe(false);
    expect(callback).not.toHaveBeenCalled();
    expect(peer.settlements('released').sort()).toEqual(['cmd-1', 'cmd-3']);
    expect(peer.remaining.map((l) => [l.messageId, l.locked])).toEqual([
      ['cmd-1', false],
      ['cmd-2', true],
      ['cmd-3', false],
    ]);
  });

  it(`stops with a clear error when the id is not among the first ${MAX_SCANNED} dead letters`, async () => {
    for (let n = 1; n <= MAX_SCANNED; n++) peer.add(seed(n));
    peer.add(seed(0, { messageId: 'cmd-deep' }));
    const callback = jest.fn(async (): Promise<DeadLetterFate> => 'remove');
    const error = await rejection(newAdapter().withDeadLetter('cmd-deep', callback));
    expect(error).toBeInstanceOf(DeadLetterOutOfReachError);
    expect((error as Error).message).toContain(`not among the first ${MAX_SCANNED}`);
    expect(callback).not.toHaveBeenCalled();
    expect(delivered()).toEqual([]);
  });

  it('a failing peek or a refused receive link rejects with QueueUnavailableError and removes nothing', async () => {
    peer.add(seed(1), seed(2));
    const adapter = newAdapter();
    const callback = jest.fn(async (): Promise<DeadLetterFate> => 'remove');
    peer.amqp.failManagementWith = { statusCode: 500, condition: 'amqp:internal-error', description: 'boom' };
    await expect(adapter.withDeadLetter('cmd-1', callback)).rejects.toBeInstanceOf(QueueUnavailableError);
    peer.amqp.failManagementWith = undefined;

    peer.failReceiverWith = { condition: 'amqp:unauthorized-access', description: 'Unauthorized access.' };
    const error = await rejection(adapter.withDeadLetter('cmd-1', callback));
    expect(error).toBeInstanceOf(QueueUnavailableError);
    let cause: unknown = (error as QueueUnavailableError).cause;
    while (cause instanceof AggregateError) cause = cause.errors.at(-1);
    expect(isServiceBusError(cause) && cause.code).toBe('UnauthorizedAccess');
    expect(callback).not.toHaveBeenCalled();
    expect(ids(peer.remaining)).toEqual(['cmd-1', 'cmd-2']);
  });
});

describe('lifecycle and configuration', () => {
  it('close is idempotent and a closed adapter refuses with QueueUnavailableError', async () => {
    const adapter = newAdapter();
    await adapter.listDeadLetters({ limit: 1 });
    await Promise.all([adapter.close(), adapter.close()]);
    await expect(adapter.listDeadLetters({ limit: 1 })).rejects.toBeInstanceOf(QueueUnavailableError);
    await expect(adapter.withDeadLetter('cmd-1', async () => 'remove')).rejects.toBeInstanceOf(
      QueueUnavailableError,
    );
  });

  it('requires a queue name and a namespace with a credential, or a connection string', () => {
    expect(
      () =>
        new ServiceBusDeadLetters({ queueName: QUEUE, fullyQualifiedNamespace: 'ns.servicebus.windows.net' }),
    ).toThrow(TypeError);
    expect(() => new ServiceBusDeadLetters({ queueName: '', connectionString: 'Endpoint=sb://x/' })).toThrow(
      TypeError,
    );
  });

  it('the factory uses the emulator connection string when there is one', async () => {
    peer.add(seed(1));
    const adapter = createServiceBusDeadLetters(
      { kind: 'servicebus', queueName: QUEUE, connectionString: peer.amqp.connectionString() },
      undefined,
      FAST_RETRIES,
    );
    adapters.push(adapter);
    expect(ids(await listAll(adapter))).toEqual(['cmd-1']);
  });
});
