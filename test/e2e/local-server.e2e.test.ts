import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Settings } from '../../src/config/settings';
import { bindRoutes } from '../../src/http/routes';
import { localSettings, startHost, type Host } from '../../src/local/host';
import { startServer, type LocalServer } from '../../src/local/server';
import { rawRequest as request } from '../support/raw-http';

/**
 * The one-machine server as an operator meets it: where links point when it is exposed, how many
 * connections it holds, what it logs per request and what a client that hangs up leaves in the log.
 * Loopback only, every wait bounded.
 */

const hosts: Host[] = [];
const dirs: string[] = [];
afterAll(async () => {
  for (const host of hosts) await host.stop();
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

type Line = { level: string; fields: Record<string, unknown> };

async function start(
  overrides: Partial<Settings> = {},
): Promise<{ host: Host; port: number; lines: Line[] }> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'e2e-server-'));
  dirs.push(dataDir);
  const lines: Line[] = [];
  const host = await startHost(localSettings({ dataDir, ...overrides }), (level, fields) =>
    lines.push({ level, fields }),
  );
  hosts.push(host);
  return { host, port: host.server.port, lines };
}

const JSON_HEADERS = { 'content-type': 'application/json' };
const until = async (check: () => boolean, ms = 2_000) => {
  const deadline = Date.now() + ms;
  while (!check() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
};

describe('exposed on every interface (HOST=0.0.0.0)', () => {
  it('says the address it bound, and builds links from the address each connection arrived on, never from Host', async () => {
    const { host, port } = await start({ host: '0.0.0.0' });
    expect(host.url).toBe(`http://0.0.0.0:${port}/api`);
    const created = await request(
      port,
      'PUT',
      '/api/inventory/sku-1',
      { ...JSON_HEADERS, host: 'evil.example' },
      '{"available":1}',
    );
    expect(created.status).toBe(201);
    expect(created.headers.location).toBe(`http://127.0.0.1:${port}/api/inventory/sku-1`);
  });

  it('with PUBLIC_BASE_URL, builds links from it and takes writes from a page served there', async () => {
    const { port } = await start({ host: '0.0.0.0', publicBaseUrl: 'https://inventory.example.com' });
    const created = await request(
      port,
      'PUT',
      '/api/inventory/sku-1',
      { ...JSON_HEADERS, origin: 'https://inventory.example.com' },
      '{"available":1}',
    );
    expect([created.status, created.headers.location]).toEqual([
      201,
      'https://inventory.example.com/api/inventory/sku-1',
    ]);
  });
});

describe('binding', () => {
  it('names HOST and PORT when it cannot listen', async () => {
    const { port } = await start();
    await expect(
      startServer(
        bindRoutes(() => Promise.reject(new Error('unused'))),
        { port, host: '127.0.0.1', trustProxy: false },
        () => undefined,
      ),
    ).rejects.toThrow(new RegExp(`cannot listen on HOST=127\\.0\\.0\\.1 PORT=${port}: .*EADDRINUSE`));
  });
});

describe('connections', () => {
  let server: LocalServer;
  beforeAll(async () => {
    server = await startServer(
      bindRoutes(() => Promise.reject(new Error('no services needed'))),
      { port: 0, host: '127.0.0.1', trustProxy: false, maxConnections: 2 },
      () => undefined,
    );
  });
  afterAll(() => server.stop());

  /** A kept-alive connection that has been answered once, so the server surely counts it. */
  async function openConnection(): Promise<{ socket: net.Socket; answered: boolean; closed: Promise<void> }> {
    const socket = net.connect(server.port, '127.0.0.1');
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    const answered = await new Promise<boolean>((resolve) => {
      socket.once('data', () => resolve(true));
      socket.once('close', () => resolve(false));
      socket.write('GET /api/no-such-route HTTP/1.1\r\nHost: x\r\n\r\n');
    });
    return { socket, answered, closed };
  }

  it('holds at most maxConnections at once and drops the next one at once', async () => {
    const first = await openConnection();
    const second = await openConnection();
    expect([first.answered, second.answered]).toEqual([true, true]);
    const third = await openConnection();
    expect(third.answered).toBe(false);
    first.socket.destroy();
    await first.closed;
    await new Promise((r) => setTimeout(r, 50));
    const fourth = await openConnection();
    expect(fourth.answered).toBe(true);
    second.socket.destroy();
    fourth.socket.destroy();
  });
});

describe('the access log', () => {
  it('has one info line per request with method, path, status and duration, and no query string or key', async () => {
    const { port, lines } = await start({ apiKey: 'k'.repeat(32) });
    await request(port, 'GET', '/api/inventory/sku-9/ledger?limit=5&continuation=secret-token', {
      'x-api-key': 'k'.repeat(32),
    });
    await until(() => lines.some((l) => l.fields.msg === 'request'));
    const access = lines.filter((l) => l.fields.msg === 'request');
    expect(access).toEqual([
      {
        level: 'info',
        // 400: the continuation is not one this API issued
        fields: {
          msg: 'request',
          method: 'GET',
          path: '/api/inventory/sku-9/ledger',
          status: 400,
          ms: expect.any(Number),
        },
      },
    ]);
    expect(JSON.stringify(lines)).not.toMatch(/secret-token|kkkkkkkk/);
  });

  it('records a client that hangs up mid-body as aborted, with no error line and no stack', async () => {
    const { port, lines } = await start();
    const socket = net.connect(port, '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.write(
      'POST /api/reservations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{"inv',
    );
    await new Promise((r) => setTimeout(r, 100));
    socket.destroy();
    await until(() => lines.some((l) => l.fields.msg === 'request'));
    expect(lines.filter((l) => l.fields.msg === 'request').map((l) => [l.level, l.fields.status])).toEqual([
      ['info', 'aborted'],
    ]);
    expect(lines.filter((l) => l.level === 'error' || JSON.stringify(l.fields).includes('    at '))).toEqual(
      [],
    );
  });
});
