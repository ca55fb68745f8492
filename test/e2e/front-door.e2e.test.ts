import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Settings } from '../../src/config/settings';
import { bindRoutes } from '../../src/http/routes';
import { localSettings, startHost, type Host } from '../../src/local/host';
import { startServer } from '../../src/local/server';
import { rawRequest as raw } from '../support/raw-http';
import { ApiClient } from '../support/http-client';

/**
 * The one-machine host's front door, probed as a hostile client and a careless web page would: raw
 * requests (Node's http.request does not normalise paths or headers), all on loopback.
 */

const hosts: Host[] = [];
const dirs: string[] = [];
afterAll(async () => {
  for (const host of hosts) await host.stop();
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

async function start(
  overrides: Partial<Settings> = {},
): Promise<{ host: Host; api: ApiClient; port: number }> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'e2e-door-'));
  dirs.push(dataDir);
  const host = await startHost(localSettings({ dataDir, ...overrides }), () => undefined);
  hosts.push(host);
  return { host, api: new ApiClient(host.url), port: host.server.port };
}

const JSON_HEADERS = { 'content-type': 'application/json' };
const reservation = (inventoryId: string) => JSON.stringify({ inventoryId, quantity: 1, userId: 'u1' });

describe('the front door', () => {
  let port: number;
  let api: ApiClient;
  let bound: string;

  beforeAll(async () => {
    const started = await start();
    port = started.port;
    api = started.api;
    bound = started.host.url;
    await api.createItem('sku-1', 5);
    await api.createItem('sku-2', 5);
  });

  it('binds loopback by default and says where', () => {
    expect(bound).toBe(`http://127.0.0.1:${port}/api`);
  });

  it('refuses a body that is not application/json with 415 (a cross-site text/plain POST)', async () => {
    for (const type of [
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
    ]) {
      const res = await raw(
        port,
        'POST',
        '/api/reservations',
        { 'content-type': type },
        reservation('sku-1'),
      );
      expect([type, res.status, res.headers['content-type']]).toEqual([
        type,
        415,
        'application/problem+json',
      ]);
      expect(JSON.parse(res.body).errors).toEqual([
        { field: 'Content-Type', message: 'must be application/json' },
      ]);
    }
    const ok = await raw(
      port,
      'POST',
      '/api/reservations',
      { 'content-type': 'application/json; charset=utf-8' },
      reservation('sku-1'),
    );
    expect(ok.status).toBe(202);
  });

  it('refuses a state change a browser makes from another site, and allows the same origin', async () => {
    const confirmFromElsewhere = await raw(port, 'POST', '/api/inventory/sku-1/reservations/r-x/confirm', {
      'sec-fetch-site': 'cross-site',
      origin: 'https://evil.example',
    });
    expect(confirmFromElsewhere.status).toBe(403);
    const fromOrigin = await raw(
      port,
      'POST',
      '/api/reservations',
      { ...JSON_HEADERS, origin: 'https://evil.example' },
      reservation('sku-1'),
    );
    expect(fromOrigin.status).toBe(403);
    const sameOrigin = await raw(
      port,
      'POST',
      '/api/reservations',
      { ...JSON_HEADERS, origin: `http://127.0.0.1:${port}`, 'sec-fetch-site': 'same-origin' },
      reservation('sku-1'),
    );
    expect(sameOrigin.status).toBe(202);
  });

  it('follows RFC 9110 for If-Match: * never creates, and every 412 says what is wrong', async () => {
    const star = await raw(
      port,
      'PUT',
      '/api/inventory/sku-new',
      { ...JSON_HEADERS, 'if-match': '*' },
      '{"available":1}',
    );
    expect(star.status).toBe(412);
    expect(JSON.parse(star.body).detail).toMatch(/does not exist/);
    expect((await api.get('/inventory/sku-new')).status).toBe(404);

    const replaced = await raw(
      port,
      'PUT',
      '/api/inventory/sku-2',
      { ...JSON_HEADERS, 'if-match': '*' },
      '{"available":7}',
    );
    expect(replaced.status).toBe(200);
    const { etag } = await api.getItem('sku-2');
    const unquoted = await raw(
      port,
      'PUT',
      '/api/inventory/sku-2',
      { ...JSON_HEADERS, 'if-match': etag.replace(/"/g, '') },
      '{"available":6}',
    );
    expect(unquoted.status).toBe(412);
    expect(JSON.parse(unquoted.body).detail).toMatch(/quoted ETag/);
    const listed = await raw(
      port,
      'PUT',
      '/api/inventory/sku-2',
      { ...JSON_HEADERS, 'if-match': `"nope", ${etag}` },
      '{"available":5}',
    );
    expect(listed.status).toBe(200);
  });

  it('routes on the raw path: dot segments and encoded slashes are refused, the other item is untouched', async () => {
    const before = await api.getItem('sku-2');
    for (const rawPath of [
      '/api/inventory/sku-1/reservations/../../sku-2/adjustments',
      '/api/inventory/sku-1/reservations/%2e%2e/%2E%2E/sku-2/adjustments',
      '/api/inventory/sku-1%2F..%2Fsku-2/adjustments',
      '/api/./inventory/sku-2/adjustments',
      // URL parsing turns backslashes into slashes and then resolves the dots.
      '/api/inventory/sku-1/reservations\\..\\..\\sku-2/adjustments',
      '/api/inventory/sku-1/reservations/%5C..%5C..%5Csku-2/adjustments',
    ]) {
      const res = await raw(port, 'POST', rawPath, JSON_HEADERS, '{"delta":-5,"reason":"x"}');
      expect([rawPath, res.status]).toEqual([rawPath, 400]);
    }
    await new Promise((r) => setTimeout(r, 300));
    expect((await api.getItem('sku-2')).etag).toBe(before.etag);
  });

  it('answers a malformed Host header without a 5xx, and builds links from its own address, not from Host or X-Forwarded-*', async () => {
    for (const host of ['a b', '[', 'x:99999', 'javascript://evil']) {
      const res = await raw(port, 'GET', '/api/health', { host });
      expect([host, res.status < 500 || res.status === 503]).toEqual([host, true]);
    }
    const res = await raw(
      port,
      'POST',
      '/api/reservations',
      {
        ...JSON_HEADERS,
        host: 'evil.example',
        'x-forwarded-host': 'javascript://x',
        'x-forwarded-proto': 'javascript',
      },
      reservation('sku-1'),
    );
    expect(res.status).toBe(202);
    expect(String(res.headers.location)).toMatch(
      new RegExp(`^http://127\\.0\\.0\\.1:${port}/api/inventory/sku-1/reservations/`),
    );
  });

  it('answers 404 at once for an id with a typo or asked about under another item, not pending', async () => {
    const res = await api.reserve({ inventoryId: 'sku-1', quantity: 1, userId: 'u9' });
    const id = res.body.reservationId ?? '';
    const flipped = id.slice(0, -1) + (id.endsWith('A') ? 'B' : 'A');
    const typo = await api.get(`/inventory/sku-1/reservations/${flipped}`);
    expect(typo.status).toBe(404);
    // The check is 10 bits: one item in 1024 shares it, so ask under three others.
    const moved = await Promise.all(
      ['sku-2', 'sku-3', 'sku-4'].map((item) => api.get(`/inventory/${item}/reservations/${id}`)),
    );
    expect(moved.filter((r) => r.status === 404).length).toBeGreaterThanOrEqual(2);
    expect((await api.get(`/inventory/sku-1/reservations/${id}`)).status).toBe(200);
  });

  it('refuses a key given twice in a JSON body, naming it', async () => {
    const res = await raw(
      port,
      'POST',
      '/api/reservations',
      JSON_HEADERS,
      '{"inventoryId":"sku-1","quantity":1,"userId":"u","quantity":999999}',
    );
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body).errors).toEqual([{ field: 'quantity', message: 'given more than once' }]);
  });
});

describe('exposed on purpose', () => {
  it('with API_KEY, every route but health and the OpenAPI document needs the key', async () => {
    const { port } = await start({ apiKey: 'k'.repeat(32) });
    expect((await raw(port, 'GET', '/api/health')).status).toBe(200);
    expect((await raw(port, 'GET', '/api/openapi.json')).status).toBe(200);
    expect((await raw(port, 'GET', '/api/inventory/sku-1')).status).toBe(401);
    expect((await raw(port, 'GET', '/api/inventory/sku-1', { 'x-api-key': 'wrong' })).status).toBe(401);
    expect((await raw(port, 'GET', '/api/inventory/sku-1', { 'x-api-key': 'k'.repeat(32) })).status).toBe(
      404,
    );
    expect(
      (await raw(port, 'GET', '/api/inventory/sku-1', { 'x-functions-key': 'k'.repeat(32) })).status,
    ).toBe(404);
  });

  it('behind a trusted proxy (TRUST_PROXY), links use the forwarded host and scheme when they are well-formed', async () => {
    const { port, api } = await start({ trustProxy: true });
    await api.createItem('sku-1', 2);
    const good = await raw(
      port,
      'POST',
      '/api/reservations',
      { ...JSON_HEADERS, 'x-forwarded-host': 'shop.example.com', 'x-forwarded-proto': 'https' },
      reservation('sku-1'),
    );
    expect(String(good.headers.location)).toMatch(
      /^https:\/\/shop\.example\.com\/api\/inventory\/sku-1\/reservations\//,
    );
    const bad = await raw(
      port,
      'POST',
      '/api/reservations',
      { ...JSON_HEADERS, 'x-forwarded-host': 'javascript://x', 'x-forwarded-proto': 'javascript' },
      reservation('sku-1'),
    );
    expect(String(bad.headers.location)).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${port}/`));
  });
});

describe('slow clients', () => {
  it('cuts off a request whose body trickles in, long before the 300 s Node would wait', async () => {
    const server = await startServer(
      bindRoutes(() => Promise.reject(new Error('no services needed'))),
      { port: 0, host: '127.0.0.1', trustProxy: false, requestTimeoutMs: 1_000 },
      () => undefined,
    );
    try {
      const socket = net.connect(server.port, '127.0.0.1');
      socket.write(
        'POST /api/reservations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"in',
      );
      const started = Date.now();
      const answer = await new Promise<string>((resolve) => {
        let text = '';
        socket.on('data', (d) => (text += d.toString()));
        socket.on('close', () => resolve(text));
      });
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(answer).toMatch(/^HTTP\/1\.1 408/);
    } finally {
      await server.stop();
    }
  });
});
