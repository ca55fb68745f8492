import { z } from 'zod';
import { LIMITS } from '../app/command-schema';
import { FAILURE_REASONS } from '../app/failures';
import { ID_PATTERN } from '../domain/ids';
import { EVENT_KINDS, REJECTION_REASONS, RESERVATION_STATUSES } from '../domain/model';

/**
 * One source for request validation and the OpenAPI document: /api/openapi.json is generated from
 * these schemas, so the published contract cannot drift from what the handlers enforce.
 */

/**
 * A refusal says what the field must be (zod's own texts name the failed check, e.g. "Too small: expected
 * number to be >=1"). `abort` stops at the first failed check, so each field gets one message.
 */
export const must = (rule: string) => ({
  error: (issue: { input?: unknown }) =>
    issue.input === undefined ? `is required and must be ${rule}` : `must be ${rule}`,
  abort: true,
});

export const intFrom = (min: number, max: number) => {
  const rule = must(`an integer from ${min} to ${max}`);
  return z.int(rule).min(min, rule).max(max, rule);
};

const text = (min: number, max: number) => {
  const rule = must(
    min > 0 ? `a string of ${min} to ${max} characters` : `a string of at most ${max} characters`,
  );
  return z.string(rule).min(min, rule).max(max, rule);
};

/** A request body: a JSON object with exactly these fields (request.ts names each unknown one). */
export const body = <T extends z.core.$ZodLooseShape>(shape: T) =>
  z.strictObject(shape, {
    error: (issue) => (issue.code === 'unrecognized_keys' ? 'unknown field' : 'must be a JSON object'),
  });

const idRule = must("an id of 1 to 128 letters, digits, '.', '_' or '-' that starts with a letter or digit");
export const Id = z.string(idRule).regex(ID_PATTERN, idRule).meta({ example: 'sku-123' });

export const PutItemBody = body({
  available: intFrom(0, LIMITS.maxStock).describe('Units available for reservation'),
  name: text(0, LIMITS.maxNameLength).optional().describe('Display name'),
  maxPerUser: intFrom(1, LIMITS.maxStock)
    .nullable()
    .optional()
    .describe('Most one user may hold plus have confirmed; null removes the limit, absent keeps it'),
}).meta({ id: 'PutItemBody' });

const deltaRule = must(`a non-zero integer from ${-LIMITS.maxStock} to ${LIMITS.maxStock}`);
export const AdjustmentBody = body({
  delta: z
    .int(deltaRule)
    .min(-LIMITS.maxStock, deltaRule)
    .max(LIMITS.maxStock, deltaRule)
    .refine((d) => d !== 0, deltaRule)
    .describe('Positive to restock, negative to write off'),
  reason: text(1, LIMITS.maxReasonLength).describe('Why the stock changes'),
}).meta({ id: 'AdjustmentBody' });

export const ReservationBody = body({
  inventoryId: Id,
  quantity: intFrom(1, LIMITS.maxQuantity),
  userId: Id,
  holdSeconds: intFrom(1, LIMITS.maxHoldSeconds)
    .optional()
    .describe(`How long the hold lasts before it expires (default ${LIMITS.defaultHoldSeconds})`),
}).meta({ id: 'ReservationBody' });

const limitRule = must('an integer from 1 to 1000');
const pageQuery = {
  limit: z.coerce.number(limitRule).int(limitRule).min(1, limitRule).max(1000, limitRule).optional(),
  continuation: z
    .string()
    .max(8192, must('the `continuation` of the previous page, as it was given'))
    .optional(),
};

export const ListReservationsQuery = z.strictObject({
  status: z.enum(RESERVATION_STATUSES, must(`one of ${RESERVATION_STATUSES.join(', ')}`)).optional(),
  ...pageQuery,
});

export const LedgerQuery = z.strictObject(pageQuery);

const Counters = { available: z.int(), reserved: z.int(), confirmed: z.int() };

export const ItemView = z
  .object({
    inventoryId: Id,
    name: z.string(),
    ...Counters,
    maxPerUser: z.int().nullable().describe('Most one user may hold plus have confirmed (null: no limit)'),
    seq: z.int().describe('Sequence number of the last ledger event'),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: 'Item' });

export const ReservationView = z
  .object({
    reservationId: Id,
    inventoryId: Id,
    status: z.enum([...RESERVATION_STATUSES, 'pending', 'failed']),
    reason: z
      .enum([...REJECTION_REASONS, ...FAILURE_REASONS])
      .nullable()
      .optional(),
    detail: z.string().optional().describe('Why a failed command could not be applied'),
    quantity: z.int().optional(),
    userId: Id.optional(),
    expiresAt: z.iso.datetime().nullable().optional().describe('When the hold runs out; null once rejected'),
    requestedAt: z.iso.datetime().optional(),
    decidedAt: z.iso.datetime().optional(),
    updatedAt: z.iso.datetime().optional(),
  })
  .meta({ id: 'Reservation' });

export const CommandView = z
  .object({
    commandId: Id,
    inventoryId: Id,
    status: z.enum(['pending', 'applied', 'rejected', 'failed']),
    type: z.string().optional(),
    reason: z
      .enum([...REJECTION_REASONS, ...FAILURE_REASONS])
      .nullable()
      .optional(),
    detail: z.string().optional().describe('Why a failed command could not be applied'),
    reservationId: Id.nullable().optional(),
    decidedAt: z.iso.datetime().optional(),
  })
  .meta({ id: 'Command' });

export const AcceptedView = z
  .object({
    status: z.literal('pending'),
    inventoryId: Id,
    commandId: Id,
    reservationId: Id.nullable(),
    expiresAt: z.iso.datetime().nullable(),
    acceptedAt: z.iso.datetime(),
    statusUrl: z.string(),
  })
  .meta({ id: 'Accepted' });

export const LedgerEventView = z
  .object({
    seq: z.int(),
    kind: z.enum(EVENT_KINDS),
    commandId: z.string(),
    reservationId: z.string().nullable(),
    quantity: z.int().nullable(),
    delta: z.object(Counters),
    reason: z.enum(REJECTION_REASONS).nullable(),
    note: z.string().nullable(),
    at: z.iso.datetime(),
  })
  .meta({ id: 'LedgerEvent' });

export const PageOf = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), continuation: z.string().nullable(), next: z.string().nullable() });

export const HealthView = z
  .object({
    status: z.enum(['ok', 'degraded']),
    checks: z.record(
      z.string(),
      z.object({ status: z.enum(['ok', 'failed']), backend: z.string(), error: z.string().optional() }),
    ),
  })
  .meta({ id: 'Health' });

export const Problem = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.int(),
    detail: z.string(),
    instance: z.string().optional(),
    errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  })
  .meta({ id: 'Problem' });
