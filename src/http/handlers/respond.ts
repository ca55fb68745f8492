import type { HttpResponseInit, InvocationContext } from '@azure/functions';
import type { ApiRequest } from '../route-types';
import type { AcceptResult, TraceContext } from '../../app/accept';
import { ProblemError } from '../problem';
import { acceptedView } from './views';

/** How soon a client should poll a 202's status resource. */
export const RETRY_AFTER_SECONDS = 1;

export function json(status: number, body: unknown, headers: Record<string, string> = {}): HttpResponseInit {
  return { status, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) };
}

export function accepted(result: AcceptResult, statusUrl: string): HttpResponseInit {
  if (result.kind === 'idempotency-mismatch') {
    throw new ProblemError(
      422,
      'idempotency-key-reused',
      'Idempotency-Key reused with a different request',
      'this Idempotency-Key was already used with a different body or target; use a new key',
      [{ field: 'Idempotency-Key', message: 'already used with a different request' }],
    );
  }
  return json(202, acceptedView(result, statusUrl), {
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
