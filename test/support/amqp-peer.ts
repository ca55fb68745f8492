import type { Server, Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { RetryOptions } from '@azure/service-bus';
import rhea = require('rhea');

/**
 * A tiny AMQP 1.0 peer that plays the Service Bus broker for the producer side of `@azure/service-bus`,
 * built with `rhea` (the SDK's own AMQP library). It speaks plain TCP like the Service Bus emulator
 * (`UseDevelopmentEmulator=true` makes the SDK use TCP without TLS, on the port in the endpoint) and:
 *
 * - answers CBS put-token requests on `$cbs` (status-code 202);
 * - answers `com.microsoft:schedule-message` on `<queue>/$management` (status-code 200 with `sequence-numbers`),
 *   decoding the messages embedded in the request;
 * - grants link credit on the queue's sender link, settles transfers and records them, unpacking batches
 *   (message format 0x80013700: one data section per encoded message);
 * - refuses on demand: rejects transfers or schedule requests with an AMQP error, and refuses links to unknown
 *   entities with `amqp:not-found` like Service Bus does;
 * - answers the further management operations its options name, and lets them add container handlers
 *   (test/support/amqp-dead-letter-peer.ts plays a dead-letter sub-queue that way).
 */

/** A decoded AMQP message: its sections as properties (`message_id`, `group_id`, `message_annotations`, `body`...). */
export type DecodedMessage = rhea.Message;

/** `rhea.message.decode`, typed like the messages rhea hands to event handlers. */
export function decode(buffer: Buffer): DecodedMessage {
  return rhea.message.decode(buffer) as unknown as DecodedMessage;
}

/** SDK retries for clients of the peer: small, so refusals fail fast; a retryable refusal is retried once. */
export const FAST_RETRIES: RetryOptions = {
  maxRetries: 1,
  retryDelayInMs: 20,
  maxRetryDelayInMs: 50,
  timeoutInMs: 3_000,
};

/** A W3C trace parent the tests send and expect to find on the messages. */
export const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

export const BATCH_MESSAGE_FORMAT = 0x80013700;
const SCHEDULE_MESSAGE = 'com.microsoft:schedule-message';

export interface AmqpErrorSpec {
  condition: string;
  description: string;
}

export interface RecordedMessage {
  /** The link target address (queue name). */
  address: string;
  /** True when it arrived inside a batch transfer. */
  batched: boolean;
  message: DecodedMessage;
}

export interface RecordedSchedule {
  address: string;
  /** Each entry's `message` buffer decoded; the entry's `message-id` and `session-id` alongside. */
  entries: { messageId: unknown; sessionId: unknown; message: DecodedMessage }[];
}

export interface RecordedToken {
  audience: string;
  tokenType: string;
}

/** Everything the peer saw, in arrival order ('transfer' and 'schedule' interleave as they came). */
export type PeerEvent =
  | { kind: 'attach'; role: 'sender' | 'receiver'; address: string | undefined }
  | { kind: 'put-token'; token: RecordedToken }
  | { kind: 'schedule'; schedule: RecordedSchedule }
  | { kind: 'transfer'; messages: RecordedMessage[] }
  | { kind: 'rejected'; messages: RecordedMessage[] };

/** Answers one management operation: the reply's application properties and body. */
export type ManagementOperation = (
  request: DecodedMessage,
  address: string,
) => { applicationProperties: Record<string, unknown>; body?: unknown };

export interface AmqpPeerOptions {
  /** Entities that exist; links to any other address are refused with `amqp:not-found`. */
  queues: string[];
  /** Management operations besides schedule-message, by name (test/support/amqp-dead-letter-peer.ts). */
  managementOperations?: Readonly<Record<string, ManagementOperation>>;
  /** Adds container handlers for events the base peer ignores (deliveries to client receivers, dispositions). */
  extend?: (container: rhea.Container) => void;
}

export class AmqpPeer {
  readonly events: PeerEvent[] = [];
  /** Errors raised on the peer's side; a test asserts there are none it did not provoke. */
  readonly errors: unknown[] = [];
  /** When set, transfers to a queue are rejected with this error instead of accepted. */
  rejectTransfersWith: AmqpErrorSpec | undefined;
  /** When set, management requests are answered with this failure instead of 200. */
  failManagementWith: { statusCode: number; condition: string; description: string } | undefined;

  private readonly sockets = new Set<Socket>();
  private readonly connections = new Set<rhea.Connection>();
  private nextSequenceNumber = 1;
  private managementOperations: Readonly<Record<string, ManagementOperation>> = {};

  private constructor(
    private readonly server: Server,
    readonly port: number,
    private readonly queues: ReadonlySet<string>,
  ) {}

  static async start(options: AmqpPeerOptions): Promise<AmqpPeer> {
    const container = rhea.create_container({ id: 'amqp-peer', autoaccept: false });
    const server = container.listen({ port: 0, host: '127.0.0.1' });
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve);
      server.once('error', reject);
    });
    const peer = new AmqpPeer(server, (server.address() as AddressInfo).port, new Set(options.queues));
    peer.managementOperations = options.managementOperations ?? {};
    server.on('connection', (socket: Socket) => {
      peer.sockets.add(socket);
      socket.on('close', () => peer.sockets.delete(socket));
    });
    container.on('connection_open', (context: rhea.EventContext) => peer.connections.add(context.connection));
    container.on('connection_close', (context: rhea.EventContext) =>
      peer.connections.delete(context.connection),
    );
    container.on('disconnected', (context: rhea.EventContext) => peer.connections.delete(context.connection));
    // Errors (a client that vanished mid-link, a bug in a handler) are recorded, not thrown at the socket.
    container.on('error', (error: unknown) => peer.errors.push(error));
    container.on('sender_open', (context: rhea.EventContext) => peer.onSenderOpen(context));
    container.on('receiver_open', (context: rhea.EventContext) => peer.onReceiverOpen(context));
    container.on('message', (context: rhea.EventContext) => peer.onMessage(context));
    options.extend?.(container);
    return peer;
  }

  /** The emulator-style connection string the SDK accepts for this peer. */
  connectionString(): string {
    return (
      `Endpoint=sb://127.0.0.1:${this.port};SharedAccessKeyName=RootManageSharedAccessKey;` +
      'SharedAccessKey=SAS_KEY_VALUE;UseDevelopmentEmulator=true'
    );
  }

  get transfers(): RecordedMessage[] {
    return this.events.flatMap((e) => (e.kind === 'transfer' ? e.messages : []));
  }

  get schedules(): RecordedSchedule[] {
    return this.events.flatMap((e) => (e.kind === 'schedule' ? [e.schedule] : []));
  }

  get tokens(): RecordedToken[] {
    return this.events.flatMap((e) => (e.kind === 'put-token' ? [e.token] : []));
  }

  reset(): void {
    this.events.length = 0;
    this.errors.length = 0;
    this.rejectTransfersWith = undefined;
    this.failManagementWith = undefined;
  }

  /** Stops listening and drops every connection (the clients should have closed theirs already). */
  async close(): Promise<void> {
    for (const connection of this.connections) {
      try {
        connection.close();
      } catch {
        // already gone
      }
    }
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    // Give the close frames a moment, then cut whatever is left so the server can finish closing.
    await new Promise((resolve) => setTimeout(resolve, 20));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  /** A client receiver attached (the reply side of $cbs or $management): mirror its terminus. */
  private onSenderOpen(context: rhea.EventContext): void {
    const sender = context.sender;
    if (!sender) return;
    const source = sender.source as { address?: string } | undefined;
    const target = sender.target as { address?: string } | undefined;
    this.events.push({ kind: 'attach', role: 'sender', address: source?.address });
    if (source?.address !== undefined) sender.set_source({ address: source.address });
    if (target?.address !== undefined) sender.set_target({ address: target.address });
  }

  /** A client sender attached: $cbs, <queue>/$management or <queue>. Unknown entities are refused. */
  private onReceiverOpen(context: rhea.EventContext): void {
    const receiver = context.receiver;
    if (!receiver) return;
    const address = (receiver.target as { address?: string } | undefined)?.address;
    this.events.push({ kind: 'attach', role: 'receiver', address });
    const entity = address?.replace(/\/\$management$/, '');
    if (address !== '$cbs' && (entity === undefined || !this.queues.has(entity))) {
      // Like Service Bus: answer the attach without a target, then detach with the error.
      receiver.close({
        condition: 'amqp:not-found',
        description: `The messaging entity 'sb://127.0.0.1/${address ?? ''}' could not be found.`,
      });
      return;
    }
    const source = receiver.source as { address?: string } | undefined;
    if (source?.address !== undefined) receiver.set_source({ address: source.address });
    if (address !== undefined) receiver.set_target({ address });
    // The SDK sizes its batches from the max message size the broker announces on attach.
    (
      receiver as unknown as { local: { attach: { max_message_size: number } } }
    ).local.attach.max_message_size = 256 * 1024;
  }

  private onMessage(context: rhea.EventContext): void {
    const { receiver, delivery } = context;
    if (!receiver || !delivery) return;
    const address = (receiver.target as { address?: string } | undefined)?.address ?? '';
    if (address === '$cbs') return this.onCbs(context);
    if (address.endsWith('/$management')) return this.onManagement(context, address);
    const format = (context as { format?: number }).format;
    const messages =
      format === BATCH_MESSAGE_FORMAT
        ? unpackBatch(context.message as unknown as Buffer).map((message) => ({
            address,
            batched: true,
            message,
          }))
        : [{ address, batched: false, message: context.message as DecodedMessage }];
    if (this.rejectTransfersWith) {
      this.events.push({ kind: 'rejected', messages });
      delivery.reject(this.rejectTransfersWith);
      return;
    }
    this.events.push({ kind: 'transfer', messages });
    delivery.accept();
  }

  private onCbs(context: rhea.EventContext): void {
    const request = context.message as DecodedMessage;
    context.delivery?.accept();
    const props = (request.application_properties ?? {}) as Record<string, unknown>;
    if (props.operation === 'put-token') {
      this.events.push({
        kind: 'put-token',
        token: { audience: String(props.name), tokenType: String(props.type) },
      });
    }
    this.reply(context, request, { 'status-code': 202, 'status-description': 'Accepted' });
  }

  private onManagement(context: rhea.EventContext, address: string): void {
    const request = context.message as DecodedMessage;
    context.delivery?.accept();
    const props = (request.application_properties ?? {}) as Record<string, unknown>;
    if (this.failManagementWith) {
      const { statusCode, condition, description } = this.failManagementWith;
      this.reply(context, request, {
        'status-code': statusCode,
        'status-description': description,
        'error-condition': condition,
      });
      return;
    }
    const operation = this.managementOperations[String(props.operation)];
    if (operation) {
      const { applicationProperties, body } = operation(request, address);
      this.reply(context, request, applicationProperties, body);
      return;
    }
    if (props.operation !== SCHEDULE_MESSAGE) {
      this.reply(context, request, {
        'status-code': 501,
        'status-description': `operation ${String(props.operation)} is not implemented by the test peer`,
      });
      return;
    }
    const body = request.body as { messages?: Record<string, unknown>[] };
    const entries = (body.messages ?? []).map((entry) => ({
      messageId: entry['message-id'],
      sessionId: entry['session-id'],
      message: decode(entry.message as Buffer),
    }));
    this.events.push({ kind: 'schedule', schedule: { address, entries } });
    const sequenceNumbers = entries.map(() => this.nextSequenceNumber++);
    this.reply(
      context,
      request,
      { 'status-code': 200, 'status-description': 'OK' },
      { 'sequence-numbers': rhea.types.wrap_array(sequenceNumbers, 0x81, undefined) },
    );
  }

  /** Responses go back on the reply link: the peer sender on the same session as the request link. */
  private reply(
    context: rhea.EventContext,
    request: DecodedMessage,
    applicationProperties: Record<string, unknown>,
    body?: unknown,
  ): void {
    const session = context.session as unknown as { links: Record<string, rhea.Sender | rhea.Receiver> };
    const replyLink = Object.values(session.links).find((link) => link.is_sender()) as
      rhea.Sender | undefined;
    if (!replyLink) throw new Error('amqp-peer: no reply link on the request session');
    replyLink.send({
      ...(request.reply_to !== undefined ? { to: request.reply_to } : {}),
      ...(request.message_id !== undefined ? { correlation_id: request.message_id } : {}),
      application_properties: applicationProperties,
      body: body ?? null,
    });
  }
}

/** A batch transfer is an envelope whose body is one data section per encoded message. */
export function unpackBatch(buffer: Buffer): DecodedMessage[] {
  const envelope = decode(buffer);
  const body = envelope.body as { content: Buffer | Buffer[]; multiple?: boolean } | undefined;
  if (!body) return [];
  const sections = body.multiple ? (body.content as Buffer[]) : [body.content as Buffer];
  return sections.map((section) => decode(section));
}

/** The JSON body of a message the SDK encoded (a single data section holding UTF-8 JSON). */
export function jsonBody(message: DecodedMessage): unknown {
  const body = message.body as { content?: Buffer; typecode?: number } | Buffer | undefined;
  const bytes = Buffer.isBuffer(body) ? body : body?.content;
  if (!Buffer.isBuffer(bytes))
    throw new Error(`amqp-peer: expected a data section body, got ${JSON.stringify(body)}`);
  return JSON.parse(bytes.toString('utf8'));
}
