import { acceptAdjustment } from '../../app/accept';
import { putItem } from '../../app/items';
import { getItem, listLedger } from '../../app/queries';
import { ProblemError } from '../problem';
import { baseUrl, idempotencyKey, pathId, queryObject, readJson, validate } from '../request';
import type { RouteDef } from '../route-types';
import {
  AcceptedView,
  AdjustmentBody,
  ItemView,
  LedgerEventView,
  LedgerQuery,
  PageOf,
  Problem,
  PutItemBody,
} from '../schemas';
import { accepted, json, keyHeader, pageLinks, traceOf } from './respond';
import { acceptedView, eventView, itemView } from './views';

const problems = {
  400: { description: 'Invalid input; the problem names the field', schema: Problem },
};

export const putInventory: RouteDef = {
  name: 'putInventory',
  route: 'inventory/{inventoryId}',
  method: 'PUT',
  authLevel: 'function',
  doc: {
    summary: 'Create an item, or replace it (If-Match required)',
    body: PutItemBody,
    headers: [{ name: 'If-Match', description: 'ETag of the item being replaced; required when it exists' }],
    responses: {
      201: { description: 'Created', schema: ItemView, headers: ['ETag', 'Location'] },
      200: { description: 'Replaced', schema: ItemView, headers: ['ETag'] },
      ...problems,
      412: { description: 'If-Match is stale', schema: Problem },
      428: { description: 'The item exists and If-Match is missing', schema: Problem },
    },
  },
  async handle(request, _context, services) {
    const inventoryId = pathId(request, 'inventoryId');
    const body = await readJson(request, PutItemBody);
    const ifMatch = request.headers.get('if-match') ?? undefined;
    const result = await putItem(
      services,
      {
        inventoryId,
        available: body.available,
        ...(body.name !== undefined ? { name: body.name } : {}),
        ...(body.maxPerUser !== undefined ? { maxPerUser: body.maxPerUser } : {}),
      },
      ifMatch,
    );
    switch (result.kind) {
      case 'created':
        return json(201, itemView(result.item), {
          etag: result.etag,
          location: `${baseUrl(request)}/api/inventory/${inventoryId}`,
        });
      case 'replaced':
        return json(200, itemView(result.item), { etag: result.etag });
      case 'precondition-required':
        throw new ProblemError(
          428,
          'precondition-required',
          'If-Match required',
          `inventory ${inventoryId} exists; send If-Match with its ETag to replace it`,
          [{ field: 'If-Match', message: 'required to replace an existing item' }],
        );
      case 'precondition-failed':
        throw preconditionFailed(inventoryId, ifMatch ?? '', result.etag);
    }
  },
};

/** A 412 that says which of the three it is: no such item, a malformed ETag, or a stale one. */
function preconditionFailed(inventoryId: string, ifMatch: string, current: string | null): ProblemError {
  const [detail, message] =
    current === null
      ? [
          `inventory ${inventoryId} does not exist, so If-Match cannot match; send no If-Match to create it`,
          'matches only an existing item',
        ]
      : !/^\s*(\*|(W\/)?"[^"]*"(\s*,\s*(W\/)?"[^"]*")*)\s*$/.test(ifMatch)
        ? [
            `If-Match must be * or a quoted ETag as the item's ETag header gives it, such as ${current}`,
            'must be * or a quoted ETag',
          ]
        : [
            `inventory ${inventoryId} has changed; read it again and retry with the new ETag`,
            'does not match the current ETag',
          ];
  return new ProblemError(
    412,
    'precondition-failed',
    'Precondition failed',
    detail,
    [{ field: 'If-Match', message }],
    current ? { etag: current } : {},
  );
}

export const getInventory: RouteDef = {
  name: 'getInventory',
  route: 'inventory/{inventoryId}',
  method: 'GET',
  authLevel: 'function',
  doc: {
    summary: 'Counters of an item, with its ETag',
    responses: {
      200: { description: 'The item', schema: ItemView, headers: ['ETag'] },
      ...problems,
      404: { description: 'Unknown item', schema: Problem },
    },
  },
  async handle(request, _context, services) {
    const inventoryId = pathId(request, 'inventoryId');
    const found = await getItem(services, inventoryId);
    if (!found) throw notFound('inventory', inventoryId);
    return json(200, itemView(found.doc), { etag: found.etag, 'cache-control': 'no-store' });
  },
};

export const postAdjustment: RouteDef = {
  name: 'postAdjustment',
  route: 'inventory/{inventoryId}/adjustments',
  method: 'POST',
  authLevel: 'function',
  doc: {
    summary: 'Restock or write off through the ordered path',
    body: AdjustmentBody,
    headers: keyHeader,
    responses: {
      202: {
        description: 'Accepted; poll Location',
        schema: AcceptedView,
        headers: ['Location', 'Retry-After'],
      },
      ...problems,
      422: { description: 'Idempotency-Key reused with a different body', schema: Problem },
      503: {
        description: 'Queue unavailable; nothing was accepted',
        schema: Problem,
        headers: ['Retry-After'],
      },
    },
  },
  async handle(request, context, services) {
    const inventoryId = pathId(request, 'inventoryId');
    const key = idempotencyKey(request);
    const body = await readJson(request, AdjustmentBody);
    const result = await acceptAdjustment(services, inventoryId, body, key, traceOf(request, context));
    const url =
      result.kind === 'accepted'
        ? `${baseUrl(request)}/api/inventory/${inventoryId}/commands/${result.commandId}`
        : '';
    return accepted(result, url, acceptedView);
  },
};

export const getLedger: RouteDef = {
  name: 'getLedger',
  route: 'inventory/{inventoryId}/ledger',
  method: 'GET',
  authLevel: 'function',
  doc: {
    summary: "The item's ledger events in sequence order, paged",
    query: LedgerQuery,
    responses: { 200: { description: 'A page of events', schema: PageOf(LedgerEventView) }, ...problems },
  },
  async handle(request, _context, services) {
    const inventoryId = pathId(request, 'inventoryId');
    const query = validate(LedgerQuery, queryObject(request), '');
    const page = await listLedger(services, inventoryId, query.limit ?? 100, query.continuation);
    const next = pageLinks(
      `${baseUrl(request)}/api/inventory/${inventoryId}/ledger`,
      { limit: query.limit?.toString() },
      page.continuation,
    );
    return json(200, { items: page.items.map(eventView), continuation: page.continuation, next });
  },
};

export function notFound(kind: string, id: string): ProblemError {
  return new ProblemError(404, 'not-found', 'Not found', `${kind} ${id} does not exist`);
}
