import type { ApiRequest } from './route-types';
import type { z } from 'zod';
import { Id } from './schemas';
import { firstDuplicateKey } from './json-keys';
import { invalid, ProblemError, type FieldError } from './problem';

export const MAX_BODY_BYTES = 64 * 1024;

/**
 * Reads the JSON body: 415 for another media type (a browser can send text/plain cross-site without asking
 * first; application/json it cannot), 413 past 64 KiB, 400 for malformed JSON or a key given twice, 400
 * naming each field the schema refuses.
 */
export async function readJson<S extends z.ZodType>(request: ApiRequest, schema: S): Promise<z.infer<S>> {
  const mediaType = (request.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (!/^application\/([a-z0-9.+-]+\+)?json$/.test(mediaType)) {
    throw new ProblemError(
      415,
      'unsupported-media-type',
      'Unsupported media type',
      `the body must be application/json, not ${mediaType === '' ? 'a body without Content-Type' : mediaType}`,
      [{ field: 'Content-Type', message: 'must be application/json' }],
    );
  }
  const declared = Number(request.headers.get('content-length') ?? '0');
  if (declared > MAX_BODY_BYTES) throw tooLarge();
  const text = await request.text();
  if (Buffer.byteLength(text) > MAX_BODY_BYTES) throw tooLarge();
  if (text.trim() === '') throw invalid([{ field: '(body)', message: 'a JSON body is required' }]);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ProblemError(
      400,
      'malformed-json',
      'Malformed JSON',
      `the body is not valid JSON: ${(error as Error).message}`,
      [{ field: '(body)', message: 'not valid JSON' }],
    );
  }
  const repeated = firstDuplicateKey(text);
  if (repeated !== null) throw invalid([{ field: repeated, message: 'given more than once' }]);
  return validate(schema, value, '');
}

export function validate<S extends z.ZodType>(schema: S, value: unknown, prefix: string): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw invalid(parsed.error.issues.map((issue) => toFieldError(issue, prefix)));
}

function toFieldError(issue: z.core.$ZodIssue, prefix: string): FieldError {
  const path = issue.path.map(String).join('.');
  if (issue.code === 'unrecognized_keys') {
    // Named where they are: `price` at the top, `lines.0.price` inside a line.
    const at = prefix + (path === '' ? '' : `${path}.`);
    return { field: issue.keys.map((k) => at + k).join(', '), message: 'unknown field' };
  }
  const field = path === '' ? (prefix === '' ? '(body)' : prefix.replace(/\.$/, '')) : prefix + path;
  return { field, message: issue.message };
}

/** Route parameters are ids; a bad one is a 400 naming the parameter, never a 404 or a 5xx. */
export function pathId(request: ApiRequest, name: string): string {
  const value = request.params[name];
  const parsed = Id.safeParse(value);
  if (!parsed.success || value === undefined) {
    throw invalid([{ field: name, message: 'must match ^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$' }]);
  }
  return value;
}

export function queryObject(request: ApiRequest): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [key, value] of request.query.entries()) {
    if (key in result) throw invalid([{ field: key, message: 'given more than once' }]);
    result[key] = value;
  }
  return result;
}

/** Idempotency-Key: 1 to 255 printable ASCII characters. */
export function idempotencyKey(request: ApiRequest): string | undefined {
  const key = request.headers.get('idempotency-key');
  if (key === null) return undefined;
  if (!/^[\x21-\x7e]{1,255}$/.test(key)) {
    throw invalid([{ field: 'Idempotency-Key', message: 'must be 1 to 255 printable ASCII characters' }]);
  }
  return key;
}

/**
 * Where links (Location, statusUrl, next) point: the request URL's origin. The local server builds that
 * URL from its configured or bound address, never from what the client sent; on Azure the platform's
 * front end sets the forwarded headers, which are honoured only when well-formed.
 */
export function baseUrl(request: ApiRequest): string {
  const url = new URL(request.url);
  const proto = request.headers.get('x-forwarded-proto')?.trim().toLowerCase();
  const host = request.headers.get('x-forwarded-host')?.trim();
  const scheme = proto === 'http' || proto === 'https' ? proto : url.protocol.replace(':', '');
  return `${scheme}://${host !== undefined && FORWARDED_HOST.test(host) ? host : url.host}`;
}

/** A host name or IPv4 address with an optional port (1-65535): what a forwarded host may be. */
export const FORWARDED_HOST =
  /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)*(?::(?:6553[0-5]|655[0-2]\d|65[0-4]\d\d|6[0-4]\d{3}|[1-5]\d{4}|[1-9]\d{0,3}))?$/;

function tooLarge(): ProblemError {
  return new ProblemError(
    413,
    'payload-too-large',
    'Payload too large',
    `the body must be at most ${MAX_BODY_BYTES} bytes`,
    [{ field: '(body)', message: `larger than ${MAX_BODY_BYTES} bytes` }],
  );
}
