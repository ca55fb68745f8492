import { cartPartition, type LineDecidedCommand } from '../domain/cart-model';
import type { Command, Reservation } from '../domain/model';
import type { OutgoingCommand } from '../ports/queue';
import type { DocumentStore } from '../ports/store';

/** The message id of a line's report: derived from the line command, so a resend is a duplicate. */
export function lineReportId(command: Command): string {
  return `${command.commandId}.told`;
}

/**
 * What to tell each cart about its lines, once their decisions are committed: the reservation as it
 * is now, read back. A redelivered line command that finds itself already applied reports again (its
 * first report may be what the crash lost); the cart ignores a report it already has.
 */
export async function lineReports(
  store: DocumentStore,
  inventoryId: string,
  commands: readonly Command[],
  now: Date,
): Promise<OutgoingCommand[]> {
  const messages: OutgoingCommand[] = [];
  for (const command of commands) {
    if (command.type === 'Adjust' || command.cartId === undefined) continue;
    const read = await store.read<Reservation>(inventoryId, command.reservationId);
    if (!read) continue; // never held and already purged: its report went out when it was decided
    const report: LineDecidedCommand = {
      type: 'LineDecided',
      commandId: lineReportId(command),
      cartId: command.cartId,
      requestedAt: now.toISOString(),
      reservationId: read.doc.id,
      status: read.doc.status,
      reason: read.doc.reason,
    };
    messages.push({ sessionId: cartPartition(command.cartId), messageId: report.commandId, body: report });
  }
  return messages;
}
