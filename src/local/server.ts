import { InvocationContext, type HttpResponseInit } from '@azure/functions';
import { randomUUID } from 'node:crypto';
import { randomBytesPooled } from '../app/random';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { problemResponse } from '../http/problem';
import { MAX_BODY_BYTES } from '../http/request';
import type { BoundRoute } from '../http/routes';
import {
  boundOrigin,
  connectionOrigin,
  crossSiteWrite,
  digest,
  isClientAbort,
  keyMatches,
  requestOrigin,
  unsafePath,
  withoutForwarded,
} from './front-door';
import type { Pages } from './dashboard/pages';
import type { LogSink } from './log';
import { LocalRequest } from './local-request';
import { Router } from './router';

export interface LocalServer {
  url: string;
  port: number;
  /** Stops accepting connections and waits for in-flight requests to finish. */
  stop(): Promise<void>;
}

export interface ServerOptions {
  port: number;
  /** Interface to bind (HOST). */
  host: string;
  /** API_KEY: required on every route that is not anonymous. */
  apiKey?: string;
  /** PUBLIC_BASE_URL: the origin links are built from; default the bound address. */
  publicBaseUrl?: string;
  /** TRUST_PROXY: honour X-Forwarded-Host/-Proto from a reverse proxy in front. */
  trustProxy: boolean;
  /** A request (headers and body) must arrive within this; a slow body must not hold a socket for minutes. */
  requestTimeoutMs?: number;
  /** Connections open at once; past it a new connection is closed at once (default 1024). */
  maxConnections?: number;
  /** Pages outside /api (the dashboard), answered after the path and origin checks, before routing. */
  pages?: Pages;
}

/** Serves the route table over plain Node HTTP, calling each handler as the Functions host would. */
export async function startServer(
  routes: readonly BoundRoute[],
  options: ServerOptions,
  sink: LogSink,
): Promise<LocalServer> {
  const state: ListenerState = { router: new Router(routes), inFlight: 0, idle: null, gate: null };
  const requestTimeout = options.requestTimeoutMs ?? 30_000;
  const server = http.createServer(
    {
      requestTimeout,
      headersTimeout: Math.min(10_000, requestTimeout),
      // How often Node checks those timeouts (its default, 30 s, would let a slow body linger).
      connectionsCheckingInterval: Math.min(1_000, requestTimeout),
    },
    requestListener(state, sink),
  );
  server.keepAliveTimeout = 5000;
  server.maxConnections = options.maxConnections ?? 1024;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: Error) =>
      reject(new Error(`cannot listen on HOST=${options.host} PORT=${options.port}: ${error.message}`)),
    );
    server.listen(options.port, options.host, resolve);
  });
  const address = server.address() as AddressInfo;
  const bound = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  state.gate = {
    base:
      options.publicBaseUrl !== undefined
        ? new URL(options.publicBaseUrl).origin
        : boundOrigin(address.address, address.port),
    trustProxy: options.trustProxy,
    ...(options.apiKey !== undefined ? { apiKey: digest(options.apiKey) } : {}),
    ...(options.pages ? { pages: options.pages } : {}),
  };
  return {
    url: `${bound}/api`,
    port: address.port,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        if (state.inFlight === 0) return;
        state.idle = () => server.closeIdleConnections();
      }),
  };
}

interface ListenerState {
  router: Router;
  inFlight: number;
  /** Set while stopping: closes the idle connections once the last request is answered. */
  idle: (() => void) | null;
  /** Known once the server is bound (its address is the default origin of links). */
  gate: Gate | null;
}

/** Counts requests in flight, logs each one, and answers 500 for anything a handler throws. */
function requestListener(state: ListenerState, sink: LogSink): http.RequestListener {
  return (req, res) => {
    state.inFlight += 1;
    const started = performance.now();
    res.on('close', () => {
      state.inFlight -= 1;
      if (state.inFlight === 0) state.idle?.();
      sink('info', {
        msg: 'request',
        method: req.method,
        path: (req.url ?? '/').split('?')[0],
        status: res.writableFinished ? res.statusCode : 'aborted',
        ms: Math.round(performance.now() - started),
      });
    });
    if (!state.gate) {
      res.statusCode = 503;
      res.end();
      return;
    }
    serve(state.router, state.gate, req, res, sink).catch((error: unknown) => {
      if (isClientAbort(error, req)) return; // the client went away: nothing to answer, nothing wrong here
      sink('error', { msg: 'request failed', error: error instanceof Error ? error.stack : String(error) });
      if (!res.headersSent)
        send(
          res,
          problemResponse(500, 'internal-error', 'Internal error', 'the request could not be processed'),
        );
      else res.destroy();
    });
  };
}

/** What every request is checked against before routing. */
interface Gate {
  /**
   * Links are built from this origin, never from the Host header a client sent; null when bound to every
   * interface, where each connection's local address is the origin.
   */
  base: string | null;
  trustProxy: boolean;
  apiKey?: Buffer;
  pages?: Pages;
}

/** What the path, origin and route checks let through, or the answer that refuses the request. */
type Admission =
  | { kind: 'refused'; response: HttpResponseInit }
  | {
      kind: 'admitted';
      method: string;
      rawPath: string;
      url: URL;
      route: BoundRoute;
      params: Record<string, string>;
    };

function admit(router: Router, gate: Gate, req: http.IncomingMessage): Admission {
  const raw = req.url ?? '/';
  const rawPath = raw.split('?')[0] ?? '/';
  const refuse = (response: HttpResponseInit): Admission => ({ kind: 'refused', response });
  const refused = unsafePath(rawPath);
  if (refused)
    return refuse(
      problemResponse(400, 'invalid-path', 'Invalid path', refused, undefined, [
        { field: '(path)', message: refused },
      ]),
    );
  const own = gate.base ?? connectionOrigin(req.socket);
  const origin = requestOrigin(own, req, gate.trustProxy);
  const method = (req.method ?? 'GET').toUpperCase();
  const crossSite = crossSiteWrite(method, req, [own, origin]);
  if (crossSite) return refuse(problemResponse(403, 'cross-site-request', 'Forbidden', crossSite, rawPath));
  // A page is answered as it is, like a refusal: no body to read, no route.
  const page = gate.pages?.(method, rawPath);
  if (page) return refuse(page);
  // Routed on the path as sent: URL parsing may rewrite it (percent-encoding, backslashes).
  const resolution = router.resolve(method, rawPath);
  switch (resolution.kind) {
    case 'not-found':
      return refuse(problemResponse(404, 'not-found', 'Not found', `no route for ${rawPath}`, rawPath));
    case 'method-not-allowed':
      return refuse(
        problemResponse(
          405,
          'method-not-allowed',
          'Method not allowed',
          `${method} is not allowed on ${rawPath}`,
          rawPath,
          [],
          { allow: resolution.allow.join(', ') },
        ),
      );
    case 'match': {
      const { route, params } = resolution.match;
      return { kind: 'admitted', method, rawPath, url: new URL(`${origin}${raw}`), route, params };
    }
  }
}

async function serve(
  router: Router,
  gate: Gate,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  sink: LogSink,
): Promise<void> {
  const admission = admit(router, gate, req);
  if (admission.kind === 'refused') {
    drain(req);
    return send(res, admission.response);
  }
  const { method, rawPath, url, route, params } = admission;
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
        rawPath,
        [{ field: '(body)', message: `larger than ${MAX_BODY_BYTES} bytes` }],
      ),
    );
  }
  if (gate.apiKey && route.authLevel !== 'anonymous' && !keyMatches(gate.apiKey, req)) {
    return send(
      res,
      problemResponse(
        401,
        'unauthorized',
        'Unauthorized',
        'send the API key in x-api-key (or x-functions-key)',
        rawPath,
        [],
        { 'www-authenticate': 'ApiKey header="x-api-key"' },
      ),
    );
  }
  const headers = gate.trustProxy ? req.headers : withoutForwarded(req.headers);
  const request = new LocalRequest(method, url.toString(), url.search, headers, params, body);
  send(res, await route.handler(request, invocationContext(route.name, request, sink)));
}

/** The context the Functions host would pass: an invocation id, the trace parent (the caller's, or new) and a log. */
function invocationContext(functionName: string, request: LocalRequest, sink: LogSink): InvocationContext {
  const traceParent =
    validTraceparent(request.headers.get('traceparent') ?? undefined) ??
    `00-${randomBytesPooled(16).toString('hex')}-${randomBytesPooled(8).toString('hex')}-01`;
  return new InvocationContext({
    invocationId: randomUUID(),
    functionName,
    traceContext: { traceParent, traceState: request.headers.get('tracestate') ?? '', attributes: {} },
    logHandler: (level, ...args) =>
      sink(level, { function: functionName, message: args.map(String).join(' ') }),
  });
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
