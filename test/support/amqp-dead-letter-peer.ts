import { randomBytes } from 'node:crypto';
import Long from 'long';
import rhea = require('rhea');
import { AmqpPeer, type AmqpErrorSpec, type DecodedMessage } from './amqp-peer';

/**
 * The dead-letter sub-queue of one queue, played for `@azure/service-bus` on top of AmqpPeer (which does
 * CBS, attaches and management replies). It holds dead letters with 64-bit sequence numbers and:
 *
 * - answers `com.microsoft:peek-message` on `<queue>/$DeadLetterQueue/$management` with the encoded
 *   messages from `from-sequence-number` (inclusive) on, at most `message-count`, locked ones included
 *   (as Service Bus does), or `statusCode` 204 when there are none;
 * - serves a client receiver on `<queue>/$DeadLetterQueue` (peek-lock): sends unlocked letters in sequence
 *   order while the link has credit, each with a 16-byte delivery tag (the SDK's lock token), answers
 *   drains, and on the disposition removes the letter (accepted: completed) or unlocks it (modified or
 *   released: abandoned), then settles. A link or connection that goes away unlocks what it held.
 *
 * The messages carry what the SDK's fromRheaMessage reads (node_modules/@azure/service-bus/dist/index.js):
 * annotations `x-opt-sequence-number`, `x-opt-enqueued-time`, `x-opt-locked-until`, application properties
 * `DeadLetterReason` and `DeadLetterErrorDescription`, the header's `delivery_count`.
 */

const PEEK_MESSAGE = 'com.microsoft:peek-message';
const LOCK_MS = 60_000;

export interface DeadLetterSeed {
  messageId: string;
  sessionId: string;
  /** Sent as JSON in one data section, as the SDK sends an object body. */
  body: unknown;
  /** Instead of `body`: these bytes as the data section (a poison message). */
  rawBody?: Buffer;
  subject?: string;
  applicationProperties?: Record<string, string | number | boolean>;
  reason: string;
  description: string;
  deliveryCount: number;
  enqueuedAt: Date;
}

interface Letter extends DeadLetterSeed {
  sequenceNumber: Long;
  /** The delivery that holds it locked, or 'elsewhere' (a receiver this peer does not see). */
  lock: rhea.Delivery | 'elsewhere' | undefined;
}

export type DeadLetterPeerEvent =
  | { kind: 'peek'; from: string; count: number; returned: string[] }
  | { kind: 'deliver'; messageId: string }
  | { kind: 'settle'; messageId: string; outcome: 'accepted' | 'released' };

export class DeadLetterPeer {
  readonly entity: string;
  readonly events: DeadLetterPeerEvent[] = [];
  /** When set, a receiver link on the sub-queue is attached and then detached with this error. */
  failReceiverWith: AmqpErrorSpec | undefined;
  private letters: Letter[] = [];
  /** Credit each receiver link granted that the peer has not used yet. */
  private readonly credit = new WeakMap<rhea.Sender, number>();
  private next: Long;
  private base: AmqpPeer | undefined;

  private constructor(queue: string, firstSequenceNumber: Long) {
    this.entity = `${queue}/$DeadLetterQueue`;
    this.next = firstSequenceNumber;
  }

  /** Sequence numbers start above 2^53 by default, so anything that handles them as numbers breaks. */
  static async start(queue: string, firstSequenceNumber = '72057594037927937'): Promise<DeadLetterPeer> {
    const peer = new DeadLetterPeer(queue, Long.fromString(firstSequenceNumber));
    peer.base = await AmqpPeer.start({
      queues: [queue, peer.entity],
      managementOperations: { [PEEK_MESSAGE]: (request, address) => peer.onPeek(request, address) },
      extend: (container) => peer.listen(container),
    });
    return peer;
  }

  /** The AMQP peer underneath: its connection string, `failManagementWith`, `errors`, `events`. */
  get amqp(): AmqpPeer {
    if (!this.base) throw new Error('DeadLetterPeer: not started');
    return this.base;
  }

  /** Dead-letters these messages in order; returns their sequence numbers. */
  add(...seeds: DeadLetterSeed[]): string[] {
    return seeds.map((seed) => {
      const sequenceNumber = this.next;
      this.next = this.next.add(1);
      this.letters.push({ ...seed, sequenceNumber, lock: undefined });
      return sequenceNumber.toString();
    });
  }

  /** What the sub-queue holds, in order. */
  get remaining(): { messageId: string; sequenceNumber: string; locked: boolean }[] {
    return this.letters.map((l) => ({
      messageId: l.messageId,
      sequenceNumber: l.sequenceNumber.toString(),
      locked: l.lock !== undefined,
    }));
  }

  /** Marks the letter locked by some other receiver: peeks still show it, receives skip it. */
  lockElsewhere(messageId: string): void {
    const letter = this.letters.find((l) => l.messageId === messageId);
    if (!letter) throw new Error(`DeadLetterPeer: no letter ${messageId}`);
    letter.lock = 'elsewhere';
  }

  settlements(outcome: 'accepted' | 'released'): string[] {
    return this.events.flatMap((e) => (e.kind === 'settle' && e.outcome === outcome ? [e.messageId] : []));
  }

  reset(): void {
    this.letters = [];
    this.events.length = 0;
    this.failReceiverWith = undefined;
    this.amqp.reset();
  }

  close(): Promise<void> {
    return this.amqp.close();
  }

  private onPeek(request: DecodedMessage, address: string) {
    if (address !== `${this.entity}/$management`) {
      return { applicationProperties: { statusCode: 501, statusDescription: `no peek on ${address}` } };
    }
    const body = (request.body ?? {}) as Record<string, unknown>;
    const from = toLong(body['from-sequence-number']);
    const count = Number(body['message-count']);
    const found = this.letters.filter((l) => l.sequenceNumber.greaterThanOrEqual(from)).slice(0, count);
    this.events.push({
      kind: 'peek',
      from: from.toString(),
      count,
      returned: found.map((l) => l.messageId),
    });
    if (found.length === 0) {
      return { applicationProperties: { statusCode: 204, statusDescription: 'No Content' } };
    }
    const messages = found.map((letter) => ({ message: rhea.message.encode(toAmqp(letter)) }));
    return { applicationProperties: { statusCode: 200, statusDescription: 'OK' }, body: { messages } };
  }

  private listen(container: rhea.Container): void {
    // A throw inside a rhea handler would break the connection: recorded for the test to see instead.
    const on = (event: string, handler: (context: rhea.EventContext) => void) =>
      container.on(event, (context: rhea.EventContext) => {
        try {
          handler(context);
        } catch (error) {
          this.amqp.errors.push(error);
        }
      });
    on('sender_open', (c) => this.onReceiverAttached(c));
    // rhea counts a send against the credit only once it is written: the peer keeps its own count.
    on('sender_flow', (c) => {
      if (c.sender) this.credit.set(c.sender, creditOf(c.sender));
    });
    on('sendable', (c) => this.pump(c.sender));
    on('sender_draining', (c) => this.drain(c.sender));
    on('accepted', (c) => this.settle(c.delivery, 'accepted'));
    // rhea raises `released` for `modified` too (treat_modified_as_released): the SDK abandons with modified.
    on('released', (c) => this.settle(c.delivery, 'released'));
    on('sender_close', (c) => this.unlock((d) => d.link === c.sender));
    on('connection_close', (c) => this.unlock((d) => d.link.connection === c.connection));
    on('disconnected', (c) => this.unlock((d) => d.link.connection === c.connection));
  }

  private isOurs(link: rhea.Sender | rhea.Receiver | undefined): link is rhea.Sender {
    return link?.is_sender() === true && (link.source as { address?: string }).address === this.entity;
  }

  private onReceiverAttached(context: rhea.EventContext): void {
    if (this.isOurs(context.sender) && this.failReceiverWith) context.sender.close(this.failReceiverWith);
  }

  private pump(sender: rhea.Sender | undefined): void {
    if (!this.isOurs(sender) || this.failReceiverWith) return;
    let credit = this.credit.get(sender) ?? 0;
    for (; credit > 0 && sender.sendable(); credit--) {
      const letter = this.letters.find((l) => l.lock === undefined);
      if (!letter) break;
      const lockedUntil = new Date(Date.now() + LOCK_MS);
      letter.lock = sender.send(toAmqp(letter, lockedUntil), randomBytes(16));
      this.events.push({ kind: 'deliver', messageId: letter.messageId });
    }
    this.credit.set(sender, credit);
  }

  /** Sends what it has, then tells the client the rest of its credit is used up. */
  private drain(sender: rhea.Sender | undefined): void {
    if (!this.isOurs(sender)) return;
    this.pump(sender);
    sender.set_drained(true);
  }

  private settle(delivery: rhea.Delivery | undefined, outcome: 'accepted' | 'released'): void {
    if (!delivery || !this.isOurs(delivery.link)) return;
    const letter = this.letters.find((l) => l.lock === delivery);
    if (letter && outcome === 'accepted') {
      this.letters = this.letters.filter((l) => l !== letter);
    } else if (letter) {
      letter.lock = undefined;
      letter.deliveryCount++;
      this.pump(delivery.link); // available again, to whoever still has credit
    }
    if (letter) this.events.push({ kind: 'settle', messageId: letter.messageId, outcome });
    // Settled whatever became of the letter, echoing the client's outcome: it waits for this (peek-lock
    // is receiver-settle-mode second).
    delivery.update(true, described(delivery.remote_state));
  }

  private unlock(heldBy: (delivery: rhea.Delivery) => boolean): void {
    for (const letter of this.letters) {
      if (letter.lock && letter.lock !== 'elsewhere' && heldBy(letter.lock)) letter.lock = undefined;
    }
  }
}

function toAmqp(letter: Letter, lockedUntil?: Date): rhea.Message {
  const bytes = letter.rawBody ?? Buffer.from(JSON.stringify(letter.body), 'utf8');
  return {
    message_id: letter.messageId,
    group_id: letter.sessionId,
    ...(letter.subject !== undefined ? { subject: letter.subject } : {}),
    content_type: 'application/json',
    delivery_count: letter.deliveryCount,
    application_properties: {
      ...letter.applicationProperties,
      DeadLetterReason: letter.reason,
      DeadLetterErrorDescription: letter.description,
    },
    message_annotations: {
      'x-opt-sequence-number': rhea.types.wrap_long(Buffer.from(letter.sequenceNumber.toBytesBE())),
      'x-opt-enqueued-time': letter.enqueuedAt,
      ...(lockedUntil ? { 'x-opt-locked-until': lockedUntil } : {}),
    },
    body: rhea.message.data_section(bytes),
  };
}

/** The credit rhea computed from the client's last flow (a field its typings leave out). */
function creditOf(sender: rhea.Sender): number {
  const { credit } = sender as unknown as { credit?: unknown };
  return typeof credit === 'number' ? credit : 0;
}

/** rhea hands the remote outcome over unwrapped (an outcome object); a disposition needs it described. */
function described(outcome: unknown): unknown {
  if (typeof outcome !== 'object' || outcome === null || !('described' in outcome)) return undefined;
  const describe = outcome.described;
  return typeof describe === 'function' ? describe.call(outcome) : undefined;
}

/** rhea decodes an AMQP long as a number when it fits in 53 bits, else as its 8 big-endian bytes. */
function toLong(value: unknown): Long {
  if (Buffer.isBuffer(value)) return Long.fromBytesBE([...value]);
  if (typeof value === 'number') return Long.fromNumber(value);
  throw new Error(`DeadLetterPeer: from-sequence-number is ${String(value)}`);
}
