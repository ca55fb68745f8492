import type { Command, ExpireHoldCommand, ReserveCommand } from '../domain/model';
import type { OutgoingCommand } from '../ports/queue';
import type { CommandOutcome } from './processing/outcome';

/** The message id of a hold's expiry: derived from its Reserve, so a resend is a duplicate the queue drops. */
export function expiryMessageId(reserve: ReserveCommand): string {
  return `${reserve.commandId}.expire`;
}

/**
 * The ExpireHold of every hold this delivery made, into the item's session at `expiresAt`, to send after
 * the holds are committed: a rejected reservation never leaves an expiry message behind. A Reserve found
 * already applied (a redelivery after a crash between commit and send) schedules it again; the derived
 * message id makes that a duplicate when the first send did land, and an ExpireHold for a hold that has
 * already ended is a no-op. If the send fails the delivery fails and is redelivered.
 */
export function expiryMessages(
  commands: readonly Command[],
  outcomes: readonly CommandOutcome[],
): OutgoingCommand[] {
  const messages: OutgoingCommand[] = [];
  commands.forEach((command, i) => {
    const status = outcomes[i]?.status;
    if (command.type !== 'Reserve' || (status !== 'applied' && status !== 'duplicate')) return;
    // A cart's line expires with its cart (ExpireCart), never on its own.
    if (command.cartId !== undefined) return;
    const expire: ExpireHoldCommand = {
      type: 'ExpireHold',
      commandId: expiryMessageId(command),
      inventoryId: command.inventoryId,
      requestedAt: command.requestedAt,
      reservationId: command.reservationId,
      expiresAt: command.expiresAt,
    };
    messages.push({
      sessionId: command.inventoryId,
      messageId: expire.commandId,
      body: expire,
      scheduledEnqueueTime: new Date(command.expiresAt),
    });
  });
  return messages;
}
