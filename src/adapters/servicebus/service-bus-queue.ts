import {
  RetryMode,
  ServiceBusClient,
  type RetryOptions,
  type ServiceBusMessage,
  type ServiceBusSender,
  type TokenCredential,
} from '@azure/service-bus';
import type { QueueSettings } from '../../config/settings';
import { QueueUnavailableError, type CommandQueue, type OutgoingCommand } from '../../ports/queue';
import { DEFAULT_RETRY_AFTER_SECONDS, toQueueUnavailable } from './errors';

export interface ServiceBusCommandQueueOptions {
  queueName: string;
  /** `my-ns.servicebus.windows.net`: used with `credential` (managed identity on Azure). */
  fullyQualifiedNamespace?: string;
  /** Emulators only (`...;UseDevelopmentEmulator=true`). Takes precedence over the namespace. */
  connectionString?: string;
  credential?: TokenCredential;
  /** Overrides of the SDK retry policy (tests use tiny values). */
  retryOptions?: RetryOptions;
}

/**
 * Bounded retries: a 202 waits for Service Bus, so the SDK must give up in seconds, not minutes
 * (its defaults are 3 retries 30 s apart with a 60 s operation timeout). Worst case about 4 x 10 s.
 */
export const DEFAULT_RETRY_OPTIONS: Readonly<RetryOptions> = {
  maxRetries: 3,
  retryDelayInMs: 500,
  maxRetryDelayInMs: 4_000,
  mode: RetryMode.Exponential,
  timeoutInMs: 10_000,
};

/** The wire shape of one command: the consumer (Functions Service Bus trigger) relies on it. */
export function toServiceBusMessage(command: OutgoingCommand): ServiceBusMessage {
  const message: ServiceBusMessage = {
    sessionId: command.sessionId,
    messageId: command.messageId,
    contentType: 'application/json',
    subject: command.body.type,
    body: command.body,
  };
  if (command.applicationProperties !== undefined) {
    message.applicationProperties = { ...command.applicationProperties };
  }
  return message;
}

/**
 * The producer side of the `reservations` queue on Service Bus. One client (one AMQP connection) and
 * one sender link per instance, both created on first use and reused; every SDK failure leaves as a
 * `QueueUnavailableError` (HTTP 503 with Retry-After).
 */
export class ServiceBusCommandQueue implements CommandQueue {
  private client: ServiceBusClient | undefined;
  private sender: ServiceBusSender | undefined;
  private closed = false;
  private closing: Promise<void> | undefined;
  private readonly retryOptions: RetryOptions;

  constructor(private readonly options: ServiceBusCommandQueueOptions) {
    this.retryOptions = checkedRetryOptions('ServiceBusCommandQueue', options);
  }

  get queueName(): string {
    return this.options.queueName;
  }

  async send(messages: readonly OutgoingCommand[]): Promise<void> {
    if (messages.length === 0) return;
    try {
      const sender = this.getSender();
      const scheduled = new Map<number, ServiceBusMessage[]>();
      const immediate: ServiceBusMessage[] = [];
      for (const command of messages) {
        const message = toServiceBusMessage(command);
        const at = command.scheduledEnqueueTime;
        if (at === undefined) {
          immediate.push(message);
          continue;
        }
        const time = at.getTime();
        if (Number.isNaN(time))
          throw new TypeError(`invalid scheduledEnqueueTime for message ${command.messageId}`);
        const group = scheduled.get(time);
        if (group) group.push(message);
        else scheduled.set(time, [message]);
      }
      // Scheduled first: if the immediate send then fails, the worst left behind is a stray ExpireHold,
      // which is a no-op for a hold that does not exist.
      for (const [time, group] of [...scheduled].sort(([a], [b]) => a - b)) {
        await sender.scheduleMessages(group, new Date(time));
      }
      if (immediate.length > 0) await sender.sendMessages(immediate);
    } catch (error) {
      throw toQueueUnavailable(error, 'send');
    }
  }

  /**
   * Readiness: authenticates and attaches the sender link if it is not attached yet (creating a batch
   * needs the link's max message size), without sending anything.
   */
  async ping(): Promise<void> {
    try {
      await this.getSender().createMessageBatch();
    } catch (error) {
      throw toQueueUnavailable(error, 'ping');
    }
  }

  /** Closes the sender link and the connection; safe to call more than once. */
  close(): Promise<void> {
    this.closed = true;
    this.closing ??= (async () => {
      const sender = this.sender;
      const client = this.client;
      this.sender = undefined;
      this.client = undefined;
      // Best effort: shutting down must not fail because the namespace is unreachable.
      await sender?.close().catch(() => undefined);
      await client?.close().catch(() => undefined);
    })();
    return this.closing;
  }

  private getSender(): ServiceBusSender {
    if (this.closed) {
      throw new QueueUnavailableError('the Service Bus command queue is closed', DEFAULT_RETRY_AFTER_SECONDS);
    }
    if (this.sender === undefined || this.sender.isClosed) {
      this.client ??= this.createClient();
      this.sender = this.client.createSender(this.options.queueName);
    }
    return this.sender;
  }

  private createClient(): ServiceBusClient {
    return serviceBusClient(this.options, this.retryOptions);
  }
}

/** Checks the options every Service Bus adapter takes (naming the adapter) and merges its retry policy. */
export function checkedRetryOptions(owner: string, options: ServiceBusCommandQueueOptions): RetryOptions {
  if (!options.queueName) throw new TypeError(`${owner}: queueName is required`);
  if (!options.connectionString && !(options.fullyQualifiedNamespace && options.credential)) {
    throw new TypeError(
      `${owner}: either fullyQualifiedNamespace with a credential or a connection string is required`,
    );
  }
  return { ...DEFAULT_RETRY_OPTIONS, ...options.retryOptions };
}

/** The client the options name: the emulator's connection string, else the namespace with the credential. */
export function serviceBusClient(
  options: ServiceBusCommandQueueOptions,
  retryOptions: RetryOptions,
): ServiceBusClient {
  const clientOptions = { retryOptions };
  const { connectionString, fullyQualifiedNamespace, credential } = options;
  if (connectionString) return new ServiceBusClient(connectionString, clientOptions);
  // Checked with checkedRetryOptions; repeated for the type checker.
  if (!fullyQualifiedNamespace || !credential)
    throw new TypeError('fullyQualifiedNamespace and credential required');
  return new ServiceBusClient(normalizeNamespace(fullyQualifiedNamespace), credential, clientOptions);
}

/** Accepts `my-ns.servicebus.windows.net`, `sb://my-ns.servicebus.windows.net/` or an https URL. */
function normalizeNamespace(value: string): string {
  return value
    .trim()
    .replace(/^[a-z]+:\/\//i, '')
    .replace(/\/+$/, '');
}

export type ServiceBusQueueSettings = Extract<QueueSettings, { kind: 'servicebus' }>;

/**
 * How to reach the namespace, decided once for the sender and the local session receiver: the
 * emulator connection string when one is set, otherwise the namespace with the given credential
 * (on Azure, DefaultAzureCredential honouring AZURE_CLIENT_ID).
 */
export function serviceBusConnection(
  settings: ServiceBusQueueSettings,
  credential?: TokenCredential,
): { connectionString: string } | { fullyQualifiedNamespace: string; credential?: TokenCredential } {
  if (settings.connectionString) return { connectionString: settings.connectionString };
  return {
    fullyQualifiedNamespace: settings.fullyQualifiedNamespace ?? '',
    ...(credential ? { credential } : {}),
  };
}

export function createServiceBusCommandQueue(
  settings: ServiceBusQueueSettings,
  credential?: TokenCredential,
  retryOptions?: RetryOptions,
): ServiceBusCommandQueue {
  return new ServiceBusCommandQueue({
    queueName: settings.queueName,
    ...serviceBusConnection(settings, credential),
    ...(retryOptions ? { retryOptions } : {}),
  });
}
