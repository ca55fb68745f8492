import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import type { LoadTestOptions } from './args';
import { ApiClient } from './client';
import { type ClientSample, measureClient } from './client-usage';
import { newProgress } from './progress';
import { type ReserveOptions, type ReserveRecord, sendReservations } from './reserve';

/**
 * The machine's HTTP ceiling: a bare node:http server answering POST /api/reservations with a fixed
 * 202, driven by the same load (same rate or concurrency, requests, pool) as the service, so the
 * report can say what fraction of plain Node HTTP the service reaches on this machine. The server is
 * a separate process, as the host is, so it does not share the tool's event loop.
 */

/** A 202 shaped and sized like the service's (acceptedView), fixed: nothing is decided. */
const BODY = JSON.stringify({
  status: 'pending',
  inventoryId: 'ceiling-item',
  commandId: '00000000-0000-4000-8000-000000000000',
  reservationId: '00000000-0000-4000-8000-000000000001',
  expiresAt: '2000-01-01T00:15:00.000Z',
  acceptedAt: '2000-01-01T00:00:00.000Z',
  statusUrl: '/api/inventory/ceiling-item/commands/00000000-0000-4000-8000-000000000000',
});

/** The server's whole program (run with node -e): reads each body, answers 202 or 404, prints its port. */
export const CEILING_SERVER_SOURCE = `
const http = require('node:http');
const body = Buffer.from(${JSON.stringify(BODY)});
const server = http.createServer((req, res) => {
  req.on('data', () => {});
  req.on('end', () => {
    const ok = req.method === 'POST' && req.url === '/api/reservations';
    res.writeHead(ok ? 202 : 404, { 'content-type': 'application/json', 'content-length': ok ? body.length : 2 });
    res.end(ok ? body : '{}');
  });
});
server.keepAliveTimeout = 5000;
server.listen(0, '127.0.0.1', () => process.stdout.write(server.address().port + '\\n'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`;

export interface CeilingServer {
  url: string;
  stop(): Promise<void>;
}

/** Starts the bare server on 127.0.0.1 in a child process; `url` includes /api. */
export async function startCeilingServer(timeoutMs = 10_000): Promise<CeilingServer> {
  const child = spawn(process.execPath, ['-e', CEILING_SERVER_SOURCE], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await readPort(child, timeoutMs);
  return {
    url: `http://127.0.0.1:${port}/api`,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}

function readPort(child: ChildProcess, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let text = '';
    const fail = (message: string) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`ceiling server: ${message}`));
    };
    const timer = setTimeout(() => fail(`no port within ${timeoutMs} ms`), timeoutMs);
    child.once('exit', (code) => fail(`exited with ${code} before listening`));
    child.stdout?.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
      const line = text.split('\n')[0] ?? '';
      if (!text.includes('\n')) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      const port = Number(line.trim());
      if (Number.isInteger(port) && port > 0) resolve(port);
      else fail(`printed "${line}" instead of a port`);
    });
  });
}

/** The ceiling run: the load phase only (nothing to set up, decide or check). */
export interface CeilingRun {
  records: ReserveRecord[];
  durationMs: number;
  client: ClientSample;
}

/** The service's load (with the same headers, keys included) and pool. */
type CeilingOptions = ReserveOptions & Pick<LoadTestOptions, 'items' | 'maxSockets' | 'requestTimeout'>;

/** Starts the bare server, sends it the run's load with a fresh pool, stops it. */
export async function runCeiling(options: CeilingOptions): Promise<CeilingRun> {
  const server = await startCeilingServer();
  const client = new ApiClient({
    baseUrl: server.url,
    maxSockets: options.maxSockets,
    timeoutMs: options.requestTimeout * 1000,
  });
  try {
    const itemIds = Array.from({ length: options.items }, (_, i) => `ceiling-${i}`);
    const { value, client: usage } = await measureClient(() =>
      sendReservations(client, options, itemIds, newProgress(options.requests)),
    );
    return { records: value.records, durationMs: value.durationMs, client: usage };
  } finally {
    client.close();
    await server.stop();
  }
}
