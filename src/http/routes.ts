import type { HttpResponseInit, InvocationContext } from '@azure/functions';
import { z } from 'zod';
import type { ServicesProvider } from '../app/services';
import { InvalidContinuationError, TransientStoreError } from '../ports/store';
import { QueueUnavailableError } from '../ports/queue';
import { getInventoryAudit, listInventory } from './handlers/audit';
import { cancelCart, confirmCart, getCartStatus, postCart } from './handlers/carts';
import { discardDeadLetter, listDeadLetters, resubmitDeadLetter } from './handlers/dead-letters';
import { getInventory, getLedger, postAdjustment, putInventory } from './handlers/items';
import { json } from './handlers/respond';
import {
  cancelReservation,
  confirmReservation,
  getCommandStatus,
  getReservationStatus,
  listItemReservations,
  postReservation,
} from './handlers/reservations';
import { health } from './handlers/system';
import { buildOpenApi } from './openapi';
import { ProblemError, problemResponse } from './problem';
import type { ApiRequest, RouteDef } from './route-types';

const openApiRoute: RouteDef = {
  name: 'openapi',
  route: 'openapi.json',
  method: 'GET',
  authLevel: 'anonymous',
  doc: {
    summary: 'This OpenAPI 3.1 document',
    noBackend: true,
    responses: { 200: { description: 'The document', schema: z.looseObject({ openapi: z.string() }) } },
  },
  handle: () => Promise.resolve(json(200, openApi())),
};

/** The one route table: registered with `app.http` on Azure and served by the local host. */
export const ROUTES: readonly RouteDef[] = [
  putInventory,
  getInventory,
  postAdjustment,
  getLedger,
  getInventoryAudit,
  listInventory,
  postReservation,
  getReservationStatus,
  confirmReservation,
  cancelReservation,
  listItemReservations,
  getCommandStatus,
  postCart,
  getCartStatus,
  confirmCart,
  cancelCart,
  listDeadLetters,
  resubmitDeadLetter,
  discardDeadLetter,
  health,
  openApiRoute,
];

let document: Record<string, unknown> | undefined;

/** Built on first request, not at start-up: every Functions worker loads this module, few ask for it. */
function openApi(): Record<string, unknown> {
  return (document ??= buildOpenApi(ROUTES));
}

export interface BoundRoute extends Omit<RouteDef, 'handle'> {
  /** Assignable to the Functions host's HttpHandler: its HttpRequest is an ApiRequest. */
  handler: (request: ApiRequest, context: InvocationContext) => Promise<HttpResponseInit>;
}

/** Binds the table to a services provider and maps every failure to a problem document. */
export function bindRoutes(services: ServicesProvider): BoundRoute[] {
  return ROUTES.map((definition) => ({
    name: definition.name,
    route: definition.route,
    method: definition.method,
    authLevel: definition.authLevel,
    doc: definition.doc,
    handler: async (request: ApiRequest, context: InvocationContext): Promise<HttpResponseInit> => {
      try {
        return await definition.handle(request, context, await services());
      } catch (error) {
        return toProblem(error, new URL(request.url).pathname, context);
      }
    },
  }));
}

export function toProblem(error: unknown, instance: string, context: InvocationContext): HttpResponseInit {
  if (error instanceof ProblemError) {
    return problemResponse(
      error.status,
      error.slug,
      error.title,
      error.detail,
      instance,
      error.errors,
      error.headers,
    );
  }
  if (error instanceof InvalidContinuationError) {
    return problemResponse(
      400,
      'validation-error',
      'Invalid request',
      'continuation: not a token this API issued',
      instance,
      [{ field: 'continuation', message: 'not a token this API issued' }],
    );
  }
  if (error instanceof QueueUnavailableError) return queueUnavailable(error, instance, context);
  if (error instanceof TransientStoreError) return storeUnavailable(error, instance);
  context.error(
    JSON.stringify({ msg: 'unhandled error', error: error instanceof Error ? error.stack : String(error) }),
  );
  return problemResponse(
    500,
    'internal-error',
    'Internal error',
    'the request could not be processed',
    instance,
  );
}

function queueUnavailable(
  error: QueueUnavailableError,
  instance: string,
  context: InvocationContext,
): HttpResponseInit {
  const unknown = error.outcome === 'unknown';
  context.warn(
    JSON.stringify({
      msg: `queue unavailable; ${unknown ? 'outcome unknown' : 'nothing accepted'}`,
      error: error.message,
    }),
  );
  const detail = unknown
    ? 'the command queue failed while storing the command; it may still be applied. Retry with the same Idempotency-Key to get its ids'
    : 'the command queue is unavailable; nothing was accepted, retry later';
  return problemResponse(503, 'queue-unavailable', 'Service unavailable', detail, instance, [], {
    'retry-after': String(error.retryAfterSeconds),
  });
}

function storeUnavailable(error: TransientStoreError, instance: string): HttpResponseInit {
  const seconds = Math.max(1, Math.ceil((error.retryAfterMs ?? 1000) / 1000));
  return problemResponse(
    503,
    'store-unavailable',
    'Service unavailable',
    `the store is ${error.kind}; retry later`,
    instance,
    [],
    { 'retry-after': String(seconds) },
  );
}
