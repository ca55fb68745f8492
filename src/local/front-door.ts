import { createHash, timingSafeEqual } from 'node:crypto';
import type http from 'node:http';
import { isIPv6 } from 'node:net';
import { FORWARDED_HOST } from '../http/request';

/**
 * The local server's checks on a request before it is routed: what its path may contain, which origin its
 * links use, whether a browser sent it from another site, and its API key. Pure functions of the request.
 */

/** RFC 3986 path characters: unreserved, sub-delims, ':', '@', '/' and %-escapes. */
const PATH_CHARS = /^[A-Za-z0-9\-._~!$&'()*+,;=:@%/]*$/;

/**
 * Why a raw path is refused, or null. A path must name its route as written: dot segments, encoded slashes
 * and backslashes (which URL parsing turns into slashes before resolving `..`) never reach the router.
 */
export function unsafePath(rawPath: string): string | null {
  if (!rawPath.startsWith('/')) return 'the request target must be a path starting with /';
  if (/%2f|%5c/i.test(rawPath)) return 'encoded slashes (%2F, %5C) are not allowed in a path';
  if (!PATH_CHARS.test(rawPath)) {
    return "a path may contain only letters, digits, -._~!$&'()*+,;=:@/ and %-escapes";
  }
  for (const segment of rawPath.split('/')) {
    let decoded = segment;
    try {
      decoded = decodeURIComponent(segment);
    } catch {
      // malformed escapes are the route parameter's to refuse
    }
    if (decoded === '.' || decoded === '..') return 'dot segments (. and ..) are not allowed in a path';
  }
  return null;
}

/** `http://host:port` of an address the server listens on, or null for a wildcard (0.0.0.0, ::). */
export function boundOrigin(address: string, port: number): string | null {
  if (address === '0.0.0.0' || address === '::') return null;
  return `http://${hostPart(address)}:${port}`;
}

/**
 * Bound to every interface, a connection's own origin is the local address it arrived on: chosen by the
 * kernel, never by what the client wrote in Host.
 */
export function connectionOrigin(socket: { localAddress?: string; localPort?: number }): string {
  const address = (socket.localAddress ?? '127.0.0.1').replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '');
  return `http://${hostPart(address)}:${socket.localPort ?? 0}`;
}

function hostPart(address: string): string {
  return isIPv6(address) ? `[${address}]` : address;
}

/** The origin links are built from: the server's own, or a trusted proxy's when its headers are well-formed. */
export function requestOrigin(own: string, req: http.IncomingMessage, trustProxy: boolean): string {
  if (!trustProxy) return own;
  const base = new URL(own);
  const proto = header(req, 'x-forwarded-proto')?.trim().toLowerCase();
  const host = header(req, 'x-forwarded-host')?.trim();
  const scheme = proto === 'http' || proto === 'https' ? proto : base.protocol.replace(':', '');
  const name = host !== undefined && FORWARDED_HOST.test(host) ? host : base.host;
  return `${scheme}://${name}`;
}

/**
 * A state-changing request a browser made from another site (a page the user happens to visit): refused.
 * Browsers say where a request comes from (Sec-Fetch-Site, else Origin); curl and SDKs send neither.
 */
export function crossSiteWrite(
  method: string,
  req: http.IncomingMessage,
  ownOrigins: readonly string[],
): string | null {
  if (method === 'GET' || method === 'HEAD' || method === 'OPTIONS') return null;
  const site = header(req, 'sec-fetch-site');
  if (site === 'same-origin' || site === 'none') return null;
  if (site !== undefined) return `a ${site} browser request may not change anything here`;
  const from = header(req, 'origin');
  if (from === 'null') return 'requests from an opaque origin may not change anything here';
  if (from !== undefined && !ownOrigins.includes(from)) {
    return `requests from ${from} may not change anything here`;
  }
  return null;
}

export function header(req: http.IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

export function withoutForwarded(headers: http.IncomingHttpHeaders): http.IncomingHttpHeaders {
  const { 'x-forwarded-host': _host, 'x-forwarded-proto': _proto, ...rest } = headers;
  return rest;
}

export function digest(key: string): Buffer {
  return createHash('sha256').update(key).digest();
}

/** Constant time: compares digests of equal length whatever was sent. */
export function keyMatches(expected: Buffer, req: http.IncomingMessage): boolean {
  const sent = header(req, 'x-api-key') ?? header(req, 'x-functions-key');
  return sent !== undefined && timingSafeEqual(expected, digest(sent));
}

/** The client closed the connection mid-request: nothing to answer, and nothing wrong on our side. */
export function isClientAbort(error: unknown, req: http.IncomingMessage): boolean {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return (
    req.destroyed || code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE' || code === 'ECONNABORTED'
  );
}
