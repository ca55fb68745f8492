import type { ApiClient, ProblemView } from '../support/http-client';
import { useInProcessHost } from '../support/in-process-host';

/**
 * GET /openapi.json against the in-process host: an OpenAPI 3.1 document naming every route (each really
 * routed) and the request schemas the API validates against.
 */

let api: ApiClient;
useInProcessHost('e2e-openapi-', (started) => {
  api = started.api;
});

describe('bad input (in-process host)', () => {
  test('GET /openapi.json is an OpenAPI 3.1 document with every route and the request schemas', async () => {
    const res = await api.get<OpenApiDoc>('/openapi.json');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/json');
    const doc = res.body;
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect(doc.info).toMatchObject({ title: expect.any(String), version: expect.any(String) });

    const expected: Record<string, string[]> = {
      '/api/inventory': ['get'],
      '/api/inventory/{inventoryId}': ['get', 'put'],
      '/api/inventory/{inventoryId}/adjustments': ['post'],
      '/api/inventory/{inventoryId}/ledger': ['get'],
      '/api/inventory/{inventoryId}/audit': ['get'],
      '/api/reservations': ['post'],
      '/api/inventory/{inventoryId}/reservations': ['get'],
      '/api/inventory/{inventoryId}/reservations/{reservationId}': ['get'],
      '/api/inventory/{inventoryId}/reservations/{reservationId}/confirm': ['post'],
      '/api/inventory/{inventoryId}/reservations/{reservationId}/cancel': ['post'],
      '/api/inventory/{inventoryId}/commands/{commandId}': ['get'],
      '/api/carts': ['post'],
      '/api/carts/{cartId}': ['get'],
      '/api/carts/{cartId}/confirm': ['post'],
      '/api/carts/{cartId}/cancel': ['post'],
      '/api/ops/dead-letters': ['get'],
      '/api/ops/dead-letters/{messageId}/resubmit': ['post'],
      '/api/ops/dead-letters/{messageId}/discard': ['post'],
      '/api/health': ['get'],
      '/api/openapi.json': ['get'],
    };
    expect(Object.keys(doc.paths).sort()).toEqual(Object.keys(expected).sort());
    const operationIds = new Set<string>();
    for (const [p, methods] of Object.entries(expected)) {
      expect({ path: p, methods: Object.keys(doc.paths[p] ?? {}).sort() }).toEqual({ path: p, methods });
      const names = [...p.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      for (const method of methods) {
        const op = doc.paths[p]?.[method];
        expect(op?.operationId).toEqual(expect.any(String));
        operationIds.add(op?.operationId ?? '');
        expect(Object.keys(op?.responses ?? {}).length).toBeGreaterThan(0);
        const pathParams = (op?.parameters ?? []).filter((param) => param.in === 'path');
        expect(pathParams.map((param) => param.name)).toEqual(names);
        for (const param of pathParams)
          expect(param).toMatchObject({ required: true, schema: { type: 'string' } });
      }
    }
    expect(operationIds.size).toBe(21);

    // Every $ref resolves inside this document (relative refs resolve against the document root).
    const refs = collectRefs(doc);
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs)
      expect({ ref, resolves: resolvePointer(doc, ref) !== undefined }).toEqual({ ref, resolves: true });

    const bodyOf = (p: string, method: string) =>
      deref(doc, doc.paths[p]?.[method]?.requestBody?.content?.['application/json']?.schema) as
        JsonSchema | undefined;
    const reservation = bodyOf('/api/reservations', 'post');
    expect(reservation).toMatchObject({ type: 'object', additionalProperties: false });
    expect([...(reservation?.required ?? [])].sort()).toEqual(['inventoryId', 'quantity', 'userId']);
    expect(reservation?.properties?.quantity).toMatchObject({
      type: 'integer',
      minimum: 1,
      maximum: 1_000_000,
    });
    expect(reservation?.properties?.holdSeconds).toMatchObject({
      type: 'integer',
      minimum: 1,
      maximum: 86_400,
    });
    expect(reservation?.properties?.inventoryId).toMatchObject({
      type: 'string',
      pattern: expect.any(String),
    });
    const cart = bodyOf('/api/carts', 'post');
    expect([...(cart?.required ?? [])].sort()).toEqual(['lines', 'userId']);
    expect(cart?.properties?.lines).toMatchObject({ type: 'array', minItems: 1, maxItems: 50 });
    const put = bodyOf('/api/inventory/{inventoryId}', 'put');
    expect(put?.required).toEqual(['available']);
    expect(put?.properties?.available).toMatchObject({ type: 'integer', minimum: 0 });
    const adjust = bodyOf('/api/inventory/{inventoryId}/adjustments', 'post');
    expect([...(adjust?.required ?? [])].sort()).toEqual(['delta', 'reason']);
    expect(adjust?.properties?.delta).toMatchObject({ type: 'integer' });

    // The status filter of the listing is the set of stored statuses.
    const list = doc.paths['/api/inventory/{inventoryId}/reservations']?.get;
    const status = list?.parameters?.find((param) => param.name === 'status' && param.in === 'query');
    expect((deref(doc, status?.schema) as JsonSchema | undefined)?.enum).toEqual([
      'held',
      'rejected',
      'confirmed',
      'cancelled',
      'expired',
    ]);
    // 202 answers document Location; errors are problem documents.
    const accepted = doc.paths['/api/reservations']?.post?.responses?.['202'] as
      Record<string, unknown> | undefined;
    expect(Object.keys((accepted?.headers as object | undefined) ?? {})).toContain('Location');
    const bad = doc.paths['/api/reservations']?.post?.responses?.['400'] as { content?: object } | undefined;
    expect(Object.keys(bad?.content ?? {})).toEqual(['application/problem+json']);

    // Every documented operation is really routed (no route-level 404 or 405 for it).
    for (const [p, methods] of Object.entries(expected)) {
      for (const method of methods) {
        const concrete = p.replace(/^\/api/, '').replace(/\{\w+\}/g, 'probe-1');
        // Writes carry an invalid Idempotency-Key or no body, so a probe is refused before anything is sent.
        const options = method === 'get' ? {} : { body: '', headers: { 'idempotency-key': 'not valid' } };
        const probe = await api.request<ProblemView>(method.toUpperCase(), concrete, options);
        // A resubmit or discard takes no body: its probe names no dead letter, a 404 problem (not a missing route).
        const refusals = /\/(resubmit|discard)$/.test(p) ? [404] : [400, 415];
        if (method !== 'get') expect(refusals).toContain(probe.status);
        expect({ op: `${method} ${p}`, status: probe.status }).not.toEqual({
          op: `${method} ${p}`,
          status: 405,
        });
        expect(probe.body?.detail ?? '').not.toMatch(/^no route/);
      }
    }
  }, 15_000);
});

function collectRefs(value: unknown, found: string[] = []): string[] {
  if (Array.isArray(value)) value.forEach((v) => collectRefs(v, found));
  else if (value && typeof value === 'object') {
    for (const [key, v] of Object.entries(value)) {
      if (key === '$ref' && typeof v === 'string') found.push(v);
      else collectRefs(v, found);
    }
  }
  return found;
}

/** Resolves a local JSON pointer (`#/a/b`) against the document root; undefined if it does not resolve. */
function resolvePointer(doc: unknown, ref: string): unknown {
  if (!ref.startsWith('#/')) return undefined;
  let node: unknown = doc;
  for (const raw of ref.slice(2).split('/')) {
    const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (!node || typeof node !== 'object' || !(key in node)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

/** Follows `$ref`s (bounded) to the schema they name. */
function deref(doc: unknown, schema: unknown): unknown {
  let node = schema;
  for (let hops = 0; hops < 10; hops++) {
    const ref = (node as { $ref?: unknown } | undefined)?.$ref;
    if (typeof ref !== 'string') return node;
    node = resolvePointer(doc, ref);
  }
  return node;
}

interface JsonSchema {
  type?: string;
  required?: string[];
  properties?: Record<string, JsonSchema & Record<string, unknown>>;
  additionalProperties?: boolean;
  enum?: unknown[];
  [key: string]: unknown;
}

interface OpenApiDoc {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<
    string,
    Record<
      string,
      {
        operationId?: string;
        parameters?: { name: string; in: string; required?: boolean; schema?: unknown }[];
        requestBody?: { content?: Record<string, { schema?: unknown }> };
        responses?: Record<string, unknown>;
      }
    >
  >;
}
