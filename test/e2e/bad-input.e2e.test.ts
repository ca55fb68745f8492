import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { localSettings, startHost, type Host } from '../../src/local/host';
import { ApiClient, loopback, type ProblemView } from '../support/http-client';
import { embeddedQueueOf } from '../support/embedded-queue';

/**
 * Bad input through HTTP against the in-process host: every refusal is a 4xx problem document naming the
 * field, nothing reaches the queue or the ledger, and the host keeps serving.
 */

let host: Host;
let api: ApiClient;
let dataDir: string;
/** Every batch handed to the queue: bad input must never reach it. */
let sendCalls: jest.SpyInstance;
const SKU = 'bad-input-sku';
const VALID = { inventoryId: SKU, quantity: 1, userId: 'user-1' };

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'e2e-bad-'));
  host = await startHost(localSettings({ dataDir }), () => undefined);
  api = new ApiClient(loopback(host.url));
  const queue = embeddedQueueOf(host);
  sendCalls = jest.spyOn(queue, 'send');
  await api.createItem(SKU, 10);
}, 20_000);

afterAll(async () => {
  await host?.stop();
  rmSync(dataDir, { recursive: true, force: true });
}, 20_000);

/** What would change if anything had been accepted: queue sends, queued messages, the item's ledger. */
async function footprint() {
  const queue = embeddedQueueOf(host);
  const counts = queue.counts();
  const { item } = await api.getItem(SKU);
  const reservations = await api.reservations(SKU);
  return {
    sends: sendCalls.mock.calls.length,
    queued: counts.active + counts.scheduled,
    deadLettered: counts.deadLettered,
    seq: item.seq,
    counters: [item.available, item.reserved, item.confirmed],
    reservations: reservations.length,
  };
}

interface Case {
  name: string;
  method: string;
  path: string;
  /** An object is sent as JSON; a string is sent verbatim (with content-type application/json). */
  body?: unknown;
  headers?: Record<string, string>;
  status: number;
  /** Field names the problem's `errors` must name (none for route-level 404/405). */
  fields?: string[];
}

const long = (n: number) => 'a'.repeat(n);
const reserve = (overrides: Record<string, unknown>, remove: string[] = []): Record<string, unknown> => {
  const body: Record<string, unknown> = { ...VALID, ...overrides };
  for (const key of remove) delete body[key];
  return body;
};
const post = (name: string, body: unknown, fields: string[], status = 400): Case => ({
  name,
  method: 'POST',
  path: '/reservations',
  body,
  status,
  fields,
});
const base64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** An encoded slash is refused before routing (it could split the path): the problem names the path. */
const param = (id: string, name: string) => (/%2f|%5c/i.test(id) ? '(path)' : name);

const BAD_PATH_IDS: [string, string][] = [
  ['space', 'a%20b'],
  ['../', '..%2Fetc'],
  ['a slash-free ../ lookalike', '..'.concat('%5C', 'x')],
  ['200 chars', long(200)],
  ['129 chars', long(129)],
  ['leading dot', '.hidden'],
  ['leading dash', '-x'],
  ['unicode', '%C3%A9t%C3%A9'],
  ['malformed percent-encoding', '%E0%A4%A'],
];

const BODY_CASES: Case[] = [
  post('malformed JSON', '{', ['(body)']),
  post('JSON with a trailing comma', '{"inventoryId":"x","quantity":1,"userId":"u",}', ['(body)']),
  post('empty body', '', ['(body)']),
  post('whitespace body', '  \n ', ['(body)']),
  post('JSON null', 'null', ['(body)']),
  post('JSON array', '[]', ['(body)']),
  post('JSON string', '"reserve"', ['(body)']),
  post('JSON number', '42', ['(body)']),
  post('empty object: every required field named', {}, ['inventoryId', 'quantity', 'userId']),
  post('missing quantity', reserve({}, ['quantity']), ['quantity']),
  post('missing inventoryId', reserve({}, ['inventoryId']), ['inventoryId']),
  post('missing userId', reserve({}, ['userId']), ['userId']),
  post('quantity as a string', reserve({ quantity: '1' }), ['quantity']),
  post('quantity null', reserve({ quantity: null }), ['quantity']),
  post('inventoryId as a number', reserve({ inventoryId: 123 }), ['inventoryId']),
  post('userId as a boolean', reserve({ userId: true }), ['userId']),
  post('holdSeconds as a string', reserve({ holdSeconds: '60' }), ['holdSeconds']),
  post('holdSeconds null', reserve({ holdSeconds: null }), ['holdSeconds']),
  post('unknown field', reserve({ extra: 1 }), ['extra']),
  post(
    'unknown field named __proto__',
    `{"inventoryId":"${SKU}","quantity":1,"userId":"u","__proto__":{"a":1}}`,
    ['__proto__'],
  ),
  post('quantity 0', reserve({ quantity: 0 }), ['quantity']),
  post('quantity negative', reserve({ quantity: -1 }), ['quantity']),
  post('quantity fractional', reserve({ quantity: 1.5 }), ['quantity']),
  post('quantity 1e12', reserve({ quantity: 1e12 }), ['quantity']),
  post('quantity 2**53', reserve({ quantity: 2 ** 53 }), ['quantity']),
  post('quantity 1e400 (Infinity)', `{"inventoryId":"${SKU}","quantity":1e400,"userId":"u"}`, ['quantity']),
  post('holdSeconds 0', reserve({ holdSeconds: 0 }), ['holdSeconds']),
  post('holdSeconds 86401', reserve({ holdSeconds: 86_401 }), ['holdSeconds']),
  post('holdSeconds negative', reserve({ holdSeconds: -5 }), ['holdSeconds']),
  post('holdSeconds fractional', reserve({ holdSeconds: 1.5 }), ['holdSeconds']),
  post('inventoryId with a space', reserve({ inventoryId: 'has space' }), ['inventoryId']),
  post('inventoryId ../', reserve({ inventoryId: '../etc' }), ['inventoryId']),
  post('inventoryId 200 chars', reserve({ inventoryId: long(200) }), ['inventoryId']),
  post('inventoryId 129 chars', reserve({ inventoryId: long(129) }), ['inventoryId']),
  post('inventoryId leading dot', reserve({ inventoryId: '.hidden' }), ['inventoryId']),
  post('inventoryId empty', reserve({ inventoryId: '' }), ['inventoryId']),
  post('inventoryId starting with ~ (the idempotency partitions)', reserve({ inventoryId: '~idem~x' }), [
    'inventoryId',
  ]),
  post('userId with a slash', reserve({ userId: 'a/b' }), ['userId']),
  post('userId 200 chars', reserve({ userId: long(200) }), ['userId']),
  post('userId leading dot', reserve({ userId: '.u' }), ['userId']),
  post('several bad fields at once', { inventoryId: '../x', quantity: 0, userId: '', holdSeconds: 0 }, [
    'inventoryId',
    'quantity',
    'userId',
    'holdSeconds',
  ]),
];

const PUT_CASES: Case[] = [
  ...BAD_PATH_IDS.map(([label, id]) => ({
    name: `PUT item: path id ${label}`,
    method: 'PUT',
    path: `/inventory/${id}`,
    body: { available: 1 },
    status: 400,
    fields: [param(id, 'inventoryId')],
  })),
  ...(
    [
      ['available negative', { available: -1 }, ['available']],
      ['available fractional', { available: 1.5 }, ['available']],
      ['available as a string', { available: '10' }, ['available']],
      ['available 1e12', { available: 1e12 }, ['available']],
      ['available missing', { name: 'x' }, ['available']],
      ['name too long', { available: 1, name: long(201) }, ['name']],
      ['name as a number', { available: 1, name: 5 }, ['name']],
      ['maxPerUser 0', { available: 1, maxPerUser: 0 }, ['maxPerUser']],
      ['maxPerUser fractional', { available: 1, maxPerUser: 2.5 }, ['maxPerUser']],
      ['maxPerUser as a string', { available: 1, maxPerUser: '3' }, ['maxPerUser']],
      ['unknown field', { available: 1, reserved: 5 }, ['reserved']],
      ['malformed JSON', '{"available":', ['(body)']],
      ['empty body', '', ['(body)']],
    ] as [string, unknown, string[]][]
  ).map(([label, body, fields]) => ({
    name: `PUT item: ${label}`,
    method: 'PUT',
    path: `/inventory/${SKU}`,
    body,
    headers: { 'if-match': '*' },
    status: 400,
    fields,
  })),
];

const ADJUST_CASES: Case[] = (
  [
    ['delta 0', { delta: 0, reason: 'x' }, ['delta']],
    ['delta fractional', { delta: 1.5, reason: 'x' }, ['delta']],
    ['delta as a string', { delta: '5', reason: 'x' }, ['delta']],
    ['delta 2e9', { delta: 2e9, reason: 'x' }, ['delta']],
    ['delta -2**53', { delta: -(2 ** 53), reason: 'x' }, ['delta']],
    ['delta missing', { reason: 'x' }, ['delta']],
    ['reason missing', { delta: 1 }, ['reason']],
    ['reason empty', { delta: 1, reason: '' }, ['reason']],
    ['reason too long', { delta: 1, reason: long(501) }, ['reason']],
    ['unknown field', { delta: 1, reason: 'x', when: 'now' }, ['when']],
    ['malformed JSON', '{delta: 1}', ['(body)']],
    ['empty body', '', ['(body)']],
  ] as [string, unknown, string[]][]
).map(([label, body, fields]) => ({
  name: `adjustment: ${label}`,
  method: 'POST',
  path: `/inventory/${SKU}/adjustments`,
  body,
  status: 400,
  fields,
}));

const PATH_CASES: Case[] = BAD_PATH_IDS.flatMap(([label, id]): Case[] => [
  {
    name: `GET item: ${label}`,
    method: 'GET',
    path: `/inventory/${id}`,
    status: 400,
    fields: [param(id, 'inventoryId')],
  },
  {
    name: `adjustment: inventory id ${label}`,
    method: 'POST',
    path: `/inventory/${id}/adjustments`,
    body: { delta: 1, reason: 'x' },
    status: 400,
    fields: [param(id, 'inventoryId')],
  },
  {
    name: `reservation status: reservation id ${label}`,
    method: 'GET',
    path: `/inventory/${SKU}/reservations/${id}`,
    status: 400,
    fields: [param(id, 'reservationId')],
  },
  {
    name: `confirm: reservation id ${label}`,
    method: 'POST',
    path: `/inventory/${SKU}/reservations/${id}/confirm`,
    status: 400,
    fields: [param(id, 'reservationId')],
  },
  {
    name: `cancel: inventory id ${label}`,
    method: 'POST',
    path: `/inventory/${id}/reservations/r-1/cancel`,
    status: 400,
    fields: [param(id, 'inventoryId')],
  },
  {
    name: `command status: command id ${label}`,
    method: 'GET',
    path: `/inventory/${SKU}/commands/${id}`,
    status: 400,
    fields: [param(id, 'commandId')],
  },
  {
    name: `ledger: inventory id ${label}`,
    method: 'GET',
    path: `/inventory/${id}/ledger`,
    status: 400,
    fields: [param(id, 'inventoryId')],
  },
]);

const QUERY_CASES: Case[] = (
  [
    ['reservations', 'status=bogus', ['status']],
    ['reservations', 'status=pending', ['status']],
    ['reservations', 'limit=0', ['limit']],
    ['reservations', 'limit=-1', ['limit']],
    ['reservations', 'limit=1001', ['limit']],
    ['reservations', 'limit=abc', ['limit']],
    ['reservations', 'limit=1.5', ['limit']],
    ['reservations', 'limit=1&limit=2', ['limit']],
    ['reservations', 'sort=asc', ['sort']],
    ['reservations', 'continuation=not-a-token', ['continuation']],
    ['reservations', `continuation=${base64({ id: 'x', seq: 1, by: 'seq' })}`, ['continuation']],
    ['reservations', `continuation=${long(9000)}`, ['continuation']],
    ['ledger', 'limit=0', ['limit']],
    ['ledger', 'limit=100000', ['limit']],
    ['ledger', 'continuation=%00%01', ['continuation']],
    ['ledger', `continuation=${base64({ id: 'x', by: 'seq' })}`, ['continuation']],
    ['ledger', `continuation=${base64({ id: 5, seq: 1, by: 'seq' })}`, ['continuation']],
    ['ledger', `continuation=${base64({ id: 'x', seq: null, by: 'id' })}`, ['continuation']],
    ['ledger', `continuation=${base64('just a string')}`, ['continuation']],
  ] as [string, string, string[]][]
).map(([route, query, fields]) => ({
  name: `${route}?${query.slice(0, 60)}`,
  method: 'GET',
  path: `/inventory/${SKU}/${route}?${query}`,
  status: 400,
  fields,
}));

const KEY_CASES: Case[] = (
  [
    ['empty', ''],
    ['256 characters', long(256)],
    ['with a space', 'has space'],
    ['latin-1', '\u00e9t\u00e9'],
  ] as [string, string][]
).flatMap(([label, key]): Case[] => [
  {
    name: `Idempotency-Key ${label} on a reservation`,
    method: 'POST',
    path: '/reservations',
    body: VALID,
    headers: { 'idempotency-key': key },
    status: 400,
    fields: ['Idempotency-Key'],
  },
  {
    name: `Idempotency-Key ${label} on an adjustment`,
    method: 'POST',
    path: `/inventory/${SKU}/adjustments`,
    body: { delta: 1, reason: 'x' },
    headers: { 'idempotency-key': key },
    status: 400,
    fields: ['Idempotency-Key'],
  },
  {
    name: `Idempotency-Key ${label} on a cancel`,
    method: 'POST',
    path: `/inventory/${SKU}/reservations/r-1/cancel`,
    headers: { 'idempotency-key': key },
    status: 400,
    fields: ['Idempotency-Key'],
  },
]);

const ROUTE_CASES: Case[] = [
  { name: 'unknown route under /api', method: 'GET', path: '/nope', status: 404 },
  {
    name: 'unknown route with a body',
    method: 'POST',
    path: '/inventory/x/refunds',
    body: VALID,
    status: 404,
  },
  {
    name: 'unknown nested route',
    method: 'GET',
    path: `/inventory/${SKU}/reservations/r-1/confirm/extra`,
    status: 404,
  },
  { name: 'the API root', method: 'GET', path: '', status: 404 },
];

const ALL_CASES: Case[] = [
  ...BODY_CASES,
  ...PUT_CASES,
  ...ADJUST_CASES,
  ...PATH_CASES,
  ...QUERY_CASES,
  ...KEY_CASES,
  ...ROUTE_CASES,
];

async function send(c: Case) {
  const headers = { ...(c.headers ?? {}) };
  let body: unknown = c.body;
  if (typeof c.body === 'string') {
    headers['content-type'] = 'application/json';
    body = c.body === '' ? new Uint8Array(0) : c.body;
  }
  return api.request<ProblemView>(c.method, c.path, { body, headers });
}

function expectProblem(res: { status: number; headers: Headers; body: ProblemView; text: string }, c: Case) {
  if (res.status !== c.status)
    throw new Error(`${c.name}: expected ${c.status}, got ${res.status} ${res.text}`);
  expect(res.headers.get('content-type')).toContain('application/problem+json');
  expect(res.body).toMatchObject({ status: c.status, title: expect.any(String), type: expect.any(String) });
  if (c.fields) {
    const named = (res.body.errors ?? []).flatMap((e) => e.field.split(', '));
    for (const field of c.fields)
      expect({ case: c.name, named: named.includes(field) }).toEqual({ case: c.name, named: true });
    for (const e of res.body.errors ?? []) expect(typeof e.message).toBe('string');
  }
}

describe('bad input (in-process host)', () => {
  test.each(ALL_CASES.map((c) => [c.name, c] as const))(
    '%s',
    async (_name, c) => {
      const before = await footprint();
      const res = await send(c);
      expectProblem(res, c);
      expect(await footprint()).toEqual(before);
    },
    10_000,
  );

  test('wrong methods are 405 with an Allow header naming the methods the route has', async () => {
    const before = await footprint();
    const cases: [string, string, string[]][] = [
      ['DELETE', `/inventory/${SKU}`, ['GET', 'PUT']],
      ['POST', `/inventory/${SKU}`, ['GET', 'PUT']],
      ['GET', '/reservations', ['POST']],
      ['PUT', '/reservations', ['POST']],
      ['GET', `/inventory/${SKU}/adjustments`, ['POST']],
      ['PATCH', `/inventory/${SKU}/ledger`, ['GET']],
      ['GET', `/inventory/${SKU}/reservations/r-1/confirm`, ['POST']],
      ['POST', '/health', ['GET']],
      ['DELETE', '/openapi.json', ['GET']],
    ];
    for (const [method, p, allowed] of cases) {
      const res = await api.request<ProblemView>(
        method,
        p,
        method === 'POST' || method === 'PUT' ? { body: VALID } : {},
      );
      expectProblem(res, { name: `${method} ${p}`, method, path: p, status: 405 });
      const allow = (res.headers.get('allow') ?? '')
        .split(',')
        .map((m) => m.trim())
        .sort();
      expect({ route: `${method} ${p}`, allow }).toEqual({
        route: `${method} ${p}`,
        allow: [...allowed].sort(),
      });
    }
    expect(await footprint()).toEqual(before);
  }, 15_000);

  test('bodies over 64 KiB are 413, declared or streamed, and the host keeps serving', async () => {
    const before = await footprint();
    const big = JSON.stringify({ ...VALID, padding: 'x'.repeat(70 * 1024) });
    const declared = await api.request<ProblemView>('POST', '/reservations', {
      body: big,
      headers: { 'content-type': 'application/json' },
    });
    expectProblem(declared, { name: 'declared', method: 'POST', path: '', status: 413, fields: ['(body)'] });

    const putBig = await api.request<ProblemView>('PUT', `/inventory/${SKU}`, {
      body: JSON.stringify({ available: 1, name: 'n'.repeat(65 * 1024) }),
      headers: { 'content-type': 'application/json', 'if-match': '*' },
    });
    expectProblem(putBig, { name: 'put', method: 'PUT', path: '', status: 413, fields: ['(body)'] });

    // Chunked, with no Content-Length: refused while streaming.
    const chunk = new TextEncoder().encode('x'.repeat(16 * 1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= 8) controller.close();
        else {
          sent += 1;
          controller.enqueue(chunk);
        }
      },
    });
    const streamed = await fetch(`${api.baseUrl}/reservations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: stream,
      duplex: 'half',
      signal: AbortSignal.timeout(10_000),
    });
    expect(streamed.status).toBe(413);
    expect(streamed.headers.get('content-type')).toContain('application/problem+json');
    expect(((await streamed.json()) as ProblemView).errors?.map((e) => e.field)).toContain('(body)');

    // Just under the limit is read and judged on its content (an unknown field), not refused for size.
    const under = JSON.stringify({ ...VALID, padding: 'x'.repeat(60 * 1024) });
    const ok = await api.request<ProblemView>('POST', '/reservations', {
      body: under,
      headers: { 'content-type': 'application/json' },
    });
    expectProblem(ok, { name: 'under', method: 'POST', path: '', status: 400, fields: ['padding'] });
    expect(await footprint()).toEqual(before);
  }, 15_000);

  test('a burst of concurrent bad requests enqueues nothing and never gets a 5xx', async () => {
    const before = await footprint();
    const burst = Array.from({ length: 150 }, (_, i) => ALL_CASES[(i * 7) % ALL_CASES.length] as Case);
    const responses = await Promise.all(burst.map((c) => send(c)));
    responses.forEach((res, i) => expectProblem(res, burst[i] as Case));
    expect(await footprint()).toEqual(before);
  }, 20_000);

  test('the host keeps serving: a valid reservation afterwards is accepted and decided', async () => {
    const before = await footprint();
    const health = await api.get<{ status: string }>('/health');
    expect(health.status).toBe(200);
    expect(health.body.status).toBe('ok');
    const res = await api.reserve({ ...VALID, userId: long(128) }, long(255));
    expect(res.status).toBe(202);
    const decided = await api.pollUntilDecided(res.body.statusUrl);
    expect(decided).toMatchObject({ status: 'held', quantity: 1 });
    const after = await footprint();
    expect(after.sends).toBeGreaterThan(before.sends);
    expect(after.seq).toBe(before.seq + 1);
    expect(after.reservations).toBe(before.reservations + 1);
    expect(after.deadLettered).toBe(0);
  }, 15_000);

  test('GET /openapi.json is an OpenAPI 3.1 document with every route and the request schemas', async () => {
    const res = await api.get<OpenApiDoc>('/openapi.json');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/json');
    const doc = res.body;
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect(doc.info).toMatchObject({ title: expect.any(String), version: expect.any(String) });

    const expected: Record<string, string[]> = {
      '/api/inventory/{inventoryId}': ['get', 'put'],
      '/api/inventory/{inventoryId}/adjustments': ['post'],
      '/api/inventory/{inventoryId}/ledger': ['get'],
      '/api/reservations': ['post'],
      '/api/inventory/{inventoryId}/reservations': ['get'],
      '/api/inventory/{inventoryId}/reservations/{reservationId}': ['get'],
      '/api/inventory/{inventoryId}/reservations/{reservationId}/confirm': ['post'],
      '/api/inventory/{inventoryId}/reservations/{reservationId}/cancel': ['post'],
      '/api/inventory/{inventoryId}/commands/{commandId}': ['get'],
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
    expect(operationIds.size).toBe(12);

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
        if (method !== 'get') expect([400, 415]).toContain(probe.status);
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
