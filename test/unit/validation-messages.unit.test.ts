import { ProblemError, type FieldError } from '../../src/http/problem';
import { validate } from '../../src/http/request';
import {
  AdjustmentBody,
  LedgerQuery,
  ListReservationsQuery,
  PutItemBody,
  ReservationBody,
} from '../../src/http/schemas';
import type { z } from 'zod';

/** The problem document's errors[] for a refused value (fails the test when the value is accepted). */
function refusal(schema: z.ZodType, value: unknown): FieldError[] {
  try {
    validate(schema, value, '');
  } catch (error) {
    if (error instanceof ProblemError) return error.errors;
    throw error;
  }
  throw new Error(`accepted ${JSON.stringify(value)}`);
}

const VALID = { inventoryId: 'sku-1', quantity: 1, userId: 'user-1' };
const ID_RULE = "an id of 1 to 128 letters, digits, '.', '_' or '-' that starts with a letter or digit";

describe('validation messages say what the field must be, once per field', () => {
  it.each([
    ['quantity 0', { ...VALID, quantity: 0 }, 'quantity', 'must be an integer from 1 to 1000000'],
    ['quantity 1.5', { ...VALID, quantity: 1.5 }, 'quantity', 'must be an integer from 1 to 1000000'],
    ['quantity "1"', { ...VALID, quantity: '1' }, 'quantity', 'must be an integer from 1 to 1000000'],
    ['quantity 2**53', { ...VALID, quantity: 2 ** 53 }, 'quantity', 'must be an integer from 1 to 1000000'],
    ['quantity null', { ...VALID, quantity: null }, 'quantity', 'must be an integer from 1 to 1000000'],
    [
      'holdSeconds 86401',
      { ...VALID, holdSeconds: 86_401 },
      'holdSeconds',
      'must be an integer from 1 to 86400',
    ],
    ['inventoryId "../x"', { ...VALID, inventoryId: '../x' }, 'inventoryId', `must be ${ID_RULE}`],
    ['userId 129 chars', { ...VALID, userId: 'u'.repeat(129) }, 'userId', `must be ${ID_RULE}`],
    ['userId a number', { ...VALID, userId: 7 }, 'userId', `must be ${ID_RULE}`],
  ])('reservation: %s', (_label, value, field, message) => {
    expect(refusal(ReservationBody, value)).toEqual([{ field, message }]);
  });

  it('a missing field is named as required, with what it must be', () => {
    expect(refusal(ReservationBody, { userId: 'user-1' })).toEqual([
      { field: 'inventoryId', message: `is required and must be ${ID_RULE}` },
      { field: 'quantity', message: 'is required and must be an integer from 1 to 1000000' },
    ]);
  });

  it.each([null, [], 'reserve', 42])('a body that is not an object (%p) must be a JSON object', (value) => {
    expect(refusal(ReservationBody, value)).toEqual([{ field: '(body)', message: 'must be a JSON object' }]);
  });

  it('an unknown field is still named as unknown', () => {
    expect(refusal(ReservationBody, { ...VALID, extra: 1 })).toEqual([
      { field: 'extra', message: 'unknown field' },
    ]);
  });

  const DELTA_RULE = 'must be a non-zero integer from -1000000000 to 1000000000';
  it.each([
    [
      'item: available -1',
      PutItemBody,
      { available: -1 },
      'available',
      'must be an integer from 0 to 1000000000',
    ],
    [
      'item: name 201 chars',
      PutItemBody,
      { available: 1, name: 'n'.repeat(201) },
      'name',
      'must be a string of at most 200 characters',
    ],
    [
      'item: maxPerUser 0',
      PutItemBody,
      { available: 1, maxPerUser: 0 },
      'maxPerUser',
      'must be an integer from 1 to 1000000000',
    ],
    ['adjustment: delta 0', AdjustmentBody, { delta: 0, reason: 'x' }, 'delta', DELTA_RULE],
    ['adjustment: delta 2e9', AdjustmentBody, { delta: 2e9, reason: 'x' }, 'delta', DELTA_RULE],
    [
      'adjustment: reason empty',
      AdjustmentBody,
      { delta: 1, reason: '' },
      'reason',
      'must be a string of 1 to 500 characters',
    ],
    [
      'listing: status pending',
      ListReservationsQuery,
      { status: 'pending' },
      'status',
      'must be one of held, rejected, confirmed, cancelled, expired',
    ],
    [
      'listing: limit abc',
      ListReservationsQuery,
      { limit: 'abc' },
      'limit',
      'must be an integer from 1 to 1000',
    ],
    ['ledger: limit 1001', LedgerQuery, { limit: '1001' }, 'limit', 'must be an integer from 1 to 1000'],
  ] as [string, z.ZodType, unknown, string, string][])('%s', (_label, schema, value, field, message) => {
    expect(refusal(schema, value)).toEqual([{ field, message }]);
  });

  it('no message is one of zod’s generic texts', () => {
    const bad = { inventoryId: '', quantity: -1, userId: false, holdSeconds: 'soon' };
    for (const e of refusal(ReservationBody, bad))
      expect(e.message).toMatch(/^(must be|is required and must be) /);
  });
});
