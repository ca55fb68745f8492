import type { Accepted } from '../../app/accept';
import type { FailureRecord } from '../../app/failures';
import type { CommandMarker, InventoryItem, LedgerEvent, Reservation } from '../../domain/model';

export function itemView(item: InventoryItem) {
  return {
    inventoryId: item.inventoryId,
    name: item.name,
    available: item.available,
    reserved: item.reserved,
    confirmed: item.confirmed,
    maxPerUser: item.maxPerUser ?? null,
    seq: item.seq,
    createdAt: item.createdAt,
    updatedAt: item.updatedAt,
  };
}

export function reservationView(r: Reservation) {
  return {
    reservationId: r.id,
    inventoryId: r.inventoryId,
    status: r.status,
    reason: r.reason,
    quantity: r.quantity,
    userId: r.userId,
    // Documents written before rejections dropped their expiry still carry the hold they never had.
    expiresAt: r.status === 'rejected' ? null : r.expiresAt,
    requestedAt: r.requestedAt,
    decidedAt: r.decidedAt,
    updatedAt: r.updatedAt,
  };
}

export function commandView(m: CommandMarker) {
  return {
    commandId: m.commandId,
    inventoryId: m.inventoryId,
    status: m.outcome,
    type: m.commandType,
    reason: m.reason,
    reservationId: m.reservationId,
    decidedAt: m.decidedAt,
  };
}

/** A command the service gave up on: its status says so, with the reason, instead of `pending` forever. */
export function failedView(f: FailureRecord) {
  return {
    status: 'failed' as const,
    type: f.commandType,
    reason: f.reason,
    detail: `not applied after ${f.deliveryCount} deliveries: ${f.description}`,
    decidedAt: f.failedAt,
  };
}

export function eventView(e: LedgerEvent) {
  return {
    seq: e.seq,
    kind: e.kind,
    commandId: e.commandId,
    reservationId: e.reservationId,
    quantity: e.quantity,
    delta: e.delta,
    reason: e.reason,
    note: e.note,
    at: e.at,
  };
}

export function acceptedView(a: Accepted, statusUrl: string) {
  return {
    status: 'pending' as const,
    inventoryId: a.inventoryId,
    commandId: a.commandId,
    reservationId: a.reservationId,
    expiresAt: a.expiresAt,
    acceptedAt: a.acceptedAt,
    statusUrl,
  };
}
