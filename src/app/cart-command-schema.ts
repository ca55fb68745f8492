import { z } from 'zod';
import { CART_COMMAND_TYPES, type CartCommand } from '../domain/cart-model';
import { ID_PATTERN } from '../domain/ids';
import { REJECTION_REASONS } from '../domain/model';
import { LIMITS, parseMessage, type ParsedMessage } from './command-schema';

const id = z.string().regex(ID_PATTERN);
const timestamp = z.iso.datetime();
const base = { commandId: id, cartId: id, requestedAt: timestamp };

/** The schema of a message in a cart's session: anything else there is poison. */
export const cartCommandSchema: z.ZodType<CartCommand> = z.discriminatedUnion('type', [
  z.object({
    type: z.literal(CART_COMMAND_TYPES[0]),
    ...base,
    userId: id,
    expiresAt: timestamp,
    lines: z
      .array(
        z.object({ inventoryId: id, quantity: z.int().min(1).max(LIMITS.maxQuantity), reservationId: id }),
      )
      .min(1)
      .max(LIMITS.maxCartLines),
  }),
  z.object({
    type: z.literal(CART_COMMAND_TYPES[1]),
    ...base,
    reservationId: id,
    status: z.enum(['held', 'rejected', 'confirmed', 'cancelled', 'expired']),
    reason: z.enum(REJECTION_REASONS).nullable(),
  }),
  z.object({ type: z.literal(CART_COMMAND_TYPES[2]), ...base }),
  z.object({ type: z.literal(CART_COMMAND_TYPES[3]), ...base }),
  z.object({ type: z.literal(CART_COMMAND_TYPES[4]), ...base, expiresAt: timestamp }),
]);

export function parseCartMessage(body: unknown): ParsedMessage<CartCommand> {
  return parseMessage(body, cartCommandSchema);
}
