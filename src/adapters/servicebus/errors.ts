import { QueueUnavailableError } from '../../ports/queue';

/**
 * Seconds a caller should wait before retrying, by Service Bus error code. The SDK reports
 * `ServiceBusError.code` (ServiceBusy, ...) from its public API, but errors that escape its retry loop
 * may still carry core-amqp's names (ServerBusyError, ...), so both spellings are listed.
 */
const RETRY_AFTER_SECONDS: Readonly<Record<string, number>> = {
  ServiceBusy: 10,
  ServerBusyError: 10,
  QuotaExceeded: 30,
  QuotaExceededError: 30,
};

export const DEFAULT_RETRY_AFTER_SECONDS = 5;

/**
 * Codes with which the broker refused the request outright: nothing of it was enqueued. Any other failure
 * (a timeout, a dropped connection) may have happened after the broker stored the message, so its outcome
 * is unknown; duplicate detection on the message id makes a resend of the same ids safe.
 */
const REFUSED = new Set([
  'ServiceBusy',
  'ServerBusyError',
  'QuotaExceeded',
  'QuotaExceededError',
  'MessagingEntityNotFound',
  'MessagingEntityNotFoundError',
  'MessagingEntityDisabled',
  'MessagingEntityDisabledError',
  'MessageSizeExceeded',
  'MessageTooLargeError',
  'UnauthorizedAccess',
  'UnauthorizedError',
]);

/**
 * The single place where an error from `@azure/service-bus` (a `ServiceBusError`, a core-amqp
 * `MessagingError`, an `AggregateError` of the attempts of the SDK's retry loop, a socket error or
 * anything else) becomes the port's `QueueUnavailableError`.
 */
export function toQueueUnavailable(error: unknown, operation: string): QueueUnavailableError {
  if (error instanceof QueueUnavailableError) return error;
  const decisive = lastAttempt(error);
  const code = errorCode(decisive);
  const retryAfterSeconds =
    (code === undefined ? undefined : RETRY_AFTER_SECONDS[code]) ?? DEFAULT_RETRY_AFTER_SECONDS;
  const detail = decisive instanceof Error ? decisive.message : String(decisive);
  return new QueueUnavailableError(
    `Service Bus ${operation} failed${code ? ` (${code})` : ''}: ${detail}`,
    retryAfterSeconds,
    { cause: error, outcome: code !== undefined && REFUSED.has(code) ? 'not-accepted' : 'unknown' },
  );
}

/** The SDK throws an AggregateError when several attempts failed; the last attempt decides. */
function lastAttempt(error: unknown): unknown {
  let current = error;
  for (let depth = 0; depth < 5 && current instanceof AggregateError && current.errors.length > 0; depth++) {
    current = current.errors[current.errors.length - 1];
  }
  return current;
}

export function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && code.length > 0 ? code : undefined;
}
