import { auditItem as auditDocuments, type AuditResult } from '../domain/audit';
import type { InventoryItem, Reservation, UserTally } from '../domain/model';
import type { DocumentStore } from '../ports/store';
import { queryAll, readLedger } from './queries';

/** Times the documents are loaded again when the item changed while they were read. */
export const AUDIT_ATTEMPTS = 5;

export type AuditOutcome =
  | { kind: 'audited'; inventoryId: string; result: AuditResult }
  | { kind: 'not-found' }
  /** The item changed while its documents were read, every time: too busy to audit right now. */
  | { kind: 'unsettled'; attempts: number };

/**
 * Audits one item: its documents (item, full ledger, reservations, tallies) loaded and checked by the pure
 * audit. The documents are read in several queries, so a decision committed in between would show as a
 * difference that is not one. Every decision replaces the item in the same batch as its other documents,
 * so the item's ETag is read before and after: when it is the same, nothing the audit reads changed in
 * between, and the documents are one state of the partition. Otherwise they are read again.
 */
export async function auditInventory(
  deps: { store: DocumentStore },
  inventoryId: string,
  attempts = AUDIT_ATTEMPTS,
): Promise<AuditOutcome> {
  const { store } = deps;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const before = await store.read<InventoryItem>(inventoryId, inventoryId);
    if (!before || before.doc.type !== 'inventory') return { kind: 'not-found' };
    const [events, reservations, tallies] = await Promise.all([
      readLedger(store, inventoryId),
      queryAll<Reservation>(store, inventoryId, { type: 'reservation', orderBy: 'id' }, 1000),
      queryAll<UserTally>(store, inventoryId, { type: 'tally', orderBy: 'id' }, 1000),
    ]);
    const after = await store.read<InventoryItem>(inventoryId, inventoryId);
    if (!after) return { kind: 'not-found' };
    if (after.etag !== before.etag) continue;
    const result = auditDocuments({ item: after.doc, events, reservations, tallies });
    return { kind: 'audited', inventoryId, result };
  }
  return { kind: 'unsettled', attempts };
}
