import { TransientStoreError, type WriteFailure } from '../../ports/store';

/**
 * The one place where @azure/cosmos errors become the store port's outcomes:
 *
 * | SDK status / error                                   | port outcome                               |
 * | ---------------------------------------------------- | ------------------------------------------ |
 * | 412 Precondition Failed                              | `conflict`                                 |
 * | 409 Conflict                                         | `duplicate`                                |
 * | 404 Not Found (an item; not substatus 1002 or 1003)  | `notFound` (a point read answers null)     |
 * | 413 Request Entity Too Large                         | `tooLarge`                                 |
 * | 429 Too Many Requests (after the SDK's own retries)  | `TransientStoreError('throttled')`         |
 * | 408, 449, 503, 404/1002, timeouts, network errors    | `TransientStoreError('unavailable')`       |
 * | 404/1003 (the database or container does not exist)  | rethrown unchanged (a configuration error) |
 * | anything else                                        | rethrown unchanged (a bug or a config error) |
 */

/** ErrorResponse (`code` = HTTP status), RestError (`statusCode`, `code` = errno string), TimeoutError, Node errors. */
interface ErrorLike {
  code?: unknown;
  statusCode?: unknown;
  substatus?: unknown;
  retryAfterInMs?: unknown;
  message?: unknown;
  cause?: unknown;
}

/** Read session not available: a session-consistency read that hit a lagging replica; retryable. */
const READ_SESSION_NOT_AVAILABLE = 1002;
/** The owner resource (database or container) does not exist: not an item-level "not found". */
const OWNER_RESOURCE_NOT_FOUND = 1003;

const UNAVAILABLE_STATUSES = new Set([408, 449, 503]);

/** Socket-level failures: Node errno codes, the Azure core pipeline's codes, and the SDK's TimeoutError. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EPROTO',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'REQUEST_SEND_ERROR',
  'TimeoutError',
]);

/**
 * `container.items.batch` wraps every request-level failure into a plain `Error('Batch request error: …')`
 * and drops the status code (SDK 4.x, Items.batch). Only the message survives, so a whole-batch failure is
 * classified by the text the service and the network stack put in it.
 */
const BATCH_REQUEST_ERROR = 'Batch request error:';
const THROTTLED_TEXT = /request rate is large|too ?many ?requests|\b429\b/i;
const UNAVAILABLE_TEXT =
  /service ?unavailable|request ?timeout|timeout error|retry ?with|\b(503|408|449)\b|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|socket hang up/i;

function asErrorLike(error: unknown): ErrorLike | undefined {
  return typeof error === 'object' && error !== null ? error : undefined;
}

/** The HTTP status an SDK error carries, if any. */
export function statusOf(error: unknown): number | undefined {
  const e = asErrorLike(error);
  if (!e) return undefined;
  if (typeof e.code === 'number') return e.code;
  if (typeof e.statusCode === 'number') return e.statusCode;
  return undefined;
}

function substatusOf(error: unknown): number | undefined {
  const e = asErrorLike(error);
  return e && typeof e.substatus === 'number' ? e.substatus : undefined;
}

/** The typed write failure an HTTP status stands for (a point write, or one operation of a batch). */
export function writeFailureForStatus(status: number, substatus?: number): WriteFailure | undefined {
  switch (status) {
    case 412:
      return 'conflict';
    case 409:
      return 'duplicate';
    case 404:
      return substatus === READ_SESSION_NOT_AVAILABLE || substatus === OWNER_RESOURCE_NOT_FOUND
        ? undefined
        : 'notFound';
    case 413:
      return 'tooLarge';
    default:
      return undefined;
  }
}

/** The typed write failure an SDK error stands for, or undefined when it is not one. */
export function writeFailureOf(error: unknown): WriteFailure | undefined {
  const status = statusOf(error);
  return status === undefined ? undefined : writeFailureForStatus(status, substatusOf(error));
}

function retryAfterOf(error: ErrorLike): number | undefined {
  const value = error.retryAfterInMs;
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}

function messageOf(error: ErrorLike): string {
  return typeof error.message === 'string' && error.message !== ''
    ? error.message
    : 'Cosmos DB request failed';
}

function isNetworkError(error: ErrorLike, depth = 0): boolean {
  if (typeof error.code === 'string' && NETWORK_CODES.has(error.code)) return true;
  if (error instanceof Error && error.name === 'TimeoutError') return true;
  const cause = asErrorLike(error.cause);
  return cause !== undefined && depth < 3 && isNetworkError(cause, depth + 1);
}

/** TransientStoreError when the error is throttling or unavailability, else undefined. */
export function transientErrorOf(error: unknown): TransientStoreError | undefined {
  if (error instanceof TransientStoreError) return error;
  const e = asErrorLike(error);
  if (!e) return undefined;
  const status = statusOf(error);
  const message = messageOf(e);
  if (status === 429)
    return new TransientStoreError(
      'throttled',
      `Cosmos DB throttled the request: ${message}`,
      retryAfterOf(e),
    );
  if (
    (status !== undefined && UNAVAILABLE_STATUSES.has(status)) ||
    (status === 404 && substatusOf(error) === READ_SESSION_NOT_AVAILABLE)
  ) {
    return new TransientStoreError(
      'unavailable',
      `Cosmos DB is unavailable (${status}): ${message}`,
      retryAfterOf(e),
    );
  }
  if (status === undefined && isNetworkError(e)) {
    return new TransientStoreError('unavailable', `Cosmos DB is unreachable: ${message}`);
  }
  if (status === undefined && message.startsWith(BATCH_REQUEST_ERROR)) {
    if (THROTTLED_TEXT.test(message))
      return new TransientStoreError('throttled', `Cosmos DB throttled the batch: ${message}`);
    if (UNAVAILABLE_TEXT.test(message))
      return new TransientStoreError('unavailable', `Cosmos DB is unavailable: ${message}`);
  }
  return undefined;
}

/**
 * The error to throw for an SDK error that is not a typed write outcome: a TransientStoreError for
 * throttling and unavailability, otherwise the original error (non-Error values are wrapped).
 */
export function translateError(error: unknown): Error {
  const transient = transientErrorOf(error);
  if (transient) return transient;
  return error instanceof Error ? error : new Error(`Cosmos DB request failed: ${JSON.stringify(error)}`);
}
