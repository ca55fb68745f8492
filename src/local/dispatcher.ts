import { InvocationContext } from '@azure/functions';
import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import type { ReceivedMessage, SessionReceiver, SessionSource } from '../ports/sessions';
import type { ServicesProvider } from '../app/services';
import { DEFAULT_TRANSIENT_RETRY } from '../app/transient-retry';
import type { Settings } from '../config/settings';
import { createCommandTrigger, type CommandTrigger } from '../triggers/command-trigger';
import type { LogSink } from './log';

export interface DispatcherOptions {
  /** Sessions processed at once (the host's maxConcurrentSessions). */
  concurrency: number;
  /** Messages handed to the trigger per call: 1 is cardinality 'one'; more is group commit ('many'). */
  batchSize: number;
  lockRenewalMs: number;
  sink: LogSink;
}

/**
 * Plays the Functions host's part for the session trigger: accepts sessions, hands their messages in order
 * to the same trigger handler, completes on return, abandons when the handler throws (redelivery), and
 * dead-letters what the handler marks as poison.
 */
export class Dispatcher {
  private readonly abort = new AbortController();
  private readonly trigger: CommandTrigger;
  private workers: Promise<void>[] = [];

  /** `createTrigger` gets the stop signal, so a handler backing off from an outage gives up when the host stops. */
  constructor(
    private readonly source: SessionSource,
    createTrigger: (shutdown: AbortSignal) => CommandTrigger,
    private readonly options: DispatcherOptions,
  ) {
    this.trigger = createTrigger(this.abort.signal);
  }

  start(): void {
    // Every idle worker waits on the same stop signal.
    setMaxListeners(this.options.concurrency + 10, this.abort.signal);
    this.workers = Array.from({ length: this.options.concurrency }, (_, i) => this.work(i));
  }

  /** Stops taking sessions; the message being handled is finished and settled first. */
  async stop(): Promise<void> {
    this.abort.abort();
    await Promise.all(this.workers);
  }

  private get stopping(): boolean {
    return this.abort.signal.aborted;
  }

  private async work(worker: number): Promise<void> {
    while (!this.stopping) {
      let receiver: SessionReceiver | null = null;
      try {
        receiver = await this.source.acceptNextSession({ timeoutMs: 1000, signal: this.abort.signal });
        if (receiver) await this.drain(receiver);
      } catch (error) {
        this.options.sink('error', { msg: 'dispatcher worker error', worker, error: describe(error) });
        await sleep(200);
      } finally {
        await receiver?.close().catch(() => undefined);
      }
    }
  }

  /** Processes a session until it has nothing deliverable, then releases it (a short session idle timeout). */
  private async drain(receiver: SessionReceiver): Promise<void> {
    const renew = setInterval(() => {
      receiver.renewLock().catch(() => undefined);
    }, this.options.lockRenewalMs);
    let failures = 0;
    try {
      while (!this.stopping) {
        const messages = await receiver.receiveMessages(this.options.batchSize);
        if (messages.length === 0) return;
        const ok = await this.invoke(receiver, messages);
        if (ok) failures = 0;
        else {
          failures += 1;
          // Transient failure: back off before the redelivery instead of spinning on the store.
          await sleep(Math.min(2000, 50 * 2 ** failures));
        }
      }
    } finally {
      clearInterval(renew);
    }
  }

  private async invoke(receiver: SessionReceiver, messages: ReceivedMessage[]): Promise<boolean> {
    const single = this.options.batchSize === 1;
    const first = messages[0];
    if (!first) return true;
    const context = triggerContext(messages, single, this.options.sink);
    try {
      const result = await this.trigger(single ? first.body : messages.map((m) => m.body), context);
      for (const [i, message] of messages.entries()) {
        const settlement = result.settlements[i];
        if (!settlement) {
          await receiver.abandon(message);
          continue;
        }
        switch (settlement.action) {
          case 'complete':
            await receiver.complete(message);
            break;
          case 'deadLetter':
            await receiver.deadLetter(message, settlement.reason, settlement.description);
            break;
        }
      }
      return true;
    } catch (error) {
      this.options.sink('warn', {
        msg: 'handler threw; abandoning for redelivery',
        sessionId: first.sessionId,
        messageIds: messages.map((m) => m.messageId),
        deliveryCount: first.deliveryCount,
        error: describe(error),
      });
      for (const message of messages) await receiver.abandon(message).catch(() => undefined);
      return false;
    }
  }
}

/** The context the Functions host passes a Service Bus session trigger: one message's metadata, or arrays of them. */
function triggerContext(messages: ReceivedMessage[], single: boolean, sink: LogSink): InvocationContext {
  const first = messages[0];
  return new InvocationContext({
    invocationId: randomUUID(),
    functionName: 'processCommands',
    traceContext: {
      traceParent: first?.applicationProperties.traceparent ?? '',
      traceState: first?.applicationProperties.tracestate ?? '',
      attributes: {},
    },
    triggerMetadata:
      single && first
        ? {
            messageId: first.messageId,
            sessionId: first.sessionId,
            deliveryCount: first.deliveryCount,
            enqueuedTimeUtc: first.enqueuedTimeUtc.toISOString(),
            sequenceNumber: first.sequenceNumber,
            applicationProperties: first.applicationProperties,
          }
        : {
            sessionId: first?.sessionId,
            messageIdArray: messages.map((m) => m.messageId),
            sessionIdArray: messages.map((m) => m.sessionId),
            deliveryCountArray: messages.map((m) => m.deliveryCount),
            enqueuedTimeUtcArray: messages.map((m) => m.enqueuedTimeUtc.toISOString()),
            sequenceNumberArray: messages.map((m) => m.sequenceNumber),
          },
    logHandler: (level, ...args) =>
      sink(level, { function: 'processCommands', message: args.map(String).join(' ') }),
  });
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * The one-machine host's dispatcher over a session source, with its one set of defaults: the trigger
 * handler the Functions host would call, the settings' concurrency, batch size, log level and backoff.
 */
export function localDispatcher(
  source: SessionSource,
  services: ServicesProvider,
  settings: Settings,
  sink: LogSink,
): Dispatcher {
  return new Dispatcher(
    source,
    (shutdown) =>
      createCommandTrigger(services, {
        logLevel: settings.logLevel,
        retry: { ...DEFAULT_TRANSIENT_RETRY, budgetMs: settings.transientRetryMs },
        shutdown,
      }),
    {
      concurrency: settings.dispatchConcurrency,
      batchSize: settings.dispatchBatchSize,
      lockRenewalMs: 20_000,
      sink,
    },
  );
}
