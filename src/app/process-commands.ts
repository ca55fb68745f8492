import type { Command } from '../domain/model';
import type { Clock } from '../ports/clock';
import { MAX_BATCH_OPERATIONS, type DocumentStore } from '../ports/store';
import type { ItemCache } from './item-cache';
import { silentLogger, type Logger } from './logger';
import { measure } from './metrics';
import { commitBatch } from './processing/commit-batch';
import { withConflictRetry, type Attempt } from './processing/conflict-retry';
import { decideInOrder, type Decided } from './processing/decide-in-order';
import { loadItem, loadReservations, loadTallies, type PartitionState } from './processing/load';
import type { CommandOutcome } from './processing/outcome';
import { packBatch, type PackLimits } from './processing/pack-batch';

export interface ProcessorDeps {
  store: DocumentStore;
  clock: Clock;
  cache: ItemCache;
  log?: Logger;
  /** Reload-and-decide-again rounds after ETag conflicts before giving up (the message is redelivered). */
  maxConflictRetries?: number;
  /** How long command markers are kept (seconds): far longer than any redelivery can arrive. */
  markerTtlSeconds?: number;
  /**
   * How long an accepted id answers `pending` (ms). A rejected reservation is kept a day longer, then
   * removed: junk (reservations of items that do not exist) must not pile up, and once it is gone its
   * id is past the horizon and answers 404, never a false `pending`.
   */
  pendingHorizonMs?: number;
}

export interface ProcessOptions {
  /** Called after each batch commits with the positions and outcomes of the commands it settled. */
  onCommitted?: (indexes: number[], outcomes: CommandOutcome[]) => Promise<void> | void;
}

/** Where a group stands: what is settled, what a 409 showed to be a redelivery, what comes next. */
interface Progress {
  outcomes: (CommandOutcome | undefined)[];
  duplicates: Set<number>;
  next: number;
}

/**
 * Applies one session's commands in order, like an event-sourced command handler: load the item and the
 * reservations the commands act on, decide (pure), pack the decisions into as few atomic batches as the
 * 100-operation limit allows, commit. A conflict reloads and decides again; a 409 on a reservation or
 * marker marks that command a duplicate of an earlier delivery, and the rest are decided again without it.
 */
export async function processCommands(
  inventoryId: string,
  commands: readonly Command[],
  deps: ProcessorDeps,
  options: ProcessOptions = {},
): Promise<CommandOutcome[]> {
  const log = deps.log ?? silentLogger;
  const progress: Progress = { outcomes: [], duplicates: new Set(), next: 0 };
  const state: PartitionState = {
    item: await loadItem(inventoryId, deps.store, deps.cache, false),
    reservations: new Map(),
    tallies: new Map(),
  };
  while (progress.next < commands.length) {
    const { settled, wrote } = await withConflictRetry(
      inventoryId,
      deps.maxConflictRetries ?? 5,
      () => commitNext(inventoryId, commands, progress, state, deps),
      async (conflict, conflicts) => {
        log.warn('write conflict; reloading and deciding again', {
          inventoryId,
          failure: conflict.failure,
          conflicts,
        });
        deps.cache.evict(inventoryId);
        state.reservations.clear();
        state.tallies.clear();
        state.item = await loadItem(inventoryId, deps.store, deps.cache, true);
      },
    );
    for (const step of settled) {
      progress.outcomes[step.index] = step.outcome;
      countDecided(commands[step.index], step.outcome);
    }
    progress.next += settled.length;
    if (wrote)
      await options.onCommitted?.(
        settled.map((s) => s.index),
        settled.map((s) => s.outcome),
      );
  }
  return commands.map((_, i) => {
    const outcome = progress.outcomes[i];
    if (!outcome) throw new Error(`command ${i} was not settled`);
    return outcome;
  });
}

/** Counted once the decision is settled for good: committed, or known to need no write. */
function countDecided(command: Command | undefined, outcome: CommandOutcome): void {
  const type = command?.type ?? 'unknown';
  measure.decided(type, outcome.status);
  if (outcome.status === 'duplicate') measure.duplicateAbsorbed(type);
}

/** Decides from the next unsettled command on and commits the first batch of those decisions. */
async function commitNext(
  inventoryId: string,
  commands: readonly Command[],
  progress: Progress,
  state: PartitionState,
  deps: ProcessorDeps,
): Promise<Attempt<{ settled: Decided[]; wrote: boolean }>> {
  const limits: PackLimits = {
    maxOperations: MAX_BATCH_OPERATIONS,
    rejectedTtlSeconds: Math.ceil((deps.pendingHorizonMs ?? 86_400_000) / 1000) + 86_400,
  };
  for (;;) {
    const pending = commands.slice(progress.next);
    const now = deps.clock.now().toISOString();
    await loadReservations(inventoryId, pending, state, deps.store);
    await loadTallies(inventoryId, pending, state, deps.store, now);
    const decided = decideInOrder({
      commands,
      start: progress.next,
      duplicates: progress.duplicates,
      item: state.item?.doc ?? null,
      reservations: new Map([...state.reservations].map(([id, r]) => [id, r?.doc ?? null])),
      tallies: new Map([...state.tallies].map(([userId, t]) => [userId, t.tally])),
      now,
      markerTtlSeconds: deps.markerTtlSeconds ?? 30 * 24 * 3600,
    });
    const batch = packBatch(decided, state, limits);
    if (batch.operations.length === 0)
      return { kind: 'done', value: { settled: batch.settled, wrote: false } };
    const result = await commitBatch(inventoryId, batch, deps.store);
    switch (result.kind) {
      case 'committed':
        if (result.item) {
          state.item = result.item;
          deps.cache.set(inventoryId, result.item);
        }
        for (const r of result.reservations) state.reservations.set(r.doc.id, r);
        for (const t of result.tallies) state.tallies.set(t.doc.userId, { tally: t.doc, etag: t.etag });
        return { kind: 'done', value: { settled: batch.settled, wrote: true } };
      case 'duplicate':
        (deps.log ?? silentLogger).info('command already applied by an earlier delivery', {
          inventoryId,
          commandId: commands[result.command]?.commandId,
        });
        progress.duplicates.add(result.command);
        continue;
      case 'conflict':
        return result;
    }
  }
}
