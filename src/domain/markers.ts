import type { Decision } from './decide';
import { commandMarkerId } from './ids';
import type { Command, CommandMarker } from './model';

/**
 * The marker that makes a command idempotent: written in the batch of its decision, so a redelivery hits
 * 409. A Reserve needs none: the create of its reservation document answers the same question.
 */
export function commandMarker(
  command: Command,
  decision: Extract<Decision, { kind: 'applied' | 'rejected' }>,
  decidedAt: string,
  ttlSeconds: number,
): CommandMarker | null {
  if (command.type === 'Reserve') return null;
  return {
    type: 'command',
    id: commandMarkerId(command.commandId),
    inventoryId: command.inventoryId,
    commandId: command.commandId,
    commandType: command.type,
    outcome: decision.kind,
    reason: decision.reason,
    reservationId: 'reservationId' in command ? command.reservationId : null,
    requestedAt: command.requestedAt,
    decidedAt,
    ttl: ttlSeconds,
  };
}
