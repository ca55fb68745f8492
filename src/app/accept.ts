import { cartPartition, type CartCommand } from '../domain/cart-model';
import type { AdjustCommand, CancelCommand, Command, ConfirmCommand, ReserveCommand } from '../domain/model';
import type { Clock } from '../ports/clock';
import { QueueUnavailableError, type CommandQueue, type OutgoingCommand } from '../ports/queue';
import type { DocumentStore } from '../ports/store';
import { LIMITS } from './command-schema';
import { forget, lookup, record, requestHash } from './idempotency';
import { newId } from './ids';
import { measure } from './metrics';

export interface AcceptDeps {
  store: DocumentStore;
  queue: CommandQueue;
  clock: Clock;
}

export interface TraceContext {
  traceparent?: string;
  tracestate?: string;
}

export interface Accepted {
  inventoryId: string;
  commandId: string;
  reservationId: string | null;
  expiresAt: string | null;
  acceptedAt: string;
}

export type AcceptResult<R = Accepted> =
  ({ kind: 'accepted'; replayed: boolean } & R) | { kind: 'idempotency-mismatch' };

export interface ReserveInput {
  inventoryId: string;
  quantity: number;
  userId: string;
  holdSeconds?: number | undefined;
}

export interface AdjustInput {
  delta: number;
  reason: string;
}

/** Reserve: its ExpireHold is scheduled by the consumer once the hold is made (app/schedule-expiries.ts). */
export function acceptReservation(deps: AcceptDeps, input: ReserveInput, key?: string, trace?: TraceContext) {
  return accept(deps, 'reserve', input, key, trace, (now) => {
    const requestedAt = now.toISOString();
    const expiresAt = new Date(
      now.getTime() + (input.holdSeconds ?? LIMITS.defaultHoldSeconds) * 1000,
    ).toISOString();
    const reservationId = newId('r', now, input.inventoryId);
    const reserve: ReserveCommand = {
      type: 'Reserve',
      commandId: newId('c', now, input.inventoryId),
      inventoryId: input.inventoryId,
      requestedAt,
      reservationId,
      quantity: input.quantity,
      userId: input.userId,
      expiresAt,
    };
    return {
      accepted: {
        inventoryId: input.inventoryId,
        commandId: reserve.commandId,
        reservationId,
        expiresAt,
        acceptedAt: requestedAt,
      },
      commands: [{ command: reserve, at: undefined }],
    };
  });
}

export function acceptSettle(
  deps: AcceptDeps,
  type: 'Confirm' | 'Cancel',
  inventoryId: string,
  reservationId: string,
  key?: string,
  trace?: TraceContext,
) {
  return accept(deps, type.toLowerCase(), { inventoryId, reservationId }, key, trace, (now) => {
    const command: ConfirmCommand | CancelCommand = {
      type,
      commandId: newId('c', now, inventoryId),
      inventoryId,
      requestedAt: now.toISOString(),
      reservationId,
    };
    return {
      accepted: {
        inventoryId,
        commandId: command.commandId,
        reservationId,
        expiresAt: null,
        acceptedAt: command.requestedAt,
      },
      commands: [{ command, at: undefined }],
    };
  });
}

export function acceptAdjustment(
  deps: AcceptDeps,
  inventoryId: string,
  input: AdjustInput,
  key?: string,
  trace?: TraceContext,
) {
  return accept(deps, 'adjust', { inventoryId, ...input }, key, trace, (now) => {
    const command: AdjustCommand = {
      type: 'Adjust',
      commandId: newId('c', now, inventoryId),
      inventoryId,
      requestedAt: now.toISOString(),
      delta: input.delta,
      reason: input.reason,
    };
    return {
      accepted: {
        inventoryId,
        commandId: command.commandId,
        reservationId: null,
        expiresAt: null,
        acceptedAt: command.requestedAt,
      },
      commands: [{ command, at: undefined }],
    };
  });
}

export interface Draft<R = Accepted> {
  accepted: R;
  /** Each command and, when scheduled, when it is due. */
  commands: { command: Command | CartCommand; at: Date | undefined }[];
}

/** Accepts a command (see acceptOnce), timed from the validated request to the durable send. */
export async function accept<R extends object = Accepted>(
  deps: AcceptDeps,
  scope: string,
  body: object,
  key: string | undefined,
  trace: TraceContext | undefined,
  draft: (now: Date) => Draft<R>,
): Promise<AcceptResult<R>> {
  const started = performance.now();
  const type = ACCEPTED_TYPES[scope] ?? scope;
  try {
    const result = await acceptOnce(deps, { scope, body, key, trace, draft });
    const outcome = result.kind === 'accepted' ? (result.replayed ? 'replayed' : 'accepted') : 'mismatch';
    measure.accepted(type, outcome, performance.now() - started);
    return result;
  } catch (error) {
    measure.accepted(type, 'failed', performance.now() - started);
    throw error;
  }
}

/** What `accept` was asked, as acceptOnce takes it. */
interface AcceptRequest<R> {
  scope: string;
  body: object;
  key: string | undefined;
  trace: TraceContext | undefined;
  draft: (now: Date) => Draft<R>;
}

/** The command type each accept scope sends first, as the metrics name it. */
const ACCEPTED_TYPES: Record<string, string> = {
  reserve: 'Reserve',
  confirm: 'Confirm',
  cancel: 'Cancel',
  adjust: 'Adjust',
  cart: 'PlaceCart',
};

/**
 * With an Idempotency-Key, the first request's ids are recorded before sending; a retry with the same
 * body resends the very same messages (queue duplicate detection and the consumer's 409s absorb them)
 * and answers the same 202, and a retry with another body is refused.
 */
async function acceptOnce<R extends object>(
  deps: AcceptDeps,
  { scope, body, key, trace, draft }: AcceptRequest<R>,
): Promise<AcceptResult<R>> {
  const now = deps.clock.now();
  if (key !== undefined) {
    const hash = requestHash(scope, body);
    let claim = await lookup<R>(deps.store, key, hash);
    if (claim.kind === 'fresh') {
      const fresh = draft(now);
      const messages = toMessages(fresh, trace);
      claim = await record(deps.store, key, hash, fresh.accepted, messages, now);
      if (claim.kind === 'fresh') {
        try {
          // The key is durable before the command can be: a command never outlives its key.
          await deps.store.sync();
        } catch (error) {
          await forget(deps.store, key);
          throw error;
        }
        try {
          await deps.queue.send(messages);
        } catch (error) {
          // Free the key only when nothing was accepted, so a retry (even with a corrected body) starts
          // afresh. When the outcome is unknown the key stays: a retry resends the very same ids.
          if (error instanceof QueueUnavailableError && error.outcome === 'not-accepted') {
            await forget(deps.store, key);
          }
          throw error;
        }
        return { kind: 'accepted', replayed: false, ...fresh.accepted };
      }
    }
    if (claim.kind === 'mismatch') return { kind: 'idempotency-mismatch' };
    await deps.queue.send(claim.messages);
    return { kind: 'accepted', replayed: true, ...claim.response };
  }
  const fresh = draft(now);
  await deps.queue.send(toMessages(fresh, trace));
  return { kind: 'accepted', replayed: false, ...fresh.accepted };
}

function toMessages<R>(draft: Draft<R>, trace: TraceContext | undefined): OutgoingCommand[] {
  const applicationProperties: Record<string, string> = {};
  if (trace?.traceparent) {
    applicationProperties.traceparent = trace.traceparent;
    // The Functions Service Bus extension correlates the triggered invocation through Diagnostic-Id.
    applicationProperties['Diagnostic-Id'] = trace.traceparent;
  }
  if (trace?.tracestate) applicationProperties.tracestate = trace.tracestate;
  return draft.commands.map(({ command, at }) => ({
    // An item's commands go to its session, a cart's to the cart's.
    sessionId: 'inventoryId' in command ? command.inventoryId : cartPartition(command.cartId),
    messageId: command.commandId,
    body: command,
    applicationProperties,
    ...(at ? { scheduledEnqueueTime: at } : {}),
  }));
}
