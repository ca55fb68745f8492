import http from 'node:http';
import { runCeiling, startCeilingServer } from '../../tools/loadtest/ceiling';
import { ceilingSection } from '../../tools/loadtest/client-report';

jest.setTimeout(30_000);

/** One raw request to the ceiling server: status and body. */
function post(url: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${url}${path}`, { method: 'POST' }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end('{"inventoryId":"x","quantity":1}');
  });
}

describe('the HTTP ceiling: a bare node:http server driven by the load tool', () => {
  it('listens on 127.0.0.1, answers POST /api/reservations with a fixed 202, anything else 404, and stops', async () => {
    const server = await startCeilingServer();
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api$/);
      const accepted = await post(server.url, '/reservations');
      expect(accepted.status).toBe(202);
      expect(JSON.parse(accepted.body)).toMatchObject({
        status: 'pending',
        reservationId: expect.any(String),
      });
      expect((await post(server.url, '/carts')).status).toBe(404);
    } finally {
      await server.stop();
    }
    await expect(post(server.url, '/reservations')).rejects.toThrow();
  });

  it('runs a short open-loop load against it and reports accepted/s, accept p99 and the fraction', async () => {
    const run = await runCeiling({
      requests: 300,
      rate: 600,
      concurrency: undefined,
      quantity: 1,
      holdSeconds: undefined,
      runId: 'ceiling-e2e',
      idempotencyKeys: true,
      distribution: 'uniform',
      zipfSkew: 1.1,
      seed: 3,
      items: 10,
      maxSockets: 16,
      requestTimeout: 10,
    });
    expect(run.records).toHaveLength(300);
    expect(run.records.every((r) => r.status === 202 && r.reservationId)).toBe(true);
    expect(run.client.wallMs).toBeGreaterThan(0);
    const section = ceilingSection(run, 600, 300, 0);
    expect(section.httpErrors).toBe(0);
    expect(section.latencyMs.accept.count).toBe(300);
    // With a warm-up, the ceiling's latencies leave out the same first requests as the service's.
    expect(ceilingSection(run, 600, 300, 250).latencyMs.accept.count).toBe(150);
    expect(section.acceptP99Ms).toBe(section.latencyMs.accept.p99);
    expect(section.fractionOfCeiling).toBeCloseTo(300 / section.acceptedPerSecond, 2);
    expect(section.client.limited === true || section.client.limited === false).toBe(true);
  });
});
