import { decideCart, outstanding } from '../../src/domain/cart';
import { cartPartition, type Cart, type CartCommand } from '../../src/domain/cart-model';
import type { Command } from '../../src/domain/model';
import { at } from './domain-fixtures';
import { MemoryModel } from './memory-model';

type Message = { kind: 'item'; command: Command } | { kind: 'cart'; command: CartCommand };

export interface CartPlan {
  cartId: string;
  userId: string;
  lines: { inventoryId: string; quantity: number }[];
  holdSeconds: number;
  /** What the shopper asks, and at which step: confirm, cancel, or nothing (the cart expires). */
  ask: { action: 'confirm' | 'cancel'; atStep: number } | null;
}

/**
 * Items and carts as the service runs them, in memory: one FIFO per session, items decided by the domain
 * (MemoryModel), carts by decideCart, line reports and line commands passed between sessions as messages.
 * Deliveries are at least once: a message may be handled again before it is removed, as after a crash
 * between commit and completion; items drop a command id they already applied, as their markers do.
 */
export class CartSimulation {
  readonly model = new MemoryModel();
  readonly carts = new Map<string, Cart>();
  private readonly sessions = new Map<string, Message[]>();
  private readonly applied = new Set<string>();
  private readonly pendingAsks: { plan: CartPlan; expiresAt: string }[] = [];
  clock = 0;

  place(plan: CartPlan): void {
    const expiresAt = at(this.clock + plan.holdSeconds);
    const lines = plan.lines.map((l, i) => ({ ...l, reservationId: `${plan.cartId}-r${i}` }));
    const requestedAt = at(this.clock);
    this.enqueue(cartPartition(plan.cartId), {
      kind: 'cart',
      command: {
        type: 'PlaceCart',
        commandId: `${plan.cartId}.p`,
        cartId: plan.cartId,
        userId: plan.userId,
        requestedAt,
        expiresAt,
        lines,
      },
    });
    for (const line of lines) {
      const command: Command = {
        type: 'Reserve',
        commandId: `${line.reservationId}.r`,
        inventoryId: line.inventoryId,
        requestedAt,
        reservationId: line.reservationId,
        quantity: line.quantity,
        userId: plan.userId,
        expiresAt,
        cartId: plan.cartId,
      };
      this.enqueue(line.inventoryId, { kind: 'item', command });
    }
    this.pendingAsks.push({ plan, expiresAt });
  }

  /** One delivery: a random session's first message, handled; removed unless `again` (redelivered later). */
  step(pick: number, again: boolean, stepNo: number): void {
    this.clock += 1;
    for (const { plan, expiresAt } of this.pendingAsks) {
      const session = cartPartition(plan.cartId);
      if (plan.ask && plan.ask.atStep === stepNo) {
        const type = plan.ask.action === 'confirm' ? 'ConfirmCart' : 'CancelCart';
        this.enqueue(session, {
          kind: 'cart',
          command: {
            type,
            commandId: `${plan.cartId}.ask`,
            cartId: plan.cartId,
            requestedAt: at(this.clock),
          },
        });
      }
      if (at(this.clock) === expiresAt) this.expire(plan.cartId, expiresAt);
    }
    const busy = [...this.sessions.entries()].filter(([, queue]) => queue.length > 0);
    const chosen = busy[pick % Math.max(1, busy.length)];
    if (!chosen) return;
    const [session, queue] = chosen;
    const message = queue[0] as Message;
    if (message.kind === 'item') this.handleItem(message.command);
    else this.handleCart(session, message.command, again);
    if (!again) queue.shift();
  }

  /** Delivers everything left, in order, then lets every hold run out. */
  drain(): void {
    for (let guard = 0; guard < 10_000 && this.busy(); guard++) this.step(0, false, -1);
    for (const { plan, expiresAt } of this.pendingAsks) this.expire(plan.cartId, expiresAt);
    for (let guard = 0; guard < 10_000 && this.busy(); guard++) this.step(0, false, -1);
  }

  private expire(cartId: string, expiresAt: string): void {
    this.enqueue(cartPartition(cartId), {
      kind: 'cart',
      command: { type: 'ExpireCart', commandId: `${cartId}.e`, cartId, requestedAt: expiresAt, expiresAt },
    });
  }

  private busy(): boolean {
    return [...this.sessions.values()].some((q) => q.length > 0);
  }

  private enqueue(session: string, message: Message): void {
    const queue = this.sessions.get(session) ?? [];
    queue.push(message);
    this.sessions.set(session, queue);
  }

  private handleItem(command: Command): void {
    const key = `${command.inventoryId}/${command.commandId}`;
    // A Reserve finds its own reservation on a repeat; other commands are dropped by their marker.
    if (command.type === 'Reserve' || !this.applied.has(key)) this.model.apply(command, at(this.clock));
    this.applied.add(key);
    if (!('cartId' in command) || command.cartId === undefined || !('reservationId' in command)) return;
    const reservation = this.model.reservations.get(command.reservationId);
    if (!reservation) return;
    this.enqueue(cartPartition(command.cartId), {
      kind: 'cart',
      command: {
        type: 'LineDecided',
        commandId: `${command.commandId}.told`,
        cartId: command.cartId,
        requestedAt: at(this.clock),
        reservationId: reservation.id,
        status: reservation.status,
        reason: reservation.reason,
      },
    });
  }

  private handleCart(session: string, command: CartCommand, again: boolean): void {
    const current = this.carts.get(command.cartId) ?? null;
    const decision = decideCart(current, command, at(this.clock));
    const cart = decision.cart ?? current;
    if (decision.cart) this.carts.set(command.cartId, decision.cart);
    // A redelivery sends what the cart's goal still needs again: the first send may not have happened.
    const send = again && cart ? [...decision.send, ...outstanding(cart, at(this.clock))] : decision.send;
    for (const line of send) this.enqueue(line.inventoryId, { kind: 'item', command: line });
    if (session !== cartPartition(command.cartId)) throw new Error('a cart command in another session');
  }
}
