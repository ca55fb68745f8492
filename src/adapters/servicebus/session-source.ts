import {
  ServiceBusClient,
  type ServiceBusReceivedMessage,
  type ServiceBusSessionReceiver,
  type TokenCredential,
} from '@azure/service-bus';
import type { ReceivedMessage, SessionReceiver } from '../../ports/sessions';

/**
 * Lets the one-machine dispatcher consume a real Service Bus queue (running locally against deployed
 * resources), with the same session semantics the Functions host uses: one session receiver per
 * session, peek-lock, complete/abandon/dead-letter.
 */
export class ServiceBusSessionSource {
  private readonly client: ServiceBusClient;
  private readonly queueName: string;

  constructor(options: {
    queueName: string;
    fullyQualifiedNamespace?: string;
    connectionString?: string;
    credential?: TokenCredential;
  }) {
    this.queueName = options.queueName;
    if (options.connectionString) this.client = new ServiceBusClient(options.connectionString);
    else if (options.fullyQualifiedNamespace && options.credential) {
      this.client = new ServiceBusClient(options.fullyQualifiedNamespace, options.credential);
    } else
      throw new TypeError('a Service Bus connection string, or a namespace and a credential, is required');
  }

  async acceptNextSession(
    options: { timeoutMs?: number; signal?: AbortSignal } = {},
  ): Promise<SessionReceiver | null> {
    if (options.signal?.aborted) return null;
    try {
      const receiver = await this.client.acceptNextSession(this.queueName, {
        receiveMode: 'peekLock',
        maxAutoLockRenewalDurationInMs: 5 * 60_000,
        ...(options.signal ? { abortSignal: options.signal } : {}),
      });
      return new ServiceBusSessionAdapter(receiver);
    } catch (error) {
      // No session became available within the SDK's wait: not an error for a polling consumer.
      if (
        (error as { code?: string }).code === 'SessionCannotBeLocked' ||
        (error as { name?: string }).name === 'AbortError'
      ) {
        return null;
      }
      if ((error as { code?: string }).code === 'ServiceTimeout') return null;
      throw error;
    }
  }

  close(): Promise<void> {
    return this.client.close();
  }
}

class ServiceBusSessionAdapter implements SessionReceiver {
  private readonly raw = new Map<string, ServiceBusReceivedMessage>();

  constructor(private readonly receiver: ServiceBusSessionReceiver) {}

  get sessionId(): string {
    return this.receiver.sessionId;
  }

  lockedUntil(): Date {
    return this.receiver.sessionLockedUntilUtc ?? new Date(0);
  }

  async receiveMessages(max: number): Promise<ReceivedMessage[]> {
    const messages = await this.receiver.receiveMessages(max, { maxWaitTimeInMs: 1000 });
    return messages.map((m) => {
      const lockToken = m.lockToken ?? String(m.sequenceNumber);
      this.raw.set(lockToken, m);
      const properties: Record<string, string> = {};
      for (const [k, v] of Object.entries(m.applicationProperties ?? {})) properties[k] = String(v);
      return {
        messageId: String(m.messageId ?? ''),
        sessionId: m.sessionId ?? this.sessionId,
        body: m.body as unknown,
        subject: m.subject,
        applicationProperties: properties,
        deliveryCount: m.deliveryCount ?? 1,
        enqueuedTimeUtc: m.enqueuedTimeUtc ?? new Date(),
        sequenceNumber: Number(m.sequenceNumber?.toString() ?? 0),
        lockToken,
      };
    });
  }

  complete(message: ReceivedMessage): Promise<void> {
    return this.settle(message, (m) => this.receiver.completeMessage(m));
  }

  abandon(message: ReceivedMessage): Promise<void> {
    return this.settle(message, (m) => this.receiver.abandonMessage(m));
  }

  deadLetter(message: ReceivedMessage, reason: string, description = ''): Promise<void> {
    return this.settle(message, (m) =>
      this.receiver.deadLetterMessage(m, {
        deadLetterReason: reason,
        deadLetterErrorDescription: description,
      }),
    );
  }

  async renewLock(): Promise<Date> {
    return this.receiver.renewSessionLock();
  }

  close(): Promise<void> {
    return this.receiver.close();
  }

  private async settle(
    message: ReceivedMessage,
    action: (m: ServiceBusReceivedMessage) => Promise<void>,
  ): Promise<void> {
    const raw = this.raw.get(message.lockToken);
    if (!raw) throw new Error(`message ${message.messageId} is not held by this receiver`);
    await action(raw);
    this.raw.delete(message.lockToken);
  }
}
