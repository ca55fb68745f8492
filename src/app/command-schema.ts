import { z } from 'zod';
import { ID_PATTERN } from '../domain/ids';
import type { Command } from '../domain/model';

/** Limits shared by the HTTP schemas and the message schema, so the queue never carries what the API refuses. */
export const LIMITS = {
  maxQuantity: 1_000_000,
  maxStock: 1_000_000_000,
  maxHoldSeconds: 86_400,
  defaultHoldSeconds: 900,
  maxNameLength: 200,
  maxReasonLength: 500,
  maxCartLines: 50,
} as const;

const id = z.string().regex(ID_PATTERN);
const timestamp = z.iso.datetime();
const base = { commandId: id, inventoryId: id, requestedAt: timestamp };
/** A cart's line commands name their cart. */
const line = { ...base, cartId: id.exactOptional() };

/** The schema of a command message body: anything else on the queue is poison. */
export const commandSchema: z.ZodType<Command> = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('Reserve'),
    ...line,
    reservationId: id,
    quantity: z.int().min(1).max(LIMITS.maxQuantity),
    userId: id,
    expiresAt: timestamp,
  }),
  z.object({ type: z.literal('Confirm'), ...line, reservationId: id }),
  z.object({ type: z.literal('Cancel'), ...line, reservationId: id }),
  z.object({ type: z.literal('ExpireHold'), ...line, reservationId: id, expiresAt: timestamp }),
  z.object({
    type: z.literal('Adjust'),
    ...base,
    delta: z
      .int()
      .min(-LIMITS.maxStock)
      .max(LIMITS.maxStock)
      .refine((d) => d !== 0, 'must not be zero'),
    reason: z.string().max(LIMITS.maxReasonLength),
  }),
]);

export type ParsedMessage<C = Command> =
  { ok: true; command: C } | { ok: false; reason: string; description: string };

export function parseCommandMessage(body: unknown): ParsedMessage {
  return parseMessage(body, commandSchema);
}

/** Accepts the body as the host hands it over: an object, a JSON string, or bytes. */
export function parseMessage<C>(body: unknown, schema: z.ZodType<C>): ParsedMessage<C> {
  let value: unknown = body;
  try {
    if (Buffer.isBuffer(body) || body instanceof Uint8Array)
      value = JSON.parse(Buffer.from(body).toString('utf8'));
    else if (typeof body === 'string') value = JSON.parse(body);
  } catch (error) {
    return {
      ok: false,
      reason: 'MalformedJson',
      description: error instanceof Error ? error.message : String(error),
    };
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const description = parsed.error.issues
      .map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`)
      .join('; ');
    return { ok: false, reason: 'SchemaViolation', description };
  }
  return { ok: true, command: parsed.data };
}
