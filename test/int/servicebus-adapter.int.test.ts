import { isServiceBusError } from '@azure/service-bus';
import {
  ServiceBusCommandQueue,
  createServiceBusCommandQueue,
  toServiceBusMessage,
} from '../../src/adapters/servicebus/service-bus-queue';
import type { AdjustCommand, ExpireHoldCommand, ReserveCommand } from '../../src/domain/model';
import { QueueUnavailableError, type OutgoingCommand } from '../../src/ports/queue';
import { AmqpPeer, FAST_RETRIES, jsonBody, TRACEPARENT } from '../support/amqp-peer';

/**
 * The Service Bus adapter through the real `@azure/service-bus` SDK over AMQP, against a rhea peer
 * playing the broker (see test/support/amqp-peer.ts).
 */

const QUEUE = 'reservations';
const NOW = '2030-01-01T10:00:00.000Z';
const EXPIRES = '2030-01-01T10:15:00.000Z';

const reserve: ReserveCommand = {
  type: 'Reserve',
  commandId: 'cmd-reserve-1',
  inventoryId: 'sku-42',
  requestedAt: NOW,
  reservationId: 'res-1',
  quantity: 2,
  userId: 'user-7',
  expiresAt: EXPIRES,
};
const expire: ExpireHoldCommand = {
  type: 'ExpireHold',
  commandId: 'cmd-expire-1',
  inventoryId: 'sku-42',
  requestedAt: NOW,
  reservationId: 'res-1',
  expiresAt: EXPIRES,
};
const adjust: AdjustCommand = {
  type: 'Adjust',
  commandId: 'cmd-adjust-1',
  inventoryId: 'sku-7',
  requestedAt: NOW,
  delta: 5,
  reason: 'restock',
};

const outgoing = (
  body: ReserveCommand | ExpireHoldCommand | AdjustCommand,
  extra: Partial<OutgoingCommand> = {},
) => ({
  sessionId: body.inventoryId,
  messageId: body.commandId,
  body,
  ...extra,
});

let peer: AmqpPeer;
const queues: ServiceBusCommandQueue[] = [];

function newQueue(queueName = QUEUE): ServiceBusCommandQueue {
  const queue = new ServiceBusCommandQueue({
    queueName,
    connectionString: peer.connectionString(),
    retryOptions: FAST_RETRIES,
  });
  queues.push(queue);
  return queue;
}

async function rejection(promise: Promise<unknown>): Promise<QueueUnavailableError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(QueueUnavailableError);
  return error as QueueUnavailableError;
}

/** The SDK's ServiceBusError behind a translated error (possibly inside its retry AggregateError). */
function sdkCause(error: QueueUnavailableError): unknown {
  let cause = error.cause;
  while (cause instanceof AggregateError) cause = cause.errors[cause.errors.length - 1];
  return cause;
}

beforeAll(async () => {
  peer = await AmqpPeer.start({ queues: [QUEUE] });
});

afterEach(() => {
  const errors = [...peer.errors];
  peer.reset();
  expect(errors).toEqual([]);
});

afterAll(async () => {
  await Promise.all(queues.map((q) => q.close()));
  await peer?.close();
});

describe('ServiceBusCommandQueue over AMQP', () => {
  it('ping authenticates with CBS and attaches the sender link to the queue', async () => {
    const queue = newQueue();
    await expect(queue.ping()).resolves.toBeUndefined();
    expect(peer.tokens).toEqual([
      expect.objectContaining({ audience: expect.stringContaining(`/${QUEUE}`) }),
    ]);
    expect(peer.events).toContainEqual({ kind: 'attach', role: 'receiver', address: QUEUE });
    expect(peer.transfers).toHaveLength(0);
    await queue.close();
  });

  it('sends the scheduled ExpireHold first, then the immediate commands in one batch, with all properties', async () => {
    const queue = newQueue();
    const expiresAt = new Date(EXPIRES);
    const props = { traceparent: TRACEPARENT, tracestate: 'congo=t61rcWkgMzE', 'Diagnostic-Id': TRACEPARENT };
    await queue.send([
      outgoing(reserve, { applicationProperties: props }),
      outgoing(expire, { scheduledEnqueueTime: expiresAt, applicationProperties: props }),
      outgoing(adjust, { applicationProperties: { traceparent: TRACEPARENT } }),
    ]);

    // Order on the wire: the schedule-message request before the transfer.
    const kinds = peer.events
      .filter((e) => e.kind === 'schedule' || e.kind === 'transfer')
      .map((e) => e.kind);
    expect(kinds).toEqual(['schedule', 'transfer']);

    const [schedule] = peer.schedules;
    expect(schedule?.address).toBe(`${QUEUE}/$management`);
    expect(schedule?.entries).toHaveLength(1);
    const entry = schedule!.entries[0]!;
    expect(entry.messageId).toBe('cmd-expire-1');
    expect(entry.sessionId).toBe('sku-42');
    const scheduled = entry.message;
    expect(scheduled.message_id).toBe('cmd-expire-1');
    expect(scheduled.group_id).toBe('sku-42');
    expect(scheduled.content_type).toBe('application/json');
    expect(scheduled.subject).toBe('ExpireHold');
    expect(scheduled.application_properties).toEqual(props);
    expect(jsonBody(scheduled)).toEqual(expire);
    const annotation = (scheduled.message_annotations as Record<string, unknown>)[
      'x-opt-scheduled-enqueue-time'
    ];
    expect(annotation).toBeInstanceOf(Date);
    expect((annotation as Date).toISOString()).toBe(EXPIRES);

    const transfers = peer.transfers;
    expect(transfers).toHaveLength(2);
    expect(transfers.every((t) => t.batched && t.address === QUEUE)).toBe(true);
    const [first, second] = transfers.map((t) => t.message);
    expect(first).toMatchObject({
      message_id: 'cmd-reserve-1',
      group_id: 'sku-42',
      content_type: 'application/json',
      subject: 'Reserve',
      application_properties: props,
    });
    expect(jsonBody(first!)).toEqual(reserve);
    expect(first!.message_annotations?.['x-opt-scheduled-enqueue-time']).toBeUndefined();
    expect(second).toMatchObject({
      message_id: 'cmd-adjust-1',
      group_id: 'sku-7',
      content_type: 'application/json',
      subject: 'Adjust',
      application_properties: { traceparent: TRACEPARENT },
    });
    expect(jsonBody(second!)).toEqual(adjust);
  });

  it('groups scheduled messages by enqueue time, one schedule request per time', async () => {
    const queue = newQueue();
    const later = new Date('2030-01-01T11:00:00.000Z');
    const expire2: ExpireHoldCommand = { ...expire, commandId: 'cmd-expire-2', reservationId: 'res-2' };
    const expire3: ExpireHoldCommand = { ...expire, commandId: 'cmd-expire-3', reservationId: 'res-3' };
    await queue.send([
      outgoing(expire2, { scheduledEnqueueTime: later }),
      outgoing(expire, { scheduledEnqueueTime: new Date(EXPIRES) }),
      outgoing(expire3, { scheduledEnqueueTime: new Date(later) }),
    ]);
    expect(peer.transfers).toHaveLength(0);
    expect(peer.schedules.map((s) => s.entries.map((e) => e.messageId))).toEqual([
      ['cmd-expire-1'],
      ['cmd-expire-2', 'cmd-expire-3'],
    ]);
    const times = peer.schedules.map((s) =>
      (s.entries[0]!.message.message_annotations?.['x-opt-scheduled-enqueue-time'] as Date).toISOString(),
    );
    expect(times).toEqual([EXPIRES, later.toISOString()]);
  });

  it('reuses one connection and one sender link across sends', async () => {
    const queue = newQueue();
    await queue.send([outgoing(reserve)]);
    await queue.send([outgoing(adjust)]);
    await queue.ping();
    expect(peer.events.filter((e) => e.kind === 'attach' && e.address === QUEUE)).toHaveLength(1);
    expect(peer.transfers.map((t) => t.message.message_id)).toEqual(['cmd-reserve-1', 'cmd-adjust-1']);
  });

  it('a transfer rejected with server-busy rejects with QueueUnavailableError (ServiceBusy, retry after 10 s)', async () => {
    const queue = newQueue();
    peer.rejectTransfersWith = { condition: 'com.microsoft:server-busy', description: 'The server is busy.' };
    const error = await rejection(queue.send([outgoing(reserve)]));
    expect(error.retryAfterSeconds).toBeGreaterThan(0);
    expect(error.retryAfterSeconds).toBe(10);
    expect(error.message).toContain('ServiceBusy');
    const cause = sdkCause(error);
    expect(isServiceBusError(cause) && cause.code).toBe('ServiceBusy');
    // ServiceBusy is retryable: the SDK tried 1 + maxRetries times, then gave up.
    expect(peer.events.filter((e) => e.kind === 'rejected')).toHaveLength(1 + FAST_RETRIES.maxRetries!);
    expect(peer.transfers).toHaveLength(0);
    // The queue recovers once the broker accepts again.
    peer.rejectTransfersWith = undefined;
    await expect(queue.send([outgoing(reserve)])).resolves.toBeUndefined();
  });

  it('a refused schedule request rejects before any immediate message is sent', async () => {
    const queue = newQueue();
    peer.failManagementWith = {
      statusCode: 403,
      condition: 'amqp:resource-limit-exceeded',
      description: 'The queue is full.',
    };
    const error = await rejection(
      queue.send([outgoing(reserve), outgoing(expire, { scheduledEnqueueTime: new Date(EXPIRES) })]),
    );
    expect(error.retryAfterSeconds).toBe(30);
    expect(isServiceBusError(sdkCause(error)) && (sdkCause(error) as { code: string }).code).toBe(
      'QuotaExceeded',
    );
    expect(peer.transfers).toHaveLength(0);
  });

  it('an unknown queue (link refused with amqp:not-found) rejects send and ping with QueueUnavailableError', async () => {
    const queue = newQueue('no-such-queue');
    const sendError = await rejection(queue.send([outgoing(reserve)]));
    expect(sendError.retryAfterSeconds).toBeGreaterThan(0);
    expect(isServiceBusError(sdkCause(sendError)) && (sdkCause(sendError) as { code: string }).code).toBe(
      'MessagingEntityNotFound',
    );
    const pingError = await rejection(queue.ping());
    expect(pingError.retryAfterSeconds).toBeGreaterThan(0);
  });

  it('an unreachable namespace rejects with QueueUnavailableError', async () => {
    const closedPort = await AmqpPeer.start({ queues: [QUEUE] });
    const connectionString = closedPort.connectionString();
    await closedPort.close();
    const queue = new ServiceBusCommandQueue({
      queueName: QUEUE,
      connectionString,
      retryOptions: FAST_RETRIES,
    });
    queues.push(queue);
    const error = await rejection(queue.send([outgoing(reserve)]));
    expect(error.retryAfterSeconds).toBeGreaterThan(0);
    await queue.close();
  });

  it('close is idempotent and a closed queue refuses with QueueUnavailableError', async () => {
    const queue = newQueue();
    await queue.ping();
    await Promise.all([queue.close(), queue.close()]);
    await queue.close();
    const error = await rejection(queue.send([outgoing(reserve)]));
    expect(error.retryAfterSeconds).toBeGreaterThan(0);
    await rejection(queue.ping());
  });

  it('an empty send does not even connect', async () => {
    const queue = newQueue();
    await queue.send([]);
    expect(peer.events).toHaveLength(0);
  });
});

describe('configuration', () => {
  it('maps a command to the Service Bus message the consumer expects', () => {
    expect(
      toServiceBusMessage(outgoing(reserve, { applicationProperties: { traceparent: TRACEPARENT } })),
    ).toEqual({
      sessionId: 'sku-42',
      messageId: 'cmd-reserve-1',
      contentType: 'application/json',
      subject: 'Reserve',
      body: reserve,
      applicationProperties: { traceparent: TRACEPARENT },
    });
  });

  it('requires a namespace with a credential, or a connection string', () => {
    expect(
      () =>
        new ServiceBusCommandQueue({
          queueName: QUEUE,
          fullyQualifiedNamespace: 'ns.servicebus.windows.net',
        }),
    ).toThrow(TypeError);
    expect(() => new ServiceBusCommandQueue({ queueName: '', connectionString: 'Endpoint=sb://x/' })).toThrow(
      TypeError,
    );
  });

  it('the factory prefers the emulator connection string and otherwise uses the namespace with the credential', async () => {
    const fromEmulator = createServiceBusCommandQueue(
      {
        kind: 'servicebus',
        queueName: QUEUE,
        fullyQualifiedNamespace: 'ignored.servicebus.windows.net',
        connectionString: peer.connectionString(),
      },
      undefined,
      FAST_RETRIES,
    );
    queues.push(fromEmulator);
    await fromEmulator.ping();
    expect(peer.tokens).toHaveLength(1);
    await fromEmulator.close();

    const credential = {
      getToken: jest.fn(async () => ({ token: 't', expiresOnTimestamp: Date.now() + 3_600_000 })),
    };
    const onAzure = createServiceBusCommandQueue(
      { kind: 'servicebus', queueName: QUEUE, fullyQualifiedNamespace: 'my-ns.servicebus.windows.net' },
      credential,
    );
    expect(onAzure).toBeInstanceOf(ServiceBusCommandQueue);
    expect(onAzure.queueName).toBe(QUEUE);
    await onAzure.close(); // never connected: nothing to close
    expect(() =>
      createServiceBusCommandQueue({
        kind: 'servicebus',
        queueName: QUEUE,
        fullyQualifiedNamespace: 'my-ns.servicebus.windows.net',
      }),
    ).toThrow(TypeError);
  });
});
