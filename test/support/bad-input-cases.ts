/**
 * The bad requests the bad-input suites send, by what they get wrong: each must be refused with a 4xx
 * problem document naming `fields` (none for route-level 404/405).
 */

import { CART_CASES } from './bad-cart-cases';

export const SKU = 'bad-input-sku';
export const VALID = { inventoryId: SKU, quantity: 1, userId: 'user-1' };

export interface Case {
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

export const long = (n: number) => 'a'.repeat(n);
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

export const BODY_CASES: Case[] = [
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

export const PUT_CASES: Case[] = [
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

export const ADJUST_CASES: Case[] = (
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

export const PATH_CASES: Case[] = BAD_PATH_IDS.flatMap(([label, id]): Case[] => [
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

export const QUERY_CASES: Case[] = (
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

export const KEY_CASES: Case[] = (
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

export const ROUTE_CASES: Case[] = [
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

export const ALL_CASES: Case[] = [
  ...BODY_CASES,
  ...CART_CASES,
  ...PUT_CASES,
  ...ADJUST_CASES,
  ...PATH_CASES,
  ...QUERY_CASES,
  ...KEY_CASES,
  ...ROUTE_CASES,
];
