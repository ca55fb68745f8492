import { z } from 'zod';
import type { RouteDef } from './route-types';

const HEADER_DOCS: Record<string, string> = {
  ETag: 'Version of the item; send it as If-Match to replace the item',
  Location: 'Where to poll for the outcome',
  'Retry-After': 'Seconds to wait before polling or retrying',
};

function schemaOf(schema: z.ZodType): unknown {
  const json = z.toJSONSchema(schema, { target: 'draft-2020-12', unrepresentable: 'any', io: 'input' }) as Record<
    string,
    unknown
  >;
  delete json.$schema;
  return json;
}

/** OpenAPI 3.1 generated from the route table and the very schemas that validate requests. */
export function buildOpenApi(routes: readonly RouteDef[]): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const path = `/api/${route.route}`;
    const params = [...route.route.matchAll(/\{(\w+)\}/g)].map((m) => ({
      name: m[1],
      in: 'path',
      required: true,
      schema: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$' },
    }));
    const queryParams = route.doc.query
      ? Object.entries(route.doc.query.shape).map(([name, schema]) => ({
          name,
          in: 'query',
          required: false,
          schema: schemaOf(schema as z.ZodType),
        }))
      : [];
    const headerParams = (route.doc.headers ?? []).map((h) => ({
      name: h.name,
      in: 'header',
      required: h.required ?? false,
      description: h.description,
      schema: { type: 'string' },
    }));
    const responses = Object.fromEntries(
      Object.entries(route.doc.responses).map(([status, r]) => [
        status,
        {
          description: r.description,
          ...(r.headers
            ? {
                headers: Object.fromEntries(
                  r.headers.map((h) => [h, { description: HEADER_DOCS[h] ?? h, schema: { type: 'string' } }]),
                ),
              }
            : {}),
          ...(r.schema
            ? {
                content: {
                  [Number(status) >= 400 && status !== '503' ? 'application/problem+json' : 'application/json']: {
                    schema: schemaOf(r.schema),
                  },
                },
              }
            : {}),
        },
      ]),
    );
    paths[path] ??= {};
    paths[path][route.method.toLowerCase()] = {
      operationId: route.name,
      summary: route.doc.summary,
      security: route.authLevel === 'function' ? [{ functionKey: [] }] : [],
      parameters: [...params, ...queryParams, ...headerParams],
      ...(route.doc.body
        ? { requestBody: { required: true, content: { 'application/json': { schema: schemaOf(route.doc.body) } } } }
        : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Inventory reservations',
      version: '1.0.0',
      description:
        'Reserve stock without overselling. Commands are accepted with 202 and applied in order per item; poll the Location for the outcome.',
    },
    servers: [{ url: '/' }],
    components: {
      securitySchemes: { functionKey: { type: 'apiKey', in: 'header', name: 'x-functions-key' } },
    },
    paths,
  };
}
