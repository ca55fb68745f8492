import type { ScopeMetrics } from '@opentelemetry/sdk-metrics';
import { MessageChannel } from 'node:worker_threads';
import type { DeadLetterAdmin } from '../app/dead-letters';
import type { Settings } from '../config/settings';
import type { CommandQueue, OutgoingCommand } from '../ports/queue';
import type { StoreWrites } from './split-store';
import { WorkerLink } from './worker-link';
import type {
  AcceptorData,
  ConsumerData,
  StoreWrite,
  ToAcceptor,
  ToConsumer,
  WorkerAnswer,
} from './worker-protocol';

/** The compiled scripts of the host's two worker threads. */
export interface WorkerScripts {
  consumer: string;
  acceptor: string;
}

/**
 * The command queue as the main thread sees it when the queue runs on worker threads: a send goes to the
 * accept thread and resolves once it has committed and fsynced it, exactly like the embedded queue; the
 * consumer thread delivers, decides, and holds the dead letters and the decision metrics.
 */
export class WorkerQueue implements CommandQueue {
  private constructor(
    private readonly consumer: WorkerLink<ToConsumer>,
    private readonly acceptor: WorkerLink<ToAcceptor>,
  ) {}

  /**
   * Starts the consumer thread, then the accept thread: the consumer has loaded what the file holds before
   * anything new is committed, and hears of every later commit through the channel between the two.
   */
  static async start(
    scripts: WorkerScripts,
    settings: Settings,
    onFailure: (error: Error) => void,
  ): Promise<WorkerQueue> {
    const { port1, port2 } = new MessageChannel();
    // Both threads write both files: they take turns through these (write-gate.ts).
    const gates = { store: new SharedArrayBuffer(8), queue: new SharedArrayBuffer(8) };
    const consumerData: ConsumerData = { settings, gates, accepts: port1 };
    const consumer = await WorkerLink.start<ToConsumer>(
      scripts.consumer,
      'consumer',
      { workerData: consumerData, transferList: [port1] },
      onFailure,
    );
    try {
      const acceptorData: AcceptorData = { settings, gates, consumer: port2 };
      const acceptor = await WorkerLink.start<ToAcceptor>(
        scripts.acceptor,
        'accept',
        { workerData: acceptorData, transferList: [port2] },
        onFailure,
      );
      return new WorkerQueue(consumer, acceptor);
    } catch (error) {
      await consumer.stop({ kind: 'stop', id: 0 });
      throw error;
    }
  }

  send(messages: readonly OutgoingCommand[]): Promise<void> {
    return this.acceptor.request({ kind: 'send', id: 0, messages: [...messages] }).then(() => undefined);
  }

  async ping(): Promise<void> {
    await Promise.all([
      this.acceptor.request({ kind: 'ping', id: 0 }),
      this.consumer.request({ kind: 'ping', id: 0 }),
    ]);
  }

  /** The store writes of HTTP requests, made on the accept thread's connection (accept-worker.ts). */
  readonly storeWrites: StoreWrites = {
    create: async (partitionKey, doc) =>
      (await this.write({ op: 'create', partitionKey, doc }, 'write')).result,
    replace: async (partitionKey, doc, ifMatch) =>
      (
        await this.write(
          { op: 'replace', partitionKey, doc, ...(ifMatch !== undefined ? { ifMatch } : {}) },
          'write',
        )
      ).result,
    batch: async (partitionKey, operations) =>
      (await this.write({ op: 'batch', partitionKey, operations: [...operations] }, 'batch')).result,
    sync: async () => {
      await this.acceptor.request({ kind: 'store-write', id: 0, write: { op: 'sync' } });
    },
  };

  /** The consumer thread's collected metrics (decisions, conflicts, backlog, ...). */
  async metrics(): Promise<ScopeMetrics[]> {
    return (await this.ask({ kind: 'metrics', id: 0 }, 'metrics')).scopeMetrics;
  }

  /** Failed commands, as the consumer thread's queue holds them: listed and resubmitted there. */
  readonly deadLetters: DeadLetterAdmin = {
    list: async (page) => {
      const { items, continuation } = await this.ask(
        { kind: 'list-dead-letters', id: 0, page },
        'dead-letters',
      );
      return { items, continuation };
    },
    resubmit: async (messageId) =>
      (await this.ask({ kind: 'resubmit-dead-letter', id: 0, messageId }, 'resubmit')).result,
    discard: async (messageId) =>
      (await this.ask({ kind: 'discard-dead-letter', id: 0, messageId }, 'discard')).result,
  };

  /**
   * Stops accepting first (sends already queued are committed and handed over), then stops the dispatcher
   * after its in-flight work and closes the consumer's databases.
   */
  async close(): Promise<void> {
    await this.acceptor.stop({ kind: 'stop', id: 0 });
    await this.consumer.stop({ kind: 'stop', id: 0 });
  }

  private write<K extends 'write' | 'batch'>(write: StoreWrite, kind: K) {
    return answerOf(this.acceptor, { kind: 'store-write', id: 0, write }, kind);
  }

  private ask<K extends WorkerAnswer['kind']>(message: ToConsumer, kind: K) {
    return answerOf(this.consumer, message, kind);
  }
}

/** A request of a thread whose answer must be of `kind`. */
async function answerOf<M extends { kind: string; id: number }, K extends WorkerAnswer['kind']>(
  link: WorkerLink<M>,
  message: M,
  kind: K,
): Promise<Extract<WorkerAnswer, { kind: K }>> {
  const answer = await link.request(message);
  if (!isAnswer(answer, kind)) throw new Error(`the ${link.name} thread answered out of turn`);
  return answer;
}

function isAnswer<K extends WorkerAnswer['kind']>(
  answer: WorkerAnswer | undefined,
  kind: K,
): answer is Extract<WorkerAnswer, { kind: K }> {
  return answer?.kind === kind;
}
