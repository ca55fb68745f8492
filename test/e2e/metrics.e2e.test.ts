import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AcceptedView } from '../support/http-client';
import { startHostProcess, type HostProcess } from '../support/host-process';
import { KeyedApiClient, total, types } from '../support/prometheus-text';

jest.setTimeout(90_000);

const KEY = 'metrics-e2e-key-0123456789';

/**
 * The compiled host as `npm start` runs it: the consumer on its worker thread, so the decisions are counted
 * there and reach /api/metrics on the main thread through the thread's port.
 */
describe('GET /api/metrics on the one-machine host with its consumer thread', () => {
  let host: HostProcess;
  let dir: string;
  let api: KeyedApiClient;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'metrics-e2e-'));
    host = await startHostProcess({ dataDir: dir, env: { API_KEY: KEY } });
    api = new KeyedApiClient(host.url, KEY);
  });

  afterAll(async () => {
    await host?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('counts what was decided on the consumer thread and timed on the main thread, as Prometheus text', async () => {
    expect((await api.put('/inventory/sku-m', { available: 3 })).status).toBe(201);
    const body = { inventoryId: 'sku-m', quantity: 2, userId: 'user-1' };
    const held = await api.post<AcceptedView>('/reservations', body, { 'idempotency-key': 'order-1' });
    // The same key and body: answered from the key, the resend dropped by duplicate detection.
    const replayed = await api.post<AcceptedView>('/reservations', body, { 'idempotency-key': 'order-1' });
    expect(replayed.body.reservationId).toBe(held.body.reservationId);
    const refused = await api.post<AcceptedView>('/reservations', body);
    expect(await api.pollUntilDecided(held.body.statusUrl)).toMatchObject({ status: 'held' });
    expect(await api.pollUntilDecided(refused.body.statusUrl)).toMatchObject({ status: 'rejected' });
    const confirmed = await api.post<AcceptedView>(
      `/inventory/sku-m/reservations/${held.body.reservationId}/confirm`,
    );
    const adjusted = await api.post<AcceptedView>('/inventory/sku-m/adjustments', {
      delta: 1,
      reason: 'restock',
    });
    expect(await api.pollUntilDecided(confirmed.body.statusUrl)).toMatchObject({ status: 'applied' });
    expect(await api.pollUntilDecided(adjusted.body.statusUrl)).toMatchObject({ status: 'applied' });

    // The hold's ExpireHold is sent after its decision commits: wait for it to be scheduled too.
    const text = await api.metricsWhen(
      (t) =>
        total(t, 'inventory_commands_decided_total') === 4 &&
        total(t, 'inventory_queue_backlog', { state: 'scheduled' }) === 1,
    );

    const decided = (type: string, outcome: string) =>
      total(text, 'inventory_commands_decided_total', { command_type: type, outcome });
    expect([
      decided('Reserve', 'applied'),
      decided('Reserve', 'rejected'),
      decided('Confirm', 'applied'),
      decided('Adjust', 'applied'),
    ]).toEqual([1, 1, 1, 1]);
    const accepts = (type: string, outcome: string) =>
      total(text, 'inventory_accept_duration_count', { command_type: type, outcome });
    expect([
      accepts('Reserve', 'accepted'),
      accepts('Reserve', 'replayed'),
      accepts('Confirm', 'accepted'),
      accepts('Adjust', 'accepted'),
    ]).toEqual([2, 1, 1, 1]);
    expect(total(text, 'inventory_accept_duration_bucket', { le: '+Inf' })).toBe(5);
    expect(total(text, 'inventory_decision_latency_count')).toBe(4);
    expect(total(text, 'inventory_batch_size_count')).toBe(4);
    expect(total(text, 'inventory_queue_backlog', { state: 'active' })).toBe(0);
    expect(total(text, 'inventory_dead_letters_total')).toBe(0);
    expect(total(text, 'inventory_redeliveries_total')).toBe(0);

    // Prometheus format: each family declared once, with its type.
    const declared = types(text);
    expect(declared.get('inventory_commands_decided_total')).toEqual(['counter']);
    expect(declared.get('inventory_accept_duration')).toEqual(['histogram']);
    expect(declared.get('inventory_decision_latency')).toEqual(['histogram']);
    expect(declared.get('inventory_batch_size')).toEqual(['histogram']);
    expect(declared.get('inventory_queue_backlog')).toEqual(['gauge']);
    expect([...declared.values()].filter((list) => list.length > 1)).toEqual([]);
  });

  it('answers Prometheus text only with the API key', async () => {
    const anonymous = await fetch(`${host.url}/metrics`);
    expect(anonymous.status).toBe(401);
    const keyed = await api.get('/metrics');
    expect(keyed.status).toBe(200);
    expect(keyed.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(keyed.text).toMatch(/^# TYPE /m);
  });
});
