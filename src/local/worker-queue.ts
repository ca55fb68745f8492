import type { ScopeMetrics } from '@opentelemetry/sdk-metrics';
import { Worker } from 'node:worker_threads';
import type { DeadLetterAdmin } from '../app/dead-letters';
import type { Settings } from '../config/settings';
import { QueueUnavailableError, type CommandQueue, type OutgoingCommand } from '../ports/queue';
import { InvalidContinuationError } from '../ports/store';
import type { FromWorker, ToWorker, WorkerAnswer, WorkerData } from './worker-protocol';

/**
 * The command queue as the main thread sees it when the consumer runs on its own thread: a send
 * resolves when the consumer thread has committed and fsynced it, exactly like the embedded queue.
 */
export class WorkerQueue implements CommandQueue {
  private readonly pending = new Map<
    number,
    { resolve: (value: WorkerAnswer | undefined) => void; reject: (error: Error) => void }
  >();
  private nextId = 1;
  private stopped: Promise<void> | undefined;
  private failure: Error | undefined;

  private constructor(
    private readonly worker: Worker,
    private readonly onFailure: (error: Error) => void,
  ) {
    worker.on('message', (message: FromWorker) => {
      if (message.kind !== 'reply') return;
      const waiter = this.pending.get(message.id);
      if (!waiter) return;
      this.pending.delete(message.id);
      if (message.ok) waiter.resolve(message.value);
      else if (message.invalidContinuation) waiter.reject(new InvalidContinuationError());
      else
        waiter.reject(
          new QueueUnavailableError(message.error, message.retryAfterSeconds, { outcome: message.outcome }),
        );
    });
    worker.on('error', (error) => this.fail(error));
    worker.on('exit', (code) => this.fail(new Error(`the consumer thread exited with code ${code}`)));
  }

  /** Starts the consumer thread from its compiled script and waits until it is serving. */
  static async start(
    script: string,
    settings: Settings,
    onFailure: (error: Error) => void,
  ): Promise<WorkerQueue> {
    const data: WorkerData = { settings };
    const worker = new Worker(script, { workerData: data });
    await new Promise<void>((resolve, reject) => {
      const onMessage = (message: FromWorker) => {
        if (message.kind === 'ready') resolve();
        if (message.kind === 'failed')
          reject(new Error(`the consumer thread failed to start: ${message.error}`));
      };
      worker.on('message', onMessage);
      worker.once('error', reject);
    });
    return new WorkerQueue(worker, onFailure);
  }

  send(messages: readonly OutgoingCommand[]): Promise<void> {
    return this.request({ kind: 'send', id: 0, messages: [...messages] }).then(() => undefined);
  }

  ping(): Promise<void> {
    return this.request({ kind: 'ping', id: 0 }).then(() => undefined);
  }

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

  /** A request whose answer must be of `kind`. */
  private async ask<K extends WorkerAnswer['kind']>(
    message: ToWorker,
    kind: K,
  ): Promise<Extract<WorkerAnswer, { kind: K }>> {
    const answer = await this.request(message);
    if (!isAnswer(answer, kind)) throw new Error('the consumer thread answered out of turn');
    return answer;
  }

  /** Stops the dispatcher after its in-flight work, closes the consumer's databases, ends the thread. */
  close(): Promise<void> {
    this.stopped ??= this.request({ kind: 'stop', id: 0 })
      .catch(() => undefined)
      .then(() => this.worker.terminate())
      .then(() => undefined);
    return this.stopped;
  }

  private request(message: ToWorker): Promise<WorkerAnswer | undefined> {
    if (this.failure) return Promise.reject(new QueueUnavailableError(this.failure.message));
    if (this.stopped && message.kind !== 'stop')
      return Promise.reject(new QueueUnavailableError('the queue is closed'));
    const id = this.nextId++;
    return new Promise<WorkerAnswer | undefined>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...message, id });
    });
  }

  private fail(error: Error): void {
    // An exit we asked for is not a failure.
    if (!this.failure && !this.stopped) this.onFailure(error);
    this.failure ??= error;
    // The thread may have committed a send it could not answer: its outcome is unknown.
    for (const waiter of this.pending.values())
      waiter.reject(new QueueUnavailableError(error.message, 5, { outcome: 'unknown' }));
    this.pending.clear();
  }
}

function isAnswer<K extends WorkerAnswer['kind']>(
  answer: WorkerAnswer | undefined,
  kind: K,
): answer is Extract<WorkerAnswer, { kind: K }> {
  return answer?.kind === kind;
}
