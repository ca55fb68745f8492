import { z } from 'zod';
import { LIMITS } from '../app/command-schema';
import { ID_PATTERN } from '../domain/ids';
import { EVENT_KINDS, REJECTION_REASONS, RESERVATION_STATUSES } from '../domain/model';

/**
 * One source for request validation and the OpenAPI document: /api/openapi.json is generated from
 * these schemas, so the published contract cannot drift from what the handlers enforce.
 */
export const Id = z
  .string()
  .regex(ID_PATTERN, 'must match ^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$')
  .meta({ example: 'sku-123' });

export const PutItemBody = z
  .strictObject({
    available: z.int().min(0).max(LIMITS.maxStock).describe('Units available for reservation'),
    name: z.string().max(LIMITS.maxNameLength).optional().describe('Display name'),
  })
  .meta({ id: 'PutItemBody' });

export const AdjustmentBody = z
  .strictObject({
    delta: z
      .int()
      .min(-LIMITS.maxStock)
      .max(LIMITS.maxStock)
      .refine((d) => d !== 0, 'must not be zero')
      .describe('Positive to restock, negative to write off'),
    reason: z.string().min(1).max(LIMITS.maxReasonLength).describe('Why the stock changes'),
  })
  .meta({ id: 'AdjustmentBody' });

export const ReservationBody = z
  .strictObject({
    inventoryId: Id,
    quantity: z.int().min(1).max(LIMITS.maxQuantity),
    userId: Id,
    holdSeconds: z
      .int()
      .min(1)
      .max(LIMITS.maxHoldSeconds)
      .optional()
      .describe(`How long the hold lasts before it expires (default ${LIMITS.defaultHoldSeconds})`),
  })
  .meta({ id: 'ReservationBody' });

export const ListReservationsQuery = z.strictObject({
  status: z.enum(RESERVATION_STATUSES).optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
  continuation: z.string().max(8192).optional(),
});

export const LedgerQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(1000).optional(),
  continuation: z.string().max(8192).optional(),
});

const Counters = { available: z.int(), reserved: z.int(), confirmed: z.int() };

export const ItemView = z
  .object({
    inventoryId: Id,
    name: z.string(),
    ...Counters,
    seq: z.int().describe('Sequence number of the last ledger event'),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: 'Item' });

export const ReservationView = z
  .object({
    reservationId: Id,
    inventoryId: Id,
    status: z.enum([...RESERVATION_STATUSES, 'pending']),
    reason: z.enum(REJECTION_REASONS).nullable().optional(),
    quantity: z.int().optional(),
    userId: Id.optional(),
    expiresAt: z.iso.datetime().optional(),
    requestedAt: z.iso.datetime().optional(),
    decidedAt: z.iso.datetime().optional(),
    updatedAt: z.iso.datetime().optional(),
  })
  .meta({ id: 'Reservation' });

export const CommandView = z
  .object({
    commandId: Id,
    inventoryId: Id,
    status: z.enum(['pending', 'applied', 'rejected']),
    type: z.string().optional(),
    reason: z.enum(REJECTION_REASONS).nullable().optional(),
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
