import { z } from 'zod';
import { LIMITS } from '../app/command-schema';
import { FAILURE_REASONS } from '../app/failures';
import { CART_STATUSES } from '../domain/cart-model';
import { REJECTION_REASONS } from '../domain/model';
import { body, Id, intFrom, must } from './schemas';

const linesRule = must(`1 to ${LIMITS.maxCartLines} lines, each for a different item`);

export const CartBody = body({
  userId: Id,
  holdSeconds: intFrom(1, LIMITS.maxHoldSeconds)
    .optional()
    .describe(`How long every line is held before the cart expires (default ${LIMITS.defaultHoldSeconds})`),
  lines: z
    .array(z.strictObject({ inventoryId: Id, quantity: intFrom(1, LIMITS.maxQuantity) }), linesRule)
    .min(1, linesRule)
    .max(LIMITS.maxCartLines, linesRule)
    .refine((lines) => new Set(lines.map((l) => l.inventoryId)).size === lines.length, linesRule)
    .describe('All held or none'),
}).meta({ id: 'CartBody' });

const LineStatus = z.enum(['pending', 'held', 'rejected', 'confirmed', 'cancelled', 'expired']);

export const CartView = z
  .object({
    cartId: Id,
    userId: Id.optional(),
    status: z.enum([...CART_STATUSES, 'failed']),
    type: z.string().optional().describe('Failed: the command given up on'),
    reason: z.enum(FAILURE_REASONS).optional(),
    detail: z.string().optional().describe('Why a failed command could not be applied'),
    decidedAt: z.iso.datetime().optional(),
    expiresAt: z.iso.datetime().optional().describe('When every line is released unless confirmed'),
    lines: z
      .array(
        z.object({
          inventoryId: Id,
          quantity: z.int(),
          reservationId: Id,
          status: LineStatus,
          reason: z.enum(REJECTION_REASONS).nullable(),
        }),
      )
      .optional(),
    requestedAt: z.iso.datetime().optional(),
    updatedAt: z.iso.datetime().optional(),
  })
  .meta({ id: 'Cart' });

export const AcceptedCartView = z
  .object({
    status: z.literal('pending'),
    cartId: Id,
    expiresAt: z.iso.datetime().nullable(),
    acceptedAt: z.iso.datetime(),
    lines: z.array(z.object({ inventoryId: Id, quantity: z.int(), reservationId: Id })).optional(),
    statusUrl: z.string(),
  })
  .meta({ id: 'AcceptedCart' });
