import { Worker, type TransferListItem } from 'node:worker_threads';
import { QueueUnavailableError } from '../ports/queue';
import { batched, errorOf, type FromWorker, type Reply, type WorkerAnswer } from './worker-protocol';

/**
 * The main thread's end of one of the host's worker threads: requests by id, each answered once; if the
 * thread dies, every request in flight fails with an unknown outcome (it may have committed a send it
 * could not answer) and `onFailure` hears of it, unless the exit was asked for.
 */
export class WorkerLink<M extends { kind: string; id: number }> {
  private readonly pending = new Map<
    number,
    { resolve: (value: WorkerAnswer | undefined) => void; reject: (error: Error) => void }
  >();
  private nextId = 1;
  /** Requests of this turn of the event loop, posted together (worker-protocol.ts). */
  private readonly post: (message: M) => void;
  private stopped: Promise<void> | undefined;
  private failure: Error | undefined;

  private constructor(
    private readonly worker: Worker,
    readonly name: string,
    private readonly onFailure: (error: Error) => void,
  ) {
    this.post = batched<M>((messages) => {
      try {
        this.worker.postMessage(messages);
      } catch (error) {
        // Not posted (a value that cannot be cloned): the thread never saw these requests.
        const refused = new QueueUnavailableError(`the ${name} thread was not asked: ${String(error)}`, 5, {
          outcome: 'not-accepted',
        });
        for (const message of messages) this.settleWith(message.id, refused);
      }
    });
    worker.on('message', (message: FromWorker) => {
      if (message.kind === 'replies') for (const reply of message.replies) this.settle(reply);
    });
    worker.on('error', (error) => this.fail(error));
    worker.on('exit', (code) => this.fail(new Error(`the ${name} thread exited with code ${code}`)));
  }

  /** Starts a thread from its compiled script and waits until it is serving. */
  static async start<M extends { kind: string; id: number }>(
    script: string,
    name: string,
    data: { workerData: unknown; transferList: readonly TransferListItem[] },
    onFailure: (error: Error) => void,
  ): Promise<WorkerLink<M>> {
    const worker = new Worker(script, { workerData: data.workerData, transferList: [...data.transferList] });
    await new Promise<void>((resolve, reject) => {
      const onMessage = (message: FromWorker) => {
        if (message.kind === 'ready') settle();
        if (message.kind === 'failed')
          settle(new Error(`the ${name} thread failed to start: ${message.error}`));
      };
      const onExit = (code: number) => settle(new Error(`the ${name} thread exited with code ${code}`));
      const settle = (error?: Error) => {
        worker.off('message', onMessage).off('error', settle).off('exit', onExit);
        if (error) reject(error);
        else resolve();
      };
      worker.on('message', onMessage).on('error', settle).on('exit', onExit);
    });
    return new WorkerLink<M>(worker, name, onFailure);
  }

  /** Sends `message` under a fresh id; resolves with the thread's answer. */
  request(message: M): Promise<WorkerAnswer | undefined> {
    if (this.failure) return Promise.reject(new QueueUnavailableError(this.failure.message));
    if (this.stopped && message.kind !== 'stop')
      return Promise.reject(new QueueUnavailableError(`the ${this.name} thread is stopped`));
    const id = this.nextId++;
    return new Promise<WorkerAnswer | undefined>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.post({ ...message, id });
    });
  }

  /** Asks the thread to stop (it finishes its work and closes its files), then ends it. */
  stop(message: M): Promise<void> {
    this.stopped ??= this.request(message)
      .catch(() => undefined)
      .then(() => this.worker.terminate())
      .then(() => undefined);
    return this.stopped;
  }

  private settle(reply: Reply): void {
    const waiter = this.pending.get(reply.id);
    if (!waiter) return;
    this.pending.delete(reply.id);
    if (reply.ok) waiter.resolve(reply.value);
    else waiter.reject(errorOf(reply));
  }

  private settleWith(id: number, error: Error): void {
    this.pending.get(id)?.reject(error);
    this.pending.delete(id);
  }

  private fail(error: Error): void {
    // An exit we asked for is not a failure.
    if (!this.failure && !this.stopped) this.onFailure(error);
    this.failure ??= error;
    for (const waiter of this.pending.values())
      waiter.reject(new QueueUnavailableError(error.message, 5, { outcome: 'unknown' }));
    this.pending.clear();
  }
}
