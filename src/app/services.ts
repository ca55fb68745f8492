import type { Clock } from '../ports/clock';
import type { CommandQueue } from '../ports/queue';
import type { DocumentStore } from '../ports/store';
import type { DeadLetterAdmin } from './dead-letters';
import type { ItemCache } from './item-cache';

/** Everything the handlers need, built once per process by a composition root (Azure or embedded). */
export interface Services {
  store: DocumentStore;
  queue: CommandQueue;
  clock: Clock;
  cache: ItemCache;
  pendingHorizonMs: number;
  /** Failed commands: the dead-letter sub-queue of the command queue. */
  deadLetters: DeadLetterAdmin;
  /** Names what backs the store and the queue, for /health. */
  describe: { store: string; queue: string };
  close(): Promise<void>;
}

export type ServicesProvider = () => Promise<Services>;
