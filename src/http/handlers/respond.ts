import type { HttpResponseInit, InvocationContext } from '@azure/functions';
import type { ApiRequest } from '../route-types';
import type { Accepted, AcceptResult, TraceContext } from '../../app/accept';
import type { z } from 'zod';
import { ProblemError } from '../problem';
import { Problem } from '../schemas';

export const keyHeader = [
  { name: 'Idempotency-Key', description: 'Makes retries safe: same key and body, same answer' },
];

/** What an asynchronous route answers: 202 with the status resource, or why nothing was accepted. */
export function acceptedResponsesOf(schema: z.ZodType, description: string) {
  return {
    202: { description, schema, headers: ['Location', 'Retry-After'] },
    400: { description: 'Invalid input; the problem names the field', schema: Problem },
    422: { description: 'Idempotency-Key reused with a different request', schema: Problem },
    503: {
      description: 'Queue unavailable; nothing was accepted',
      schema: Problem,
      headers: ['Retry-After'],
    },
  };
}

/** How soon a client should poll a 202's status resource. */
export const RETRY_AFTER_SECONDS = 1;

export function json(status: number, body: unknown, headers: Record<string, string> = {}): HttpResponseInit {
  return { status, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) };
}

/** A 202 with the status resource's Location, or the 422 of a reused Idempotency-Key. */
export function accepted<R extends object = Accepted>(
  result: AcceptResult<R>,
  statusUrl: string,
  view: (accepted: R, statusUrl: string) => object,
): HttpResponseInit {
  if (result.kind === 'idempotency-mismatch') {
    throw new ProblemError(
      422,
      'idempotency-key-reused',
      'Idempotency-Key reused with a different request',
      'this Idempotency-Key was already used with a different body or target; use a new key',
      [{ field: 'Idempotency-Key', message: 'already used with a different request' }],
    );
  }
  return json(202, view(result, statusUrl), {
    location: statusUrl,
    'retry-after': String(RETRY_AFTER_SECONDS),
    ...(result.replayed ? { 'idempotent-replayed': 'true' } : {}),
  });
}

/** The trace context of this invocation, carried on the message to the consumer. */
export function traceOf(request: ApiRequest, context: InvocationContext): TraceContext {
  const traceparent = context.traceContext?.traceParent ?? request.headers.get('traceparent') ?? undefined;
  const tracestate = context.traceContext?.traceState ?? request.headers.get('tracestate') ?? undefined;
  return { ...(traceparent ? { traceparent } : {}), ...(tracestate ? { tracestate } : {}) };
}

export function pageLinks(
  base: string,
  params: Record<string, string | undefined>,
  continuation: string | null,
) {
  if (!continuation) return null;
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) search.set(k, v);
  search.set('continuation', continuation);
  return `${base}?${search.toString()}`;
}
