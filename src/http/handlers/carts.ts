import { acceptCart, acceptCartSettle, type AcceptedCart } from '../../app/accept-cart';
import { getCart } from '../../app/queries';
import type { Cart } from '../../domain/cart-model';
import { AcceptedCartView, CartBody, CartView } from '../cart-schemas';
import { baseUrl, idempotencyKey, pathId, readJson } from '../request';
import type { RouteDef } from '../route-types';
import { Problem } from '../schemas';
import { accepted, acceptedResponsesOf, keyHeader, traceOf } from './respond';
import { statusResponse } from './reservations';

const acceptedResponses = acceptedResponsesOf(
  AcceptedCartView,
  'Accepted and durable; poll Location (the cart)',
);

const cartUrl = (request: Parameters<typeof baseUrl>[0], cartId: string) =>
  `${baseUrl(request)}/api/carts/${cartId}`;

function acceptedCartView(
  a: Partial<AcceptedCart> & { cartId: string; acceptedAt: string },
  statusUrl: string,
) {
  return {
    status: 'pending' as const,
    cartId: a.cartId,
    expiresAt: a.expiresAt ?? null,
    acceptedAt: a.acceptedAt,
    ...(a.lines ? { lines: a.lines } : {}),
    statusUrl,
  };
}

export const postCart: RouteDef = {
  name: 'postCart',
  route: 'carts',
  method: 'POST',
  authLevel: 'function',
  doc: {
    summary: 'Reserve several items all-or-nothing (asynchronous)',
    body: CartBody,
    headers: keyHeader,
    responses: acceptedResponses,
  },
  async handle(request, context, services) {
    const key = idempotencyKey(request);
    const body = await readJson(request, CartBody);
    const result = await acceptCart(services, body, key, traceOf(request, context));
    return accepted(
      result,
      result.kind === 'accepted' ? cartUrl(request, result.cartId) : '',
      acceptedCartView,
    );
  },
};

const settleRoute = (type: 'ConfirmCart' | 'CancelCart'): RouteDef => {
  const verb = type === 'ConfirmCart' ? 'confirm' : 'cancel';
  return {
    name: `${verb}Cart`,
    route: `carts/{cartId}/${verb}`,
    method: 'POST',
    authLevel: 'function',
    doc: {
      summary: `${verb === 'confirm' ? 'Confirm' : 'Cancel'} every line of a held cart (asynchronous)`,
      headers: keyHeader,
      responses: { ...acceptedResponses, 404: { description: 'Never accepted', schema: Problem } },
    },
    async handle(request, context, services) {
      const cartId = pathId(request, 'cartId');
      const key = idempotencyKey(request);
      // 404 for a cart never accepted; a pending one takes the command (its session keeps the order).
      await cartStatus(services, cartId);
      const result = await acceptCartSettle(services, type, cartId, key, traceOf(request, context));
      return accepted(result, cartUrl(request, cartId), acceptedCartView);
    },
  };
};

export const confirmCart = settleRoute('ConfirmCart');
export const cancelCart = settleRoute('CancelCart');

function cartView(cart: Cart) {
  return {
    cartId: cart.cartId,
    userId: cart.userId,
    status: cart.status,
    expiresAt: cart.expiresAt,
    lines: cart.lines.map((l) => ({
      inventoryId: l.inventoryId,
      quantity: l.quantity,
      reservationId: l.reservationId,
      status: l.status,
      reason: l.reason,
    })),
    requestedAt: cart.requestedAt,
    updatedAt: cart.updatedAt,
  };
}

async function cartStatus(services: Parameters<typeof getCart>[0], cartId: string) {
  return statusResponse(await getCart(services, cartId), cartView, { cartId }, 'cart', cartId);
}

export const getCartStatus: RouteDef = {
  name: 'getCart',
  route: 'carts/{cartId}',
  method: 'GET',
  authLevel: 'function',
  doc: {
    summary: 'A cart and its lines: pending until every line is decided',
    responses: {
      200: { description: 'The cart, or pending (then with Retry-After)', schema: CartView },
      400: { description: 'Invalid id', schema: Problem },
      404: { description: 'Never accepted', schema: Problem },
    },
  },
  async handle(request, _context, services) {
    return cartStatus(services, pathId(request, 'cartId'));
  },
};
