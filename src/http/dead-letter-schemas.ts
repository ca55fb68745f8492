import { z } from 'zod';
import { LedgerQuery, must } from './schemas';

/** The operator's view of failed commands (GET ops/dead-letters) and of a resubmit. */

export const DeadLettersQuery = z.strictObject(LedgerQuery.shape);

/** Service Bus allows any message id up to 128 characters; ours are ids, or ids with `~resubmit-<n>`. */
export const MessageIdParam = z
  .string()
  .regex(/^[A-Za-z0-9._~:-]{1,128}$/, must('1 to 128 characters of A-Z a-z 0-9 . _ ~ : -'));

export const DeadLetterView = z
  .object({
    messageId: z.string(),
    sequenceNumber: z.string().describe("The broker's order (64-bit, so a string)"),
    inventoryId: z.string().nullable().describe('The item whose session held it; null for a cart'),
    cartId: z.string().nullable(),
    commandType: z.string().nullable().describe('Null when the body is not a command (poison)'),
    commandId: z.string().nullable(),
    reservationId: z.string().nullable(),
    reason: z.string(),
    description: z.string(),
    deliveryCount: z.int(),
    enqueuedAt: z.iso.datetime(),
    deadLetteredAt: z.iso.datetime().nullable().describe('Null on Service Bus, which does not say'),
  })
  .meta({ id: 'DeadLetter' });

export const ResubmittedView = z
  .object({
    status: z.literal('resubmitted'),
    messageId: z.string(),
    resubmittedAs: z.string().describe('The message id of the copy sent back into its session'),
    sessionId: z.string(),
  })
  .meta({ id: 'Resubmitted' });

export const DiscardedView = z
  .object({ status: z.literal('discarded'), messageId: z.string() })
  .meta({ id: 'Discarded' });
