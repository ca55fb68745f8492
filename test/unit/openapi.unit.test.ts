import { buildOpenApi } from '../../src/http/openapi';
import { ROUTES } from '../../src/http/routes';

/** The OpenAPI document names every status and media type each route can answer. */

interface Operation {
  requestBody?: unknown;
  responses: Record<string, { content?: Record<string, unknown>; headers?: Record<string, unknown> }>;
}

const doc = buildOpenApi(ROUTES) as { paths: Record<string, Record<string, Operation>> };
const operations = Object.entries(doc.paths).flatMap(([path, methods]) =>
  Object.entries(methods).map(([method, op]) => ({
    name: `${method.toUpperCase()} ${path}`,
    method,
    path,
    op,
  })),
);
const statuses = (op: Operation) => Object.keys(op.responses).map(Number);
const mediaTypes = (op: Operation, status: number) => Object.keys(op.responses[status]?.content ?? {});

describe('the OpenAPI document', () => {
  it('gives every answer of every route a media type, and every error application/problem+json', () => {
    for (const { name, path, op } of operations) {
      for (const status of statuses(op)) {
        const expected =
          status < 400 || (path === '/api/health' && status === 503)
            ? ['application/json']
            : ['application/problem+json'];
        expect({ name, status, media: mediaTypes(op, status) }).toEqual({ name, status, media: expected });
      }
    }
  });

  it('lists 401 on every route behind a key and on no anonymous one', () => {
    for (const route of ROUTES) {
      const op = doc.paths[`/api/${route.route}`]?.[route.method.toLowerCase()];
      expect({ name: route.name, has401: statuses(op as Operation).includes(401) }).toEqual({
        name: route.name,
        has401: route.authLevel !== 'anonymous',
      });
    }
  });

  it('lists 413 on every route that reads a body, and 415 with 400 on every route that takes JSON', () => {
    for (const { name, method, op } of operations) {
      const codes = statuses(op);
      if (method !== 'get') expect({ name, has413: codes.includes(413) }).toEqual({ name, has413: true });
      if (op.requestBody !== undefined) {
        expect({ name, codes: [400, 415].filter((c) => codes.includes(c)) }).toEqual({
          name,
          codes: [400, 415],
        });
      }
    }
  });

  it('lists 428 and 412 on PUT /inventory/{inventoryId}', () => {
    const put = doc.paths['/api/inventory/{inventoryId}']?.put as Operation;
    expect(statuses(put)).toEqual(expect.arrayContaining([200, 201, 412, 428]));
  });

  it('lists 503 with Retry-After on every route that reaches the store or the queue, and not on the document itself', () => {
    for (const { name, path, op } of operations) {
      const unavailable = op.responses[503];
      if (path === '/api/openapi.json') {
        expect(unavailable).toBeUndefined();
        continue;
      }
      expect({ name, has503: unavailable !== undefined }).toEqual({ name, has503: true });
      if (path !== '/api/health') expect(Object.keys(unavailable?.headers ?? {})).toContain('Retry-After');
    }
  });
});
