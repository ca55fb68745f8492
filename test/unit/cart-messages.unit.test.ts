import { handleSessionMessages, type IncomingMessage } from '../../src/app/handle-messages';
import { ItemCache } from '../../src/app/item-cache';
import { putItem } from '../../src/app/items';
import { cartPartition, type Cart, type CartCommand } from '../../src/domain/cart-model';
import type { Command, InventoryItem } from '../../src/domain/model';
import { QueueUnavailableError, type CommandQueue, type OutgoingCommand } from '../../src/ports/queue';
import { at, fixedClock, ITEM, openTestStore, reserve, T0, type TestStore } from '../support/domain-fixtures';

/** Records what is sent; `failNext` makes the next send fail the way an unreachable queue does. */
class RecordingQueue implements CommandQueue {
  sent: OutgoingCommand[] = [];
  failNext = false;
  send(messages: readonly OutgoingCommand[]): Promise<void> {
    if (this.failNext) {
      this.failNext = false;
      return Promise.reject(new QueueUnavailableError('queue down', 5, { outcome: 'not-accepted' }));
    }
    this.sent.push(...messages);
    return Promise.resolve();
  }
  ping = () => Promise.resolve();
  close = () => Promise.resolve();
}

const CART = 'k-cart-1';
let t: TestStore;
let queue: RecordingQueue;
const deps = () => ({ store: t.store, queue, clock: fixedClock, cache: new ItemCache(10) });
const delivery = (body: Command | CartCommand, sessionId: string, deliveryCount = 1): IncomingMessage => ({
  body: JSON.stringify(body),
  messageId: body.commandId,
  sessionId,
  deliveryCount,
});

beforeEach(async () => {
  t = openTestStore(fixedClock, 'cart-messages-');
  queue = new RecordingQueue();
  await putItem({ store: t.store, clock: fixedClock }, { inventoryId: ITEM, available: 10 }, undefined);
});
afterEach(() => t.close());

describe("a cart's messages across a crash between commit and send", () => {
  it('a line redelivered after its decision committed but its report was lost reports again, and is applied once', async () => {
    const line = reserve('r-1', 3, { cartId: CART });
    queue.failNext = true;
    await expect(handleSessionMessages([delivery(line, ITEM)], deps())).rejects.toThrow('queue down');
    expect(queue.sent).toEqual([]);

    await handleSessionMessages([delivery(line, ITEM, 2)], deps());
    expect(
      queue.sent.map((m) => [m.sessionId, m.body.type, 'status' in m.body ? m.body.status : null]),
    ).toEqual([[cartPartition(CART), 'LineDecided', 'held']]);
    expect((await t.store.read<InventoryItem>(ITEM, ITEM))?.doc).toMatchObject({ available: 7, reserved: 3 });
  });

  it('a cart message handled again after the cart was written but its line commands were lost sends them again, whatever its delivery count', async () => {
    const session = cartPartition(CART);
    const base = { cartId: CART, requestedAt: T0 };
    const lines = [
      { inventoryId: 'sku-a', quantity: 1, reservationId: 'r-a' },
      { inventoryId: 'sku-b', quantity: 1, reservationId: 'r-b' },
    ];
    const place: CartCommand = {
      ...base,
      type: 'PlaceCart',
      commandId: 'p',
      userId: 'u',
      expiresAt: at(600),
      lines,
    };
    const held = lines.map((l): CartCommand => ({
      ...base,
      type: 'LineDecided',
      commandId: `${l.reservationId}.told`,
      reservationId: l.reservationId,
      status: 'held',
      reason: null,
    }));
    await handleSessionMessages(
      [place, ...held].map((m) => delivery(m, session)),
      deps(),
    );
    const confirm: CartCommand = {
      ...base,
      type: 'ConfirmCart',
      commandId: 'confirm-1',
      requestedAt: at(10),
    };
    queue.failNext = true;
    await expect(handleSessionMessages([delivery(confirm, session)], deps())).rejects.toThrow('queue down');
    expect((await t.store.read<Cart>(session, CART))?.doc).toMatchObject({ goal: 'confirm', status: 'held' });

    // Handled again with the same delivery count, as a retry inside one delivery or after a kill does.
    await handleSessionMessages([delivery(confirm, session, 1)], deps());
    expect(queue.sent.map((m) => [m.sessionId, m.messageId, m.body.type])).toEqual([
      ['sku-a', `${CART}.0.c`, 'Confirm'],
      ['sku-b', `${CART}.1.c`, 'Confirm'],
    ]);
    expect(queue.sent.every((m) => m.body.requestedAt === at(10))).toBe(true);
  });

  it('a cart message for another cart than its session is poison, and does not block the session', async () => {
    const stray: CartCommand = { cartId: 'k-other', requestedAt: T0, type: 'CancelCart', commandId: 'x' };
    const settled = await handleSessionMessages([delivery(stray, cartPartition(CART))], deps());
    expect(settled).toEqual([expect.objectContaining({ action: 'deadLetter', reason: 'SessionMismatch' })]);
  });
});
