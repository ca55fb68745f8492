import type { Case } from './bad-input-cases';

const LINE = { inventoryId: 'bad-input-sku', quantity: 1 };
const VALID_CART = { userId: 'user-1', lines: [LINE] };

/** Carts the API must refuse, naming the field, before anything reaches the queue. */
export const CART_CASES: Case[] = (
  [
    ['no lines', { userId: 'u' }, ['lines']],
    ['empty lines', { userId: 'u', lines: [] }, ['lines']],
    [
      '51 lines',
      { userId: 'u', lines: Array.from({ length: 51 }, (_, i) => ({ ...LINE, inventoryId: `s-${i}` })) },
      ['lines'],
    ],
    ['one item twice', { userId: 'u', lines: [LINE, LINE] }, ['lines']],
    ['quantity 0', { userId: 'u', lines: [{ ...LINE, quantity: 0 }] }, ['lines.0.quantity']],
    ['bad item id', { userId: 'u', lines: [{ ...LINE, inventoryId: 'cart:x' }] }, ['lines.0.inventoryId']],
    ['unknown line field', { userId: 'u', lines: [{ ...LINE, price: 3 }] }, ['lines.0.price']],
    ['user missing', { lines: [LINE] }, ['userId']],
    ['holdSeconds 0', { ...VALID_CART, holdSeconds: 0 }, ['holdSeconds']],
    ['lines not an array', { userId: 'u', lines: LINE }, ['lines']],
  ] as [string, unknown, string[]][]
).map(([label, body, fields]) => ({
  name: `cart: ${label}`,
  method: 'POST',
  path: '/carts',
  body,
  status: 400,
  fields,
}));
