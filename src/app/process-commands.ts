import { decide, type Decision } from '../domain/decide';
import { commandMarkerId } from '../domain/ids';
import type {
  Command,
  CommandMarker,
  InventoryItem,
  LedgerEvent,
  RejectionReason,
  Reservation,
} from '../domain/model';
import type { Clock } from '../ports/clock';
import {
  MAX_BATCH_OPERATIONS,
  type BatchOperation,
  type DocumentStore,
  type Versioned,
} from '../ports/store';
import type { ItemCache } from './item-cache';
import { silentLogger, type Logger } from './logger';

export type CommandOutcome =
  | {
      status: 'applied' | 'rejected';
      reason: RejectionReason | null;
      commandId: string;
      reservationId: string | null;
    }
  /** Nothing to write (an ExpireHold for a hold that already ended). */
  | { status: 'noop'; reason: null; commandId: string; reservationId: string | null }
  /** Already applied by an earlier delivery: the 409 of the reservation or command marker said so. */
  | { status: 'duplicate'; reason: null; commandId: string; reservationId: string | null };

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
  /** Called after each batch commits with the indexes of the commands it settled, so they can be completed. */
  onCommitted?: (indexes: number[], outcomes: CommandOutcome[]) => Promise<void> | void;
}

/** The ETag kept changing under us: let the message be redelivered rather than spin. */
export class ConflictRetriesExhaustedError extends Error {
  constructor(inventoryId: string, attempts: number) {
    super(`inventory ${inventoryId}: ETag conflict persisted over ${attempts} attempts`);
    this.name = 'ConflictRetriesExhaustedError';
  }
}

/** A write failed in a way no retry can fix (e.g. a document too large): a bug or corrupt data. */
export class UnexpectedWriteError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnexpectedWriteError';
  }
}

interface KnownReservation {
  doc: Reservation;
  etag: string;
}

interface Plan {
  operations: BatchOperation[];
  /** Which command each operation belongs to (-1: the shared item replace). */
  owners: number[];
  /** Commands settled by this plan, with their outcomes. */
  settled: Map<number, CommandOutcome>;
  nextItem: InventoryItem | null;
  /** The reservations this batch writes, by the index of their operation (for their new ETags). */
  reservations: { index: number; doc: Reservation }[];
}

/**
 * Applies one session's commands in order. Decisions are made in memory and committed in as few atomic
 * batches as the 100-operation limit allows (a single command is a group of one). Each batch replaces
 * the item under its ETag, creates or replaces reservations, creates ledger events and command markers.
 * A 412 reloads the item and decides again; a 409 on a reservation or marker marks that command a
 * duplicate of an earlier delivery, and the rest are decided again without it.
 */
export async function processCommands(
  inventoryId: string,
  commands: readonly Command[],
  deps: ProcessorDeps,
  options: ProcessOptions = {},
): Promise<CommandOutcome[]> {
  const log = deps.log ?? silentLogger;
  const maxRetries = deps.maxConflictRetries ?? 5;
  const outcomes: (CommandOutcome | undefined)[] = new Array<CommandOutcome | undefined>(commands.length);
  const duplicates = new Set<number>();
  const reservations = new Map<string, KnownReservation | null>();
  let item = await loadItem(inventoryId, deps, false);
  let next = 0;
  let conflicts = 0;

  while (next < commands.length) {
    const plan = await planBatch(inventoryId, commands, next, item, reservations, duplicates, deps);
    if (plan.operations.length === 0) {
      settle(plan.settled);
      next += plan.settled.size;
      continue;
    }
    const result = await deps.store.batch(inventoryId, plan.operations);
    if (result.ok) {
      if (plan.nextItem) {
        const etag = plan.owners[0] === -1 ? result.etags[0] : undefined;
        if (typeof etag === 'string') {
          item = { doc: plan.nextItem, etag };
          deps.cache.set(inventoryId, item);
        }
      }
      for (const { index, doc } of plan.reservations) {
        const etag = result.etags[index];
        if (typeof etag === 'string') reservations.set(doc.id, { doc, etag });
      }
      settle(plan.settled);
      next += plan.settled.size;
      conflicts = 0; // the bound is per batch: a long group that keeps making progress is not starved
      await options.onCommitted?.([...plan.settled.keys()], [...plan.settled.values()]);
      continue;
    }
    const owner = plan.owners[result.index];
    if (
      result.failure === 'duplicate' &&
      owner !== undefined &&
      owner >= 0 &&
      !isEventOp(plan.operations[result.index])
    ) {
      log.info('command already applied by an earlier delivery', {
        inventoryId,
        commandId: commands[owner]?.commandId,
      });
      duplicates.add(owner);
      continue;
    }
    if (result.failure === 'conflict' || result.failure === 'duplicate' || result.failure === 'notFound') {
      // Someone else wrote this item (an admin PUT, or a consumer that lost its session lock): reload.
      conflicts += 1;
      if (conflicts > maxRetries) throw new ConflictRetriesExhaustedError(inventoryId, conflicts);
      log.warn('write conflict; reloading and deciding again', {
        inventoryId,
        failure: result.failure,
        conflicts,
      });
      deps.cache.evict(inventoryId);
      reservations.clear();
      item = await loadItem(inventoryId, deps, true);
      continue;
    }
    throw new UnexpectedWriteError(
      `inventory ${inventoryId}: batch failed with ${result.failure} at ${result.index}`,
    );
  }
  return outcomes.map((o, i) => {
    if (!o) throw new Error(`command ${i} was not settled`);
    return o;
  });

  function settle(settled: Map<number, CommandOutcome>): void {
    for (const [index, outcome] of settled) outcomes[index] = outcome;
  }
}

function isEventOp(op: BatchOperation | undefined): boolean {
  return op !== undefined && op.op !== 'delete' && op.doc.type === 'event';
}

async function loadItem(
  inventoryId: string,
  deps: ProcessorDeps,
  fresh: boolean,
): Promise<Versioned<InventoryItem> | null> {
  const cached = fresh ? undefined : deps.cache.get(inventoryId);
  if (cached) return cached;
  const read = await deps.store.read<InventoryItem>(inventoryId, inventoryId);
  if (read) deps.cache.set(inventoryId, read);
  return read;
}

/** Decides commands from `start` on, in order, until the batch is full; reads reservations it lacks. */
async function planBatch(
  inventoryId: string,
  commands: readonly Command[],
  start: number,
  item: Versioned<InventoryItem> | null,
  known: Map<string, KnownReservation | null>,
  duplicates: ReadonlySet<number>,
  deps: ProcessorDeps,
): Promise<Plan> {
  const now = deps.clock.now().toISOString();
  const settled = new Map<number, CommandOutcome>();
  let working: InventoryItem | null = item?.doc ?? null;
  let itemChanged = false;
  const touched = new Map<string, { doc: Reservation; owner: number }>();
  const events: { event: LedgerEvent; owner: number }[] = [];
  const markers: { marker: CommandMarker; owner: number }[] = [];
  const opCount = () => (itemChanged ? 1 : 0) + touched.size + events.length + markers.length;

  for (let index = start; index < commands.length; index++) {
    const command = commands[index];
    if (!command) break;
    const reservationId = 'reservationId' in command ? command.reservationId : null;
    if (duplicates.has(index)) {
      settled.set(index, { status: 'duplicate', reason: null, commandId: command.commandId, reservationId });
      continue;
    }
    let reservation: Reservation | null = null;
    if (reservationId) {
      const inBatch = touched.get(reservationId);
      if (inBatch) reservation = inBatch.doc;
      else {
        // A Reserve relies on the 409 of its create instead of a read: the common path stays read-free.
        if (!known.has(reservationId) && command.type !== 'Reserve') {
          const read = await deps.store.read<Reservation>(inventoryId, reservationId);
          known.set(reservationId, read);
        }
        reservation = known.get(reservationId)?.doc ?? null;
      }
    }
    const decision: Decision = decide({ item: working, reservation, command, now });
    if (decision.kind === 'noop') {
      settled.set(index, {
        status: decision.why === 'duplicate' ? 'duplicate' : 'noop',
        reason: null,
        commandId: command.commandId,
        reservationId,
      });
      continue;
    }
    const needsMarker = command.type !== 'Reserve';
    const added =
      (decision.item && !itemChanged ? 1 : 0) +
      (decision.reservation && !touched.has(decision.reservation.id) ? 1 : 0) +
      decision.events.length +
      (needsMarker ? 1 : 0);
    if (opCount() + added > MAX_BATCH_OPERATIONS) break;
    if (decision.item) {
      working = decision.item;
      itemChanged = true;
    }
    if (decision.reservation) {
      const previous = touched.get(decision.reservation.id);
      touched.set(decision.reservation.id, { doc: decision.reservation, owner: previous?.owner ?? index });
    }
    for (const event of decision.events) events.push({ event, owner: index });
    if (needsMarker) {
      markers.push({
        owner: index,
        marker: {
          type: 'command',
          id: commandMarkerId(command.commandId),
          inventoryId,
          commandId: command.commandId,
          commandType: command.type,
          outcome: decision.kind,
          reason: decision.reason,
          reservationId,
          requestedAt: command.requestedAt,
          decidedAt: now,
          ttl: deps.markerTtlSeconds ?? 30 * 24 * 3600,
        },
      });
    }
    settled.set(index, {
      status: decision.kind,
      reason: decision.reason,
      commandId: command.commandId,
      reservationId,
    });
  }

  const operations: BatchOperation[] = [];
  const owners: number[] = [];
  const reservations: { index: number; doc: Reservation }[] = [];
  if (itemChanged && working && item) {
    operations.push({ op: 'replace', doc: working, ifMatch: item.etag });
    owners.push(-1);
  }
  const rejectedTtl = Math.ceil((deps.pendingHorizonMs ?? 86_400_000) / 1000) + 86_400;
  for (const [id, { doc, owner }] of touched) {
    const existing = known.get(id);
    const stored = doc.status === 'rejected' ? { ...doc, ttl: rejectedTtl } : doc;
    operations.push(
      existing ? { op: 'replace', doc: stored, ifMatch: existing.etag } : { op: 'create', doc: stored },
    );
    owners.push(owner);
    reservations.push({ index: operations.length - 1, doc });
  }
  for (const { event, owner } of events) {
    operations.push({ op: 'create', doc: event });
    owners.push(owner);
  }
  for (const { marker, owner } of markers) {
    operations.push({ op: 'create', doc: marker });
    owners.push(owner);
  }
  return { operations, owners, settled, nextItem: itemChanged ? working : null, reservations };
}
