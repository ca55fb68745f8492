import { ItemCache } from '../../src/app/item-cache';
import { processCommands } from '../../src/app/process-commands';
import type { Clock } from '../../src/ports/clock';
import type { DocumentStore } from '../../src/ports/store';
import { Feeder, type FeederLimits, type Pending } from './feeder';
import type { Workload } from './workload';

export interface OrderedMode {
  kind: 'ordered';
  /** 0: no cache, every call reads the item. */
  cacheCapacity: number;
  /** Commands of one session handed to one processCommands call (1: one message per commit). */
  groupSize: number;
}

/**
 * Per-item FIFO queues with one holder per item at a time, like Service Bus sessions: a worker takes the
 * next ready item, removes up to k of its commands, and releases the item after its call, putting it at
 * the back of the ready list if more commands arrived meanwhile (no idle wait, no lock-renewal cost).
 */
export class SessionBoard {
  private readonly queues = new Map<string, Pending[]>();
  private readonly ready: string[] = [];
  private readyHead = 0;
  private readonly readySet = new Set<string>();
  private readonly locked = new Set<string>();
  private waiters: (() => void)[] = [];
  private closed = false;

  push(pending: Pending): void {
    const id = pending.command.inventoryId;
    let queue = this.queues.get(id);
    if (!queue) {
      queue = [];
      this.queues.set(id, queue);
    }
    queue.push(pending);
    this.markReady(id);
  }

  /** The next session with commands, locked for the caller; null once the board is closed. */
  async take(k: number): Promise<{ inventoryId: string; batch: Pending[] } | null> {
    for (;;) {
      if (this.closed) return null;
      if (this.readyHead < this.ready.length) {
        const id = this.ready[this.readyHead] as string;
        this.readyHead += 1;
        if (this.readyHead > 4096 && this.readyHead * 2 > this.ready.length) {
          this.ready.splice(0, this.readyHead);
          this.readyHead = 0;
        }
        this.readySet.delete(id);
        const queue = this.queues.get(id) ?? [];
        this.locked.add(id);
        return { inventoryId: id, batch: queue.splice(0, k) };
      }
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  release(inventoryId: string): void {
    this.locked.delete(inventoryId);
    if ((this.queues.get(inventoryId)?.length ?? 0) > 0) this.markReady(inventoryId);
  }

  close(): void {
    this.closed = true;
    this.wakeAll();
  }

  private markReady(id: string): void {
    if (this.locked.has(id) || this.readySet.has(id)) return;
    this.readySet.add(id);
    this.ready.push(id);
    const waiter = this.waiters.shift();
    waiter?.();
  }

  private wakeAll(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter();
  }
}

export interface RunDeps {
  store: DocumentStore;
  clock: Clock;
  workload: Workload;
  limits: FeederLimits;
}

/** The session-ordered consumer: S workers, each processing one session's next k commands at a time. */
export async function runOrdered(deps: RunDeps, mode: OrderedMode, sessions: number): Promise<Feeder> {
  const board = new SessionBoard();
  const feeder = new Feeder(deps.workload, deps.clock, deps.limits, (p) => board.push(p));
  feeder.onStop(() => board.close());
  const cache = new ItemCache(mode.cacheCapacity);
  const processor = { store: deps.store, clock: deps.clock, cache };

  const worker = async (): Promise<void> => {
    for (;;) {
      const work = await board.take(mode.groupSize);
      if (!work) return;
      try {
        if (work.batch.length === 0) continue;
        const commands = work.batch.map((p) => p.command);
        await processCommands(work.inventoryId, commands, processor, {
          onCommitted: (indexes, outcomes) => {
            const at = performance.now();
            indexes.forEach((index, i) => {
              const pending = work.batch[index];
              const outcome = outcomes[i];
              if (pending && outcome) feeder.settle(pending, outcome.status, outcome.reason, at);
            });
          },
        });
      } finally {
        board.release(work.inventoryId);
      }
    }
  };

  feeder.start();
  const workers = Array.from({ length: sessions }, () => worker());
  try {
    await Promise.all(workers);
  } finally {
    feeder.stop();
  }
  return feeder;
}
