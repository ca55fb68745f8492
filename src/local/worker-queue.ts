import { Worker } from 'node:worker_threads';
import type { Settings } from '../config/settings';
import { QueueUnavailableError, type CommandQueue, type OutgoingCommand } from '../ports/queue';
import type { FromWorker, ToWorker, WorkerData } from './worker-protocol';

/**
 * The command queue as the main thread sees it when the consumer runs on its own thread: a send
 * resolves when the consumer thread has committed and fsynced it, exactly like the embedded queue.
 */
export class WorkerQueue implements CommandQueue {
  private readonly pending = new Map<number, { resolve: () => void; reject: (error: Error) => void }>();
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
      if (message.ok) waiter.resolve();
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
    return this.request({ kind: 'send', id: 0, messages: [...messages] });
  }

  ping(): Promise<void> {
    return this.request({ kind: 'ping', id: 0 });
  }

  /** Stops the dispatcher after its in-flight work, closes the consumer's databases, ends the thread. */
  close(): Promise<void> {
    this.stopped ??= this.request({ kind: 'stop', id: 0 })
      .catch(() => undefined)
      .then(() => this.worker.terminate())
      .then(() => undefined);
    return this.stopped;
  }

  private request(message: ToWorker): Promise<void> {
    if (this.failure) return Promise.reject(new QueueUnavailableError(this.failure.message));
    if (this.stopped && message.kind !== 'stop')
      return Promise.reject(new QueueUnavailableError('the queue is closed'));
    const id = this.nextId++;
    return new Promise<void>((resolve, reject) => {
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
