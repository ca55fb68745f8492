import { acceptReservation, acceptSettle } from '../../app/accept';
import type { HttpResponseInit } from '@azure/functions';
import { getCommand, getReservation, listReservations, type StatusResult } from '../../app/queries';
import { baseUrl, idempotencyKey, pathId, queryObject, readJson, validate } from '../request';
import type { RouteDef } from '../route-types';
import {
  AcceptedView,
  CommandView,
  ListReservationsQuery,
  PageOf,
  Problem,
  ReservationBody,
  ReservationView,
} from '../schemas';
import { notFound } from './items';
import {
  accepted,
  acceptedResponsesOf,
  json,
  keyHeader,
  pageLinks,
  RETRY_AFTER_SECONDS,
  traceOf,
} from './respond';
import { acceptedView, commandView, failedView, reservationView } from './views';

const acceptedResponses = acceptedResponsesOf(AcceptedView, 'Accepted and durable; poll Location');

export const postReservation: RouteDef = {
  name: 'postReservation',
  route: 'reservations',
  method: 'POST',
  authLevel: 'function',
  doc: {
    summary: 'Reserve stock (asynchronous)',
    body: ReservationBody,
    headers: keyHeader,
    responses: acceptedResponses,
  },
  async handle(request, context, services) {
    const key = idempotencyKey(request);
    const body = await readJson(request, ReservationBody);
    const result = await acceptReservation(services, body, key, traceOf(request, context));
    const url =
      result.kind === 'accepted'
        ? `${baseUrl(request)}/api/inventory/${result.inventoryId}/reservations/${result.reservationId ?? ''}`
        : '';
    return accepted(result, url, acceptedView);
  },
};

const settleRoute = (type: 'Confirm' | 'Cancel'): RouteDef => ({
  name: `${type.toLowerCase()}Reservation`,
  route: `inventory/{inventoryId}/reservations/{reservationId}/${type.toLowerCase()}`,
  method: 'POST',
  authLevel: 'function',
  doc: {
    summary: `${type} a held reservation (asynchronous)`,
    headers: keyHeader,
    responses: acceptedResponses,
  },
  async handle(request, context, services) {
    const inventoryId = pathId(request, 'inventoryId');
    const reservationId = pathId(request, 'reservationId');
    const key = idempotencyKey(request);
    const result = await acceptSettle(
      services,
      type,
      inventoryId,
      reservationId,
      key,
      traceOf(request, context),
    );
    const url =
      result.kind === 'accepted'
        ? `${baseUrl(request)}/api/inventory/${inventoryId}/commands/${result.commandId}`
        : '';
    return accepted(result, url, acceptedView);
  },
});

export const confirmReservation = settleRoute('Confirm');
export const cancelReservation = settleRoute('Cancel');

/** The async request-reply status resource: the decision, `failed`, `pending` with Retry-After, or 404. */
export function statusResponse<T>(
  status: StatusResult<T>,
  view: (doc: T) => object,
  ids: Record<string, string>,
  kind: string,
  id: string,
): HttpResponseInit {
  switch (status.kind) {
    case 'decided':
      return json(200, view(status.doc), { 'cache-control': 'no-store' });
    case 'failed':
      return json(200, { ...ids, ...failedView(status.failure) }, { 'cache-control': 'no-store' });
    case 'pending':
      return json(
        200,
        { ...ids, status: 'pending' },
        { 'retry-after': String(RETRY_AFTER_SECONDS), 'cache-control': 'no-store' },
      );
    case 'not-found':
      throw notFound(kind, id);
  }
}

export const getReservationStatus: RouteDef = {
  name: 'getReservation',
  route: 'inventory/{inventoryId}/reservations/{reservationId}',
  method: 'GET',
  authLevel: 'function',
  doc: {
    summary: 'Status of a reservation: pending until decided',
    responses: {
      200: {
        description:
          'Decided, failed (given up on after every delivery failed), or pending (then with Retry-After)',
        schema: ReservationView,
      },
      400: { description: 'Invalid id', schema: Problem },
      404: { description: 'Never accepted', schema: Problem },
    },
  },
  async handle(request, _context, services) {
    const inventoryId = pathId(request, 'inventoryId');
    const reservationId = pathId(request, 'reservationId');
    const status = await getReservation(services, inventoryId, reservationId);
    return statusResponse(
      status,
      reservationView,
      { reservationId, inventoryId },
      'reservation',
      reservationId,
    );
  },
};

export const getCommandStatus: RouteDef = {
  name: 'getCommand',
  route: 'inventory/{inventoryId}/commands/{commandId}',
  method: 'GET',
  authLevel: 'function',
  doc: {
    summary: 'Outcome of a confirm, cancel or adjustment: pending until decided',
    responses: {
      200: { description: 'Decided, failed, or pending (then with Retry-After)', schema: CommandView },
      400: { description: 'Invalid id', schema: Problem },
      404: { description: 'Never accepted', schema: Problem },
    },
  },
  async handle(request, _context, services) {
    const inventoryId = pathId(request, 'inventoryId');
    const commandId = pathId(request, 'commandId');
    const status = await getCommand(services, inventoryId, commandId);
    return statusResponse(status, commandView, { commandId, inventoryId }, 'command', commandId);
  },
};

export const listItemReservations: RouteDef = {
  name: 'listReservations',
  route: 'inventory/{inventoryId}/reservations',
  method: 'GET',
  authLevel: 'function',
  doc: {
    summary: "An item's reservations, optionally by status, paged",
    query: ListReservationsQuery,
    responses: {
      200: { description: 'A page of reservations', schema: PageOf(ReservationView) },
      400: { description: 'Invalid query', schema: Problem },
    },
  },
  async handle(request, _context, services) {
    const inventoryId = pathId(request, 'inventoryId');
    const query = validate(ListReservationsQuery, queryObject(request), '');
    const page = await listReservations(
      services,
      inventoryId,
      query.status,
      query.limit ?? 100,
      query.continuation,
    );
    const next = pageLinks(
      `${baseUrl(request)}/api/inventory/${inventoryId}/reservations`,
      { status: query.status, limit: query.limit?.toString() },
      page.continuation,
    );
    return json(200, { items: page.items.map(reservationView), continuation: page.continuation, next });
  },
};
