import { InvocationContext, type HttpResponseInit } from '@azure/functions';
import { randomUUID } from 'node:crypto';
import { randomBytesPooled } from '../app/random';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { problemResponse } from '../http/problem';
import { MAX_BODY_BYTES } from '../http/request';
import type { BoundRoute } from '../http/routes';
import type { LogSink } from './log';
import { LocalRequest } from './local-request';
import { Router } from './router';

export interface LocalServer {
  url: string;
  port: number;
  /** Stops accepting connections and waits for in-flight requests to finish. */
  stop(): Promise<void>;
}

/** Serves the route table over plain Node HTTP, calling each handler as the Functions host would. */
export async function startServer(
  routes: readonly BoundRoute[],
  port: number,
  sink: LogSink,
): Promise<LocalServer> {
  const router = new Router(routes);
  let inFlight = 0;
  let idle: (() => void) | null = null;
  const server = http.createServer((req, res) => {
    inFlight += 1;
    res.on('close', () => {
      inFlight -= 1;
      if (inFlight === 0) idle?.();
    });
    serve(router, req, res, sink).catch((error: unknown) => {
      sink('error', { msg: 'request failed', error: error instanceof Error ? error.stack : String(error) });
      if (!res.headersSent)
        send(
          res,
          problemResponse(500, 'internal-error', 'Internal error', 'the request could not be processed'),
        );
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 5000;
  server.headersTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, resolve);
  });
  const actual = (server.address() as AddressInfo).port;
  return {
    url: `http://localhost:${actual}/api`,
    port: actual,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        if (inFlight === 0) return;
        idle = () => server.closeIdleConnections();
      }),
  };
}

async function serve(
  router: Router,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  sink: LogSink,
): Promise<void> {
  const url = new URL(req.url ?? '/', `http://${req.headers.host ?? 'localhost'}`);
  const method = (req.method ?? 'GET').toUpperCase();
  const resolution = router.resolve(method, url.pathname);
  if (resolution.kind === 'not-found') {
    drain(req);
    return send(
      res,
      problemResponse(404, 'not-found', 'Not found', `no route for ${url.pathname}`, url.pathname),
    );
  }
  if (resolution.kind === 'method-not-allowed') {
    drain(req);
    return send(
      res,
      problemResponse(
        405,
        'method-not-allowed',
        'Method not allowed',
        `${method} is not allowed on ${url.pathname}`,
        url.pathname,
        [],
        {
          allow: resolution.allow.join(', '),
        },
      ),
    );
  }
  const body = await readBody(req);
  if (body === 'too-large') {
    res.setHeader('connection', 'close');
    return send(
      res,
      problemResponse(
        413,
        'payload-too-large',
        'Payload too large',
        `the body must be at most ${MAX_BODY_BYTES} bytes`,
        url.pathname,
        [{ field: '(body)', message: `larger than ${MAX_BODY_BYTES} bytes` }],
      ),
    );
  }
  const { route, params } = resolution.match;
  const request = new LocalRequest(method, url.toString(), url.search, req.headers, params, body);
  const incoming = request.headers.get('traceparent') ?? undefined;
  const traceParent =
    validTraceparent(incoming) ??
    `00-${randomBytesPooled(16).toString('hex')}-${randomBytesPooled(8).toString('hex')}-01`;
  const context = new InvocationContext({
    invocationId: randomUUID(),
    functionName: route.name,
    traceContext: { traceParent, traceState: request.headers.get('tracestate') ?? '', attributes: {} },
    logHandler: (level, ...args) =>
      sink(level, { function: route.name, message: args.map(String).join(' ') }),
  });
  send(res, await route.handler(request, context));
}

function send(res: http.ServerResponse, response: HttpResponseInit): void {
  const headers = (response.headers ?? {}) as Record<string, string>;
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  const body =
    typeof response.body === 'string'
      ? response.body
      : response.jsonBody !== undefined
        ? JSON.stringify(response.jsonBody)
        : '';
  res.statusCode = response.status ?? 200;
  res.end(body);
}

function readBody(req: http.IncomingMessage): Promise<Buffer | 'too-large'> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? '0');
    if (declared > MAX_BODY_BYTES) {
      drain(req);
      resolve('too-large');
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        req.removeAllListeners('data');
        drain(req);
        resolve('too-large');
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Reads and discards the rest of a body we refuse, so the answer reaches the client intact. */
function drain(req: http.IncomingMessage): void {
  req.resume();
}

function validTraceparent(value: string | undefined): string | undefined {
  return value && /^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/.test(value) ? value : undefined;
}
