import { auditInventory } from '../../app/audit';
import { listItems } from '../../app/queries';
import { AuditView, ListItemsQuery } from '../audit-schemas';
import { ProblemError } from '../problem';
import { baseUrl, pathId, queryObject, validate } from '../request';
import type { RouteDef } from '../route-types';
import { ItemView, PageOf, Problem } from '../schemas';
import { notFound } from './items';
import { json, pageLinks } from './respond';
import { itemView } from './views';

export const getInventoryAudit: RouteDef = {
  name: 'getInventoryAudit',
  route: 'inventory/{inventoryId}/audit',
  method: 'GET',
  authLevel: 'function',
  doc: {
    summary: "The item's ledger replayed and compared with its counters, reservations and user tallies",
    responses: {
      200: { description: '`consistent`, or every difference found', schema: AuditView },
      400: { description: 'Invalid inventory id', schema: Problem },
      404: { description: 'Unknown item', schema: Problem },
      503: {
        description:
          'The store is unavailable, or the item changed each time it was read; retry after Retry-After',
        schema: Problem,
        headers: ['Retry-After'],
      },
    },
  },
  async handle(request, _context, services) {
    const inventoryId = pathId(request, 'inventoryId');
    const outcome = await auditInventory(services, inventoryId);
    switch (outcome.kind) {
      case 'audited':
        return json(200, { inventoryId, ...outcome.result }, { 'cache-control': 'no-store' });
      case 'not-found':
        throw notFound('inventory', inventoryId);
      case 'unsettled':
        throw new ProblemError(
          503,
          'audit-unsettled',
          'Service unavailable',
          `inventory ${inventoryId} changed while it was read, ${outcome.attempts} times; retry when it is quieter`,
          [],
          { 'retry-after': '1' },
        );
    }
  },
};

export const listInventory: RouteDef = {
  name: 'listInventory',
  route: 'inventory',
  method: 'GET',
  authLevel: 'function',
  doc: {
    summary: 'Every item, paged (a query across partitions: for operations tools, not hot paths)',
    query: ListItemsQuery,
    responses: {
      200: { description: 'A page of items', schema: PageOf(ItemView) },
      400: { description: 'Invalid query', schema: Problem },
    },
  },
  async handle(request, _context, services) {
    const query = validate(ListItemsQuery, queryObject(request), '');
    const page = await listItems(services, query.limit ?? 100, query.continuation);
    const next = pageLinks(
      `${baseUrl(request)}/api/inventory`,
      { limit: query.limit?.toString() },
      page.continuation,
    );
    return json(200, { items: page.items.map(itemView), continuation: page.continuation, next });
  },
};
