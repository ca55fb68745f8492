import { z } from 'zod';
import { AUDIT_CHECKS } from '../domain/audit';
import { Id, LedgerQuery } from './schemas';

/** The audit of one item and the listing of every item (the audit tool walks it). */

export const ListItemsQuery = z.strictObject(LedgerQuery.shape);

const Value = z.union([z.int(), z.string()]);

export const AuditDifferenceView = z
  .object({
    check: z.enum(AUDIT_CHECKS).describe('Which rule the documents break'),
    subject: z.string().describe('What was compared, e.g. item.available, ledger[3].seq, reservation r-1'),
    expected: Value.describe('What the ledger (or, for sums and tallies, the reservations) says'),
    found: Value.describe('What the document holds'),
    detail: z.string(),
  })
  .meta({ id: 'AuditDifference' });

export const AuditView = z
  .object({
    inventoryId: Id,
    status: z.enum(['consistent', 'inconsistent']),
    checked: z
      .object({ events: z.int(), reservations: z.int(), tallies: z.int() })
      .describe('Documents compared: every event and reservation, the tallies of the current per-user limit'),
    differences: z.array(AuditDifferenceView),
  })
  .meta({ id: 'Audit' });
