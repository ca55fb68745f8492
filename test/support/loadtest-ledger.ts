import type { LedgerEventView } from '../../tools/loadtest/invariants';

/** When every event of these fixtures happened. */
const AT = '2025-01-01T00:00:00.000Z';

/** A ledger event as the load tool collects it; a reservation's events move one unit. */
export function ev(
  seq: number,
  kind: string,
  delta: [number, number, number],
  reservationId: string | null = null,
  commandId = `c-${seq}`,
): LedgerEventView {
  return {
    seq,
    kind,
    commandId,
    reservationId,
    quantity: reservationId ? 1 : null,
    delta: { available: delta[0], reserved: delta[1], confirmed: delta[2] },
    reason: kind === 'ReservationRejected' ? 'INSUFFICIENT_STOCK' : null,
    at: AT,
  };
}
