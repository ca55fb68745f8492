import { MAX_DELIVERY_COUNT_EXCEEDED } from '../../../ports/sessions';
import type { MessageTable } from './message-table';
import type { SessionIndex } from './session-index';
import type { Entry, SessionState } from './session-state';

/**
 * Settling delivered messages: complete (deleted in groups, after the decisions they completed are
 * durable), abandon (delivery count saved, deliverable again) and dead-letter (moved to its table).
 */
export class Settlement {
  private deleting: Promise<void> = Promise.resolve();
  private pendingDeletes: number[] = [];
  private deleteHandle: NodeJS.Immediate | undefined;

  constructor(
    private readonly table: MessageTable,
    private readonly index: SessionIndex,
    private readonly maxDeliveryCount: number,
    /** Awaited before completed messages are deleted. */
    private readonly beforeDelete: () => Promise<void>,
    /** Told the sequence number of each message dead-lettered because its deliveries ran out. */
    private readonly onExhausted: (seq: number) => void,
  ) {}

  complete(session: SessionState, entry: Entry): void {
    this.index.remove(session, entry);
    // Deletes are written together once per tick. A completion lost to a crash only means a redelivery,
    // which the consumer detects as a duplicate; and it is always written after the decision it follows.
    this.pendingDeletes.push(entry.seq);
    this.deleteHandle ??= setImmediate(() => this.flushDeletes());
  }

  abandon(session: SessionState, entry: Entry, now: number): void {
    if (entry.deliveryCount >= this.maxDeliveryCount) {
      this.deadLetterExhausted(session, entry, now);
      return;
    }
    this.table.saveDeliveryCount(entry);
    entry.holder?.inflight.delete(entry.seq);
    entry.holder = null;
  }

  deadLetter(session: SessionState, entry: Entry, reason: string, description: string, now: number): void {
    this.table.moveToDeadLetters(entry, reason, description, now);
    this.index.remove(session, entry);
  }

  /** Counted deliveries include ones lost with a lock or a restart: never deliver beyond the maximum. */
  exhausted(entry: Entry): boolean {
    return entry.deliveryCount >= this.maxDeliveryCount;
  }

  deadLetterExhausted(session: SessionState, entry: Entry, now: number): void {
    const description = `The message was delivered ${this.maxDeliveryCount} times without being completed`;
    this.deadLetter(session, entry, MAX_DELIVERY_COUNT_EXCEEDED, description, now);
    this.onExhausted(entry.seq);
  }

  /** Writes the deletes still waiting for their tick and waits for every delete under way. */
  async close(): Promise<void> {
    if (this.deleteHandle) clearImmediate(this.deleteHandle);
    this.flushDeletes();
    await this.deleting;
  }

  /**
   * Writes the deletes of completed messages, once what they completed is durable (the store's log is
   * synced first when it lives in another file): a power loss can then lose a decision only together
   * with its completion, and the message is redelivered.
   */
  private flushDeletes(): void {
    this.deleteHandle = undefined;
    if (this.pendingDeletes.length === 0) return;
    const seqs = this.pendingDeletes;
    this.pendingDeletes = [];
    this.deleting = this.deleting
      .then(() => this.beforeDelete())
      .then(() => this.table.delete(seqs))
      .catch(() => {
        // Not deleted (store not synced, or the db closed): those messages are redelivered and found to
        // be duplicates, exactly as after a crash.
      });
  }
}
