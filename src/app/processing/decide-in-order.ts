import { decide } from '../../domain/decide';
import { commandMarker } from '../../domain/markers';
import type {
  Command,
  CommandMarker,
  InventoryItem,
  LedgerEvent,
  Reservation,
  UserTally,
} from '../../domain/model';
import type { CommandOutcome } from './outcome';

/** What one command's decision writes. */
export interface Writes {
  /** The item's next state, or null when the decision leaves it alone. */
  item: InventoryItem | null;
  reservation: Reservation | null;
  events: LedgerEvent[];
  marker: CommandMarker | null;
  /** The user's tally after the decision, when the item limits what one user may take. */
  tally: UserTally | null;
}

export interface Decided {
  /** The command's position in its group. */
  index: number;
  outcome: CommandOutcome;
  /** null: nothing to write (a duplicate, or an ExpireHold for a hold that already ended). */
  writes: Writes | null;
}

export interface DecideInput {
  commands: readonly Command[];
  /** Decide from this position on. */
  start: number;
  /** Positions a 409 showed were applied by an earlier delivery. */
  duplicates: ReadonlySet<number>;
  item: InventoryItem | null;
  /** Stored reservations by id (null: absent); those not here are taken as absent. */
  reservations: ReadonlyMap<string, Reservation | null>;
  /** Users' tallies by user id, while the item has a per-user limit. */
  tallies: ReadonlyMap<string, UserTally>;
  now: string;
  markerTtlSeconds: number;
}

/**
 * Decides commands in order, each against the state the ones before it left (pure). Every command of the
 * group is decided; packing then takes as many as one atomic batch holds.
 */
export function decideInOrder(input: DecideInput): Decided[] {
  const decided: Decided[] = [];
  let item = input.item;
  const touched = new Map<string, Reservation>();
  const tallies = new Map(input.tallies);
  for (let index = input.start; index < input.commands.length; index++) {
    const command = input.commands[index];
    if (!command) break;
    const reservationId = 'reservationId' in command ? command.reservationId : null;
    const ids = { commandId: command.commandId, reservationId };
    if (input.duplicates.has(index)) {
      decided.push({ index, outcome: { status: 'duplicate', reason: null, ...ids }, writes: null });
      continue;
    }
    const reservation = reservationId
      ? (touched.get(reservationId) ?? input.reservations.get(reservationId) ?? null)
      : null;
    const userId = command.type === 'Reserve' ? command.userId : (reservation?.userId ?? null);
    const tally = userId === null ? null : (tallies.get(userId) ?? null);
    const decision = decide({ item, reservation, tally, command, now: input.now });
    if (decision.kind === 'noop') {
      const status = decision.why === 'duplicate' ? 'duplicate' : 'noop';
      decided.push({ index, outcome: { status, reason: null, ...ids }, writes: null });
      continue;
    }
    if (decision.item) item = decision.item;
    if (decision.reservation) touched.set(decision.reservation.id, decision.reservation);
    if (decision.tally) tallies.set(decision.tally.userId, decision.tally);
    decided.push({
      index,
      outcome: { status: decision.kind, reason: decision.reason, ...ids },
      writes: {
        item: decision.item,
        reservation: decision.reservation,
        events: decision.events,
        marker: commandMarker(command, decision, input.now, input.markerTtlSeconds),
        tally: decision.tally,
      },
    });
  }
  return decided;
}
