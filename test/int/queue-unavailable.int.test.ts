import { readLedger } from '../../src/app/queries';
import { HttpRequest, InvocationContext, type HttpResponseInit } from '@azure/functions';
import type Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase } from '../../src/adapters/embedded/database';
import { EmbeddedStore } from '../../src/adapters/embedded/embedded-store';
import { ServiceBusDeadLetters } from '../../src/adapters/servicebus/dead-letters';
import { ServiceBusCommandQueue } from '../../src/adapters/servicebus/service-bus-queue';
import { deadLetterAdmin } from '../../src/app/dead-letters';
import { ItemCache } from '../../src/app/item-cache';
import type { Services } from '../../src/app/services';
import type { ExpireHoldCommand, ReserveCommand } from '../../src/domain/model';
import { expiryMessages } from '../../src/app/schedule-expiries';
import { bindRoutes, type BoundRoute } from '../../src/http/routes';
import { systemClock } from '../../src/ports/clock';
import { QueueUnavailableError } from '../../src/ports/queue';
import { AmqpPeer, FAST_RETRIES, jsonBody, TRACEPARENT, type DecodedMessage } from '../support/amqp-peer';

/**
 * POST /api/reservations through the route table with the Service Bus adapter (the real @azure/service-bus
 * SDK over AMQP against the rhea peer in test/support/amqp-peer.ts) and the embedded store: a refused send
 * is a 503 problem with Retry-After and nothing accepted; an accepted one is a 202 whose message carries the
 * session id, message id and subject the consumer relies on.
 */

const QUEUE = 'reservations';
const SERVER_BUSY = { condition: 'com.microsoft:server-busy', description: 'The server is busy.' };

let peer: AmqpPeer;
let dataDir: string;
let db: Database.Database;
let store: EmbeddedStore;
let queue: ServiceBusCommandQueue;
let services: Services;
let postReservation: BoundRoute;
let warnings: string[];
let itemCounter = 0;

const newItemId = (label: string) => `qu-${label}-${++itemCounter}`;

beforeAll(async () => {
  peer = await AmqpPeer.start({ queues: [QUEUE] });
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'int-queue-unavailable-'));
  db = openDatabase(dataDir);
  store = new EmbeddedStore(db);
  const serviceBus = {
    queueName: QUEUE,
    connectionString: peer.connectionString(),
    retryOptions: FAST_RETRIES,
  };
  queue = new ServiceBusCommandQueue(serviceBus);
  services = {
    store,
    queue,
    clock: systemClock,
    cache: new ItemCache(100),
    pendingHorizonMs: 86_400_000,
    deadLetters: deadLetterAdmin({ deadLetters: new ServiceBusDeadLetters(serviceBus), queue, store }),
    describe: { store: 'embedded SQLite', queue: `Service Bus emulator/${QUEUE}` },
    close: async () => {
      await queue.close();
      await store.close();
      db.close();
    },
  };
  const route = bindRoutes(() => Promise.resolve(services)).find((r) => r.name === 'postReservation');
  if (!route) throw new Error('no postReservation route');
  postReservation = route;
});

beforeEach(() => {
  warnings = [];
});

afterEach(() => {
  const errors = [...peer.errors];
  peer.reset();
  expect(errors).toEqual([]);
});

afterAll(async () => {
  await services?.close();
  await peer?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

interface Body {
  inventoryId: string;
  quantity: number;
  userId: string;
  holdSeconds?: number;
}

async function post(body: Body, headers: Record<string, string> = {}) {
  const request = new HttpRequest({
    method: 'POST',
    url: 'http://localhost/api/reservations',
    body: { string: JSON.stringify(body) },
    headers: { 'content-type': 'application/json', ...headers },
  });
  const context = new InvocationContext({
    functionName: 'postReservation',
    logHandler: (level, ...args) => {
      if (level === 'warning') warnings.push(args.map(String).join(' '));
    },
  });
  const response: HttpResponseInit = await postReservation.handler(request, context);
  const responseHeaders = new Headers(response.headers);
  const text = typeof response.body === 'string' ? response.body : '';
  return {
    status: response.status,
    headers: responseHeaders,
    body: JSON.parse(text) as Record<string, unknown>,
  };
}

function expectQueueUnavailable(res: Awaited<ReturnType<typeof post>>) {
  expect(res.status).toBe(503);
  expect(res.headers.get('content-type')).toBe('application/problem+json');
  const retryAfter = Number(res.headers.get('retry-after'));
  expect(Number.isInteger(retryAfter)).toBe(true);
  expect(retryAfter).toBeGreaterThan(0);
  // ServiceBusy: the adapter asks for 10 s.
  expect(retryAfter).toBe(10);
  expect(res.headers.get('location')).toBeNull();
  expect(res.body).toMatchObject({
    type: 'urn:inventory-reservations:problem:queue-unavailable',
    status: 503,
    instance: '/api/reservations',
  });
  expect(res.body).not.toHaveProperty('reservationId');
  expect(warnings.some((w) => w.includes('queue unavailable'))).toBe(true);
}

const rejectedMessages = (): DecodedMessage[] =>
  peer.events.flatMap((e) => (e.kind === 'rejected' ? e.messages.map((m) => m.message) : []));

/** Asserts the store holds nothing decided for the item: no reservation, no ledger event, no item. */
async function expectNothingDecided(inventoryId: string, reservationId: string) {
  expect(await store.read(inventoryId, reservationId)).toBeNull();
  expect(await store.read(inventoryId, inventoryId)).toBeNull();
  const reservations = await store.query(inventoryId, { type: 'reservation', orderBy: 'id' }, { limit: 10 });
  expect(reservations.items).toEqual([]);
  expect(await readLedger(store, inventoryId)).toEqual([]);
}

describe('POST /api/reservations with the Service Bus adapter', () => {
  test('a refused send becomes a 503 with Retry-After and nothing accepted', async () => {
    const inventoryId = newItemId('busy');
    peer.rejectTransfersWith = SERVER_BUSY;
    const res = await post({ inventoryId, quantity: 1, userId: 'u1' });
    expectQueueUnavailable(res);

    // The SDK tried 1 + maxRetries times; the broker accepted none of it.
    expect(peer.transfers).toEqual([]);
    const refused = rejectedMessages();
    expect(refused).toHaveLength(1 + (FAST_RETRIES.maxRetries ?? 0));
    const reserve = jsonBody(refused[0]!) as ReserveCommand;
    expect(reserve).toMatchObject({ type: 'Reserve', inventoryId });
    // The expiry is the consumer's to schedule, once a hold exists: accepting schedules nothing.
    expect(peer.schedules).toEqual([]);
    await expectNothingDecided(inventoryId, reserve.reservationId);
  });

  test("the consumer's ExpireHold goes out scheduled into the item's session at expiresAt; a refused schedule fails it", async () => {
    const inventoryId = newItemId('expiry');
    const reserve: ReserveCommand = {
      type: 'Reserve',
      commandId: `c-${inventoryId}`,
      inventoryId,
      requestedAt: '2030-01-01T00:00:00.000Z',
      reservationId: `r-${inventoryId}`,
      quantity: 1,
      userId: 'u2',
      expiresAt: '2030-01-01T00:05:00.000Z',
    };
    const held = [
      {
        status: 'applied' as const,
        reason: null,
        commandId: reserve.commandId,
        reservationId: reserve.reservationId,
      },
    ];
    await queue.send(expiryMessages([reserve], held));
    const entries = peer.schedules.flatMap((s) => s.entries);
    expect(entries).toHaveLength(1);
    const entry = entries[0]!;
    expect(entry.messageId).toBe(`${reserve.commandId}.expire`);
    expect(entry.sessionId).toBe(inventoryId);
    expect(entry.message).toMatchObject({
      group_id: inventoryId,
      message_id: `${reserve.commandId}.expire`,
      subject: 'ExpireHold',
    });
    expect(jsonBody(entry.message) as ExpireHoldCommand).toMatchObject({
      type: 'ExpireHold',
      reservationId: reserve.reservationId,
      inventoryId,
    });
    const at = entry.message.message_annotations?.['x-opt-scheduled-enqueue-time'] as Date;
    expect(at.toISOString()).toBe(reserve.expiresAt);

    peer.failManagementWith = { statusCode: 503, ...SERVER_BUSY };
    await expect(queue.send(expiryMessages([reserve], held))).rejects.toBeInstanceOf(QueueUnavailableError);
  });

  test('with an Idempotency-Key: a 503 frees the key, so the retry is accepted afresh and then replays', async () => {
    const inventoryId = newItemId('idem');
    const body = { inventoryId, quantity: 3, userId: 'u3', holdSeconds: 120 };
    const key = `key-${inventoryId}`;

    peer.rejectTransfersWith = SERVER_BUSY;
    expectQueueUnavailable(await post(body, { 'idempotency-key': key }));
    expect(peer.transfers).toEqual([]);
    const refused = rejectedMessages();
    expect(refused.length).toBeGreaterThan(0);
    const refusedReserve = jsonBody(refused[0]!) as ReserveCommand;
    await expectNothingDecided(inventoryId, refusedReserve.reservationId);

    // Nothing was accepted, so the key is free: a corrected body under the same key is not a 422.
    peer.rejectTransfersWith = undefined;
    warnings = [];
    const corrected = { ...body, quantity: 2 };
    const retry = await post(corrected, { 'idempotency-key': key });
    expect(retry.status).toBe(202);
    expect(warnings).toEqual([]);
    expect(retry.headers.get('idempotent-replayed')).toBeNull();
    const accepted = retry.body as { reservationId: string; commandId: string };
    expect(accepted.reservationId).not.toBe(refusedReserve.reservationId);
    expect(peer.transfers.map((t) => t.message.message_id)).toEqual([accepted.commandId]);
    expect((jsonBody(peer.transfers[0]!.message) as ReserveCommand).quantity).toBe(2);

    // Once accepted, the key replays: the same answer and the same message id (duplicate detection drops it).
    const again = await post(corrected, { 'idempotency-key': key });
    expect(again.status).toBe(202);
    expect(again.body).toEqual(retry.body);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(new Set(peer.transfers.map((t) => t.message.message_id))).toEqual(new Set([accepted.commandId]));
    // ... and the original body under that key is now a different request: 422.
    const mismatch = await post(body, { 'idempotency-key': key });
    expect(mismatch.status).toBe(422);
    // Nothing consumes the queue here, so nothing is decided, not even the refused attempt.
    await expectNothingDecided(inventoryId, refusedReserve.reservationId);
  });

  test('happy path through the real SDK: 202, and the Reserve goes out with the session and message ids', async () => {
    const inventoryId = newItemId('ok');
    const res = await post(
      { inventoryId, quantity: 4, userId: 'u4', holdSeconds: 300 },
      { traceparent: TRACEPARENT },
    );
    expect(res.status).toBe(202);
    expect(res.headers.get('content-type')).toBe('application/json');
    const commandId = String(res.body.commandId);
    const reservationId = String(res.body.reservationId);
    expect(res.body).toMatchObject({ status: 'pending', inventoryId });
    expect(reservationId).toMatch(/^r-/);
    expect(commandId).toMatch(/^c-/);
    const location = `http://localhost/api/inventory/${inventoryId}/reservations/${reservationId}`;
    expect(res.headers.get('location')).toBe(location);
    expect(res.body.statusUrl).toBe(location);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(warnings).toEqual([]);

    // Exactly one Reserve transfer: group-id (session) = inventory id, message-id = command id.
    expect(peer.transfers).toHaveLength(1);
    const sent = peer.transfers[0]!;
    expect(sent.address).toBe(QUEUE);
    expect(sent.message).toMatchObject({
      group_id: inventoryId,
      message_id: commandId,
      subject: 'Reserve',
      content_type: 'application/json',
    });
    expect(sent.message.application_properties).toMatchObject({ traceparent: TRACEPARENT });
    const reserve = jsonBody(sent.message) as ReserveCommand;
    expect(reserve).toEqual({
      type: 'Reserve',
      commandId,
      inventoryId,
      requestedAt: res.body.acceptedAt,
      reservationId,
      quantity: 4,
      userId: 'u4',
      expiresAt: res.body.expiresAt,
    });
    expect(Date.parse(reserve.expiresAt) - Date.parse(reserve.requestedAt)).toBe(300_000);

    // Accepting schedules nothing: the consumer schedules the expiry once the hold is made.
    expect(peer.schedules).toEqual([]);
  });

  test('bad input is a 400 and never reaches the broker', async () => {
    const res = await post({ inventoryId: 'bad id', quantity: 0, userId: 'u5' });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(peer.events.filter((e) => e.kind === 'transfer' || e.kind === 'schedule')).toEqual([]);
  });
});
