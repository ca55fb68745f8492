/** Ids are safe as a Cosmos DB id, a partition key value and a Service Bus session id. */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export function isValidId(value: string): boolean {
  return ID_PATTERN.test(value);
}

/** Event ids are derived from the per-item sequence number, zero padded so they sort. */
export function eventId(seq: number): string {
  return `ev-${seq.toString().padStart(12, '0')}`;
}

/** A ledger page is named by its first event's sequence number, as an event was by its own. */
export function ledgerPageId(firstSeq: number): string {
  return `lp-${firstSeq.toString().padStart(12, '0')}`;
}

/** Processed-command markers make every command idempotent, not only Reserve. */
export function commandMarkerId(commandId: string): string {
  return `cmd-${commandId}`;
}

/** A user's per-item tally lives beside the item's reservations, one document per user. */
export function tallyId(userId: string): string {
  // ':' is not allowed in an item id, so a user's tally never takes an item's id.
  return `tally:${userId}`;
}
