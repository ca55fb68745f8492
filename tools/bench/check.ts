import { replayLedger, stockAdded } from '../../src/domain/events';
import type { InventoryItem, LedgerEvent, Reservation } from '../../src/domain/model';
import { queryAll, readLedger } from '../../src/app/queries';
import type { DocumentStore } from '../../src/ports/store';
import type { Settlement } from './feeder';

export interface CheckInput {
  /** Read directly (not through the injected delay): the check is not part of the measurement. */
  store: DocumentStore;
  itemIds: readonly string[];
  /** Initial stock of each item. */
  stock: ReadonlyMap<string, number>;
  /** Every command the run reports decided, by command id. */
  settled: ReadonlyMap<string, Settlement>;
  /** Command ids the run settled more than once. */
  settledTwice: readonly string[];
}

export interface CheckResult {
  ok: boolean;
  /** The first problems found (at most 20), empty when ok. */
  problems: string[];
  /** Ledger events read back (excluding the creation events). */
  events: number;
}

const PAGE = 1000;
const MAX_PROBLEMS = 20;

/**
 * The correctness check of a run, from what the store holds: each item's counters equal the replay of
 * its ledger (no gap in the sequence), stock is conserved and never oversold (available >= 0, held +
 * confirmed <= stock), reserved equals the sum of held reservations, and every command the run decided
 * is in the ledger exactly once with the outcome the processor reported, and nothing else is.
 */
export async function checkRun(input: CheckInput): Promise<CheckResult> {
  const problems: string[] = [];
  const report: Report = (problem) => {
    if (problems.length < MAX_PROBLEMS) problems.push(problem);
    else if (problems.length === MAX_PROBLEMS) problems.push('... (more problems not listed)');
  };
  for (const id of input.settledTwice) report(`command ${id} was settled more than once`);
  const seenCommands = new Map<string, number>();
  let eventCount = 0;
  for (const pk of input.itemIds) eventCount += await checkItem(input, pk, seenCommands, report);
  for (const [commandId, settled] of input.settled) {
    const count = seenCommands.get(commandId) ?? 0;
    if (count !== 1) report(`command ${commandId} (${settled.status}) appears ${count} times in the ledger`);
  }
  return { ok: problems.length === 0, problems, events: eventCount };
}

type Report = (problem: string) => void;

/** Checks one item against its ledger and reservations; returns the ledger events it read (bar creation). */
async function checkItem(
  input: CheckInput,
  pk: string,
  seenCommands: Map<string, number>,
  report: Report,
): Promise<number> {
  const item = await input.store.read<InventoryItem>(pk, pk);
  if (!item) {
    report(`item ${pk}: missing`);
    return 0;
  }
  const events = await readLedger(input.store, pk);
  let replay;
  try {
    replay = replayLedger(events);
  } catch (error) {
    report(`item ${pk}: ${(error as Error).message}`);
    return 0;
  }
  const doc = item.doc;
  if (replay.seq !== doc.seq) report(`item ${pk}: seq ${doc.seq}, ledger ends at ${replay.seq}`);
  for (const key of ['available', 'reserved', 'confirmed'] as const) {
    if (replay[key] !== doc[key])
      report(`item ${pk}: ${key} is ${doc[key]}, the ledger replays to ${replay[key]}`);
  }
  checkStock(pk, doc, events, input.stock.get(pk), report);

  const reservations = await queryAll<Reservation>(
    input.store,
    pk,
    { type: 'reservation', orderBy: 'id' },
    PAGE,
  );
  const heldSum = reservations.filter((r) => r.status === 'held').reduce((sum, r) => sum + r.quantity, 0);
  if (heldSum !== doc.reserved)
    report(`item ${pk}: reserved is ${doc.reserved}, held reservations sum to ${heldSum}`);
  return checkEvents(pk, events, reservations, input.settled, seenCommands, report);
}

/** Stock is conserved and never oversold: counters non-negative and adding up to the stock brought in. */
function checkStock(
  pk: string,
  doc: InventoryItem,
  events: readonly LedgerEvent[],
  initial: number | undefined,
  report: Report,
): void {
  const stock = events.reduce((sum, e) => sum + stockAdded(e), 0);
  if (initial !== undefined && stock !== initial)
    report(`item ${pk}: ledger adds ${stock} units, expected ${initial}`);
  if (doc.available < 0 || doc.reserved < 0 || doc.confirmed < 0) report(`item ${pk}: negative counter`);
  if (doc.reserved + doc.confirmed > stock) {
    report(`item ${pk}: oversold, held ${doc.reserved} + confirmed ${doc.confirmed} > stock ${stock}`);
  }
  if (doc.available + doc.reserved + doc.confirmed !== stock) {
    report(
      `item ${pk}: counters add up to ${doc.available + doc.reserved + doc.confirmed}, stock is ${stock}`,
    );
  }
}

/** Each ledger event is a command the run decided, with the outcome it reported; counts the events. */
function checkEvents(
  pk: string,
  events: readonly LedgerEvent[],
  reservations: readonly Reservation[],
  settledByCommand: ReadonlyMap<string, Settlement>,
  seenCommands: Map<string, number>,
  report: Report,
): number {
  const byCommand = new Map(reservations.map((r) => [r.commandId, r]));
  let eventCount = 0;
  for (const event of events) {
    if (event.kind === 'ItemCreated') continue;
    eventCount += 1;
    seenCommands.set(event.commandId, (seenCommands.get(event.commandId) ?? 0) + 1);
    const settled = settledByCommand.get(event.commandId);
    if (!settled) {
      report(
        `item ${pk}: event ${event.seq} (${event.kind}) for command ${event.commandId} the run never decided`,
      );
      continue;
    }
    if (settled.inventoryId !== pk)
      report(`command ${event.commandId}: decided for ${settled.inventoryId}, ledger of ${pk}`);
    const expected = settled.status === 'applied' ? 'ReservationHeld' : 'ReservationRejected';
    if (event.kind !== expected)
      report(`command ${event.commandId}: reported ${settled.status}, ledger says ${event.kind}`);
    const reservation = byCommand.get(event.commandId);
    const status = settled.status === 'applied' ? 'held' : 'rejected';
    if (!reservation || reservation.status !== status) {
      report(
        `command ${event.commandId}: reservation is ${reservation?.status ?? 'missing'}, expected ${status}`,
      );
    }
  }
  return eventCount;
}
