import {
  type ServiceBusClient,
  type RetryOptions,
  type ServiceBusReceivedMessage,
  type ServiceBusReceiver,
  type TokenCredential,
} from '@azure/service-bus';
import Long from 'long';
import {
  DeadLetterOutOfReachError,
  type DeadLetter,
  type DeadLetterFate,
  type DeadLetterPage,
  type DeadLetterQueue,
} from '../../ports/dead-letters';
import { QueueUnavailableError } from '../../ports/queue';
import { InvalidContinuationError, type PageRequest } from '../../ports/store';
import { DEFAULT_RETRY_AFTER_SECONDS, toQueueUnavailable } from './errors';
import {
  checkedRetryOptions,
  serviceBusClient,
  serviceBusConnection,
  type ServiceBusCommandQueueOptions,
  type ServiceBusQueueSettings,
} from './service-bus-queue';

/**
 * Most dead letters a resubmit looks through, peeked and then held locked. Every message received before
 * the one wanted stays locked (unsettled) on one AMQP session until the end, and rhea's incoming delivery
 * buffer holds 2048 per session: the SDK caps a peek-lock receive at 2047 for that reason
 * (BatchingReceiver.receive in node_modules/@azure/service-bus/dist/index.js; rhea lib/session.js).
 */
export const MAX_SCANNED = 2_000;
const PEEK_BATCH = 250;
const RECEIVE_BATCH = 250;
/** Once the sought letter was peeked it is normally delivered at once; longer means someone else holds it. */
const RECEIVE_WAIT_MS = 3_000;
/** The broker's own properties on a dead letter (they become `reason` and `description`, not properties). */
const BROKER_PROPERTIES = new Set(['DeadLetterReason', 'DeadLetterErrorDescription']);

/**
 * The dead-letter sub-queue of the command queue (`<queue>/$DeadLetterQueue`): peeked to list it,
 * received in peek-lock mode to resubmit one message. The sub-queue of a session-enabled queue is not
 * itself session-enabled, so a plain receiver reads it (the broker refuses sessions on a sub-queue:
 * "Cannot create a MessageSession for a sub-queue", https://github.com/Azure/azure-sdk-for-java/issues/10662;
 * a plain receiver with the dead-letter sub-queue, https://github.com/Azure/azure-sdk-for-net/issues/21271).
 */
export class ServiceBusDeadLetters implements DeadLetterQueue {
  private client: ServiceBusClient | undefined;
  private closed = false;
  private readonly retryOptions: RetryOptions;

  constructor(private readonly options: ServiceBusCommandQueueOptions) {
    this.retryOptions = checkedRetryOptions('ServiceBusDeadLetters', options);
  }

  async listDeadLetters(page: PageRequest): Promise<DeadLetterPage> {
    if (!Number.isInteger(page.limit) || page.limit < 1) {
      throw new RangeError(`limit must be a positive integer, got ${page.limit}`);
    }
    const from = page.continuation === undefined ? Long.ZERO : decodeCursor(page.continuation);
    const receiver = this.receiver();
    try {
      // One more than asked for: the continuation is null exactly when nothing follows.
      const peeked = await peekFrom(receiver, from, page.limit + 1);
      const items = peeked.slice(0, page.limit).map(toDeadLetter);
      const next = peeked[page.limit];
      return { items, continuation: next ? encodeCursor(sequenceOf(next)) : null };
    } catch (error) {
      throw toQueueUnavailable(error, 'peek dead letters');
    } finally {
      await receiver.close().catch(() => undefined);
    }
  }

  /**
   * Peeks for the letter first (no locks, so an unknown id changes nothing), then receives in peek-lock
   * mode up to it. Messages received before it stay locked until the end, or they would be delivered
   * again at once; then all are abandoned, which in the sub-queue neither expires nor dead-letters
   * anything: "time-to-live isn't observed, and you can't dead-letter a message from a DLQ"
   * (https://learn.microsoft.com/azure/service-bus-messaging/service-bus-dead-letter-queues).
   */
  async withDeadLetter(
    messageId: string,
    handle: (letter: DeadLetter) => Promise<DeadLetterFate>,
  ): Promise<boolean> {
    const receiver = this.receiver();
    const held: ServiceBusReceivedMessage[] = [];
    try {
      const target = await locate(receiver, messageId);
      if (!target) return false;
      const match = await receiveUpTo(receiver, target, held);
      if (!match) return false;
      // Kept (or failed) letters are given back with the others below.
      if ((await handle(toDeadLetter(match))) === 'keep') return true;
      held.splice(held.indexOf(match), 1);
      await sdk(() => receiver.completeMessage(match), 'complete dead letter');
      return true;
    } finally {
      // Given back at once rather than at lock expiry (a failed abandon only leaves the lock to expire).
      // Abandoning raises their delivery count, which nothing acts on in the sub-queue.
      await Promise.allSettled(held.map((message) => receiver.abandonMessage(message)));
      await receiver.close().catch(() => undefined);
    }
  }

  /** Closes the connection; safe to call more than once. */
  async close(): Promise<void> {
    this.closed = true;
    const client = this.client;
    this.client = undefined;
    await client?.close().catch(() => undefined);
  }

  private receiver(): ServiceBusReceiver {
    if (this.closed) {
      throw new QueueUnavailableError(
        'the Service Bus dead-letter queue is closed',
        DEFAULT_RETRY_AFTER_SECONDS,
      );
    }
    this.client ??= this.createClient();
    return this.client.createReceiver(this.options.queueName, {
      subQueueType: 'deadLetter',
      receiveMode: 'peekLock',
    });
  }

  private createClient(): ServiceBusClient {
    return serviceBusClient(this.options, this.retryOptions);
  }
}

export function createServiceBusDeadLetters(
  settings: ServiceBusQueueSettings,
  credential?: TokenCredential,
  retryOptions?: RetryOptions,
): ServiceBusDeadLetters {
  return new ServiceBusDeadLetters({
    queueName: settings.queueName,
    ...serviceBusConnection(settings, credential),
    ...(retryOptions ? { retryOptions } : {}),
  });
}

interface Target {
  messageId: string;
  sequenceNumber: Long;
  /** How many dead letters come before it (locked ones included: peek shows them). */
  position: number;
}

/**
 * Up to `count` messages from `from` on (inclusive), in sequence-number order. A peek "returns at most
 * the requested number of messages" (https://learn.microsoft.com/azure/service-bus-messaging/message-browsing),
 * so it asks again until it has them or one comes back empty. `fromSequenceNumber` is always given: without
 * it the SDK goes on after the last message peeked through the same client, whoever peeked it.
 */
async function peekFrom(
  receiver: ServiceBusReceiver,
  from: Long,
  count: number,
): Promise<ServiceBusReceivedMessage[]> {
  const found: ServiceBusReceivedMessage[] = [];
  let next = from;
  while (found.length < count) {
    const batch = await receiver.peekMessages(count - found.length, { fromSequenceNumber: next });
    const last = batch.at(-1);
    if (!last) break;
    found.push(...batch);
    next = sequenceOf(last).add(1);
  }
  return found;
}

/** Where the dead letter with this message id is, by peeking; null when none of them has it. */
async function locate(receiver: ServiceBusReceiver, messageId: string): Promise<Target | null> {
  let from = Long.ZERO;
  for (let scanned = 0; scanned < MAX_SCANNED;) {
    const count = Math.min(PEEK_BATCH, MAX_SCANNED - scanned);
    const batch = await sdk(() => peekFrom(receiver, from, count), 'peek dead letters');
    const index = batch.findIndex((message) => idOf(message) === messageId);
    const hit = batch[index];
    if (hit) return { messageId, sequenceNumber: sequenceOf(hit), position: scanned + index };
    const last = batch.at(-1);
    if (!last) return null;
    scanned += batch.length;
    from = sequenceOf(last).add(1);
  }
  throw tooDeep(messageId);
}

/**
 * Receives (and holds in `held`) until the peeked letter arrives. Only as many as come up to it are
 * asked for, so the ones after it are not locked. Null when it does not come: another receiver holds
 * it or it is gone.
 */
async function receiveUpTo(
  receiver: ServiceBusReceiver,
  target: Target,
  held: ServiceBusReceivedMessage[],
): Promise<ServiceBusReceivedMessage | null> {
  for (;;) {
    const wanted = target.position + 1 - held.length;
    const count = Math.min(RECEIVE_BATCH, MAX_SCANNED - held.length, wanted > 0 ? wanted : RECEIVE_BATCH);
    if (count <= 0) throw tooDeep(target.messageId);
    const batch = await sdk(
      () => receiver.receiveMessages(count, { maxWaitTimeInMs: RECEIVE_WAIT_MS }),
      'receive dead letters',
    );
    held.push(...batch);
    const match = batch.find((message) => sequenceOf(message).equals(target.sequenceNumber));
    if (match) return match;
    if (batch.length === 0) return null;
  }
}

function tooDeep(messageId: string): Error {
  return new DeadLetterOutOfReachError(messageId, MAX_SCANNED);
}

/** Every failure of the SDK leaves as QueueUnavailableError (503 with Retry-After). */
async function sdk<T>(call: () => Promise<T>, operation: string): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw toQueueUnavailable(error, operation);
  }
}

/** Service Bus always sets it on received and peeked messages; a 64-bit Long (types/latest/service-bus.d.ts). */
function sequenceOf(message: ServiceBusReceivedMessage): Long {
  if (message.sequenceNumber === undefined) throw new Error('Service Bus message without a sequence number');
  return message.sequenceNumber;
}

function idOf(message: ServiceBusReceivedMessage): string {
  const id = message.messageId;
  if (id === undefined) return '';
  return Buffer.isBuffer(id) ? id.toString('utf8') : String(id);
}

function toDeadLetter(message: ServiceBusReceivedMessage): DeadLetter {
  const properties: Record<string, string> = {};
  for (const [key, value] of Object.entries(message.applicationProperties ?? {})) {
    if (BROKER_PROPERTIES.has(key) || value === null || value === undefined) continue;
    properties[key] = value instanceof Date ? value.toISOString() : String(value);
  }
  // The SDK JSON-parses a data section and hands over the bytes when they are not JSON (poison).
  const body: unknown = message.body;
  return {
    messageId: idOf(message),
    sessionId: message.sessionId ?? '',
    body: body instanceof Uint8Array ? Buffer.from(body).toString('utf8') : body,
    subject: message.subject ?? null,
    applicationProperties: properties,
    reason: message.deadLetterReason ?? '',
    description: message.deadLetterErrorDescription ?? '',
    deliveryCount: message.deliveryCount ?? 0,
    enqueuedAt: message.enqueuedTimeUtc ?? new Date(0),
    // The broker adds only the reason and the description when it dead-letters a message, no time
    // (https://learn.microsoft.com/azure/service-bus-messaging/service-bus-dead-letter-queues; nor has
    // ServiceBusReceivedMessage one in types/latest/service-bus.d.ts).
    deadLetteredAt: null,
    sequenceNumber: sequenceOf(message).toString(),
  };
}

/** Opaque to callers: the sequence number to peek from, as a decimal string (it is 64-bit). */
function encodeCursor(from: Long): string {
  return Buffer.from(JSON.stringify({ sbDeadLetterFrom: from.toString() })).toString('base64url');
}

function decodeCursor(token: string): Long {
  try {
    const value: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (typeof value === 'object' && value !== null && 'sbDeadLetterFrom' in value) {
      const from = value.sbDeadLetterFrom;
      // Round-tripping refuses signs, leading zeros and anything past the 64-bit range.
      if (typeof from === 'string' && /^\d{1,19}$/.test(from) && Long.fromString(from).toString() === from) {
        return Long.fromString(from);
      }
    }
  } catch {
    // not JSON: not one of ours
  }
  throw new InvalidContinuationError();
}
