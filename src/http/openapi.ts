import { z } from 'zod';
import type { RouteDef } from './route-types';
import { Problem } from './schemas';

const HEADER_DOCS: Record<string, string> = {
  ETag: 'Version of the item; send it as If-Match to replace the item',
  Location: 'Where to poll for the outcome',
  'Retry-After': 'Seconds to wait before polling or retrying',
};

/**
 * Schemas with an `id` come out of zod as `$ref: '#/$defs/X'` with local `$defs`; inside an OpenAPI document
 * such a ref resolves against the document root, so the definitions move to components/schemas.
 */
function schemaOf(schema: z.ZodType, components: Record<string, unknown>): unknown {
  const json = z.toJSONSchema(schema, {
    target: 'draft-2020-12',
    unrepresentable: 'any',
    io: 'input',
  }) as Record<string, unknown>;
  delete json.$schema;
  const defs = (json.$defs ?? {}) as Record<string, unknown>;
  delete json.$defs;
  for (const [name, def] of Object.entries(defs)) components[name] = toComponentRefs(def);
  return toComponentRefs(json);
}

function toComponentRefs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(toComponentRefs);
  if (!value || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, v]) => [
      key,
      key === '$ref' && typeof v === 'string'
        ? v.replace(/^#\/\$defs\//, '#/components/schemas/')
        : toComponentRefs(v),
    ]),
  );
}

/** OpenAPI 3.1 generated from the route table and the very schemas that validate requests. */
export function buildOpenApi(routes: readonly RouteDef[]): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  const schemas: Record<string, unknown> = {};
  for (const route of routes) {
    const path = `/api/${route.route}`;
    paths[path] ??= {};
    paths[path][route.method.toLowerCase()] = operation(route, schemas);
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
      schemas,
      securitySchemes: { functionKey: { type: 'apiKey', in: 'header', name: 'x-functions-key' } },
    },
    paths,
  };
}

/** One route's operation; the schemas it names are added to `schemas`. */
function operation(route: RouteDef, schemas: Record<string, unknown>): Record<string, unknown> {
  return {
    operationId: route.name,
    summary: route.doc.summary,
    security: route.authLevel === 'anonymous' ? [] : [{ functionKey: [] }],
    parameters: parameters(route, schemas),
    ...(route.doc.body
      ? {
          requestBody: {
            required: true,
            content: { 'application/json': { schema: schemaOf(route.doc.body, schemas) } },
          },
        }
      : {}),
    responses: Object.fromEntries(
      Object.entries({ ...commonResponses(route), ...route.doc.responses }).map(([status, r]) => [
        status,
        response(r, schemas),
      ]),
    ),
  };
}

function parameters(route: RouteDef, schemas: Record<string, unknown>): unknown[] {
  const path = [...route.route.matchAll(/\{(\w+)\}/g)].map((m) => ({
    name: m[1],
    in: 'path',
    required: true,
    schema: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$' },
  }));
  const query = route.doc.query
    ? Object.entries(route.doc.query.shape).map(([name, schema]) => ({
        name,
        in: 'query',
        required: false,
        schema: schemaOf(schema as z.ZodType, schemas),
      }))
    : [];
  const headers = (route.doc.headers ?? []).map((h) => ({
    name: h.name,
    in: 'header',
    required: h.required ?? false,
    description: h.description,
    schema: { type: 'string' },
  }));
  return [...path, ...query, ...headers];
}

type ResponseDoc = RouteDef['doc']['responses'][number];

function response(r: ResponseDoc, schemas: Record<string, unknown>): Record<string, unknown> {
  return {
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
            [r.schema === Problem ? 'application/problem+json' : 'application/json']: {
              schema: schemaOf(r.schema, schemas),
            },
          },
        }
      : {}),
  };
}

/** What any route can answer besides its own outcomes: auth, cross-site refusal, body limits, outages. */
function commonResponses(route: RouteDef): RouteDef['doc']['responses'] {
  const responses: RouteDef['doc']['responses'] = {};
  if (route.authLevel !== 'anonymous') {
    responses[401] = {
      description: 'No key, or the wrong one (a function key on Azure, API_KEY on one machine)',
      schema: Problem,
    };
  }
  if (route.method !== 'GET') {
    responses[403] = { description: 'A browser request from another site (one machine)', schema: Problem };
  }
  if (route.method !== 'GET') {
    responses[413] = { description: 'Body larger than 64 KiB', schema: Problem };
  }
  if (route.doc.body) {
    responses[415] = { description: 'Body not application/json', schema: Problem };
  }
  if (!route.doc.noBackend) {
    responses[503] = {
      description: 'The store or the queue is unavailable; retry after Retry-After',
      schema: Problem,
      headers: ['Retry-After'],
    };
  }
  return responses;
}
