import type { ScopeMetrics } from '@opentelemetry/sdk-metrics';
import type { MessagePort } from 'node:worker_threads';
import type { Settings } from '../config/settings';
import type { DeadLetterView, ResubmitResult } from '../app/dead-letters';
import { QueueUnavailableError, type OutgoingCommand, type SendOutcome } from '../ports/queue';
import {
  BatchLimitError,
  InvalidContinuationError,
  TransientStoreError,
  type BatchOperation,
  type BatchResult,
  type PageRequest,
  type StoredDocument,
  type WriteResult,
} from '../ports/store';

/** What the host's main thread asks of the consumer thread. */
export type ToConsumer =
  | { kind: 'ping'; id: number }
  | { kind: 'list-dead-letters'; id: number; page: PageRequest }
  | { kind: 'resubmit-dead-letter'; id: number; messageId: string }
  | { kind: 'discard-dead-letter'; id: number; messageId: string }
  /** The consumer thread's OpenTelemetry metrics, for /api/metrics on the main thread. */
  | { kind: 'metrics'; id: number }
  | { kind: 'stop'; id: number };

/** A store write the main thread hands to the accept thread, which holds the store's other writing connection. */
export type StoreWrite =
  | { op: 'create'; partitionKey: string; doc: StoredDocument }
  | { op: 'replace'; partitionKey: string; doc: StoredDocument; ifMatch?: string }
  | { op: 'batch'; partitionKey: string; operations: BatchOperation[] }
  | { op: 'sync' };

/** What the host's main thread asks of the accept thread. */
export type ToAcceptor =
  | { kind: 'send'; id: number; messages: OutgoingCommand[] }
  | { kind: 'store-write'; id: number; write: StoreWrite }
  | { kind: 'ping'; id: number }
  | { kind: 'stop'; id: number };

/** How either thread answers one request. */
export type Reply =
  | { id: number; ok: true; value?: WorkerAnswer }
  | {
      id: number;
      ok: false;
      error: string;
      retryAfterSeconds: number;
      outcome: SendOutcome;
      /** Set when the failure is the caller's: a continuation token the queue did not issue. */
      invalidContinuation?: true;
      /** Set when a store write failed as the port defines: raised again as that error on the main thread. */
      storeError?: { kind: 'throttled' | 'unavailable'; retryAfterMs?: number } | { kind: 'batch-limit' };
    };

/**
 * What either thread posts to the main thread. Requests travel as arrays and replies as `replies`: all
 * those of one turn of the sender's event loop in one message, because each postMessage has a fixed cost
 * that, at thousands of accepts a second, was a seventh of the HTTP thread's time.
 */
export type FromWorker =
  { kind: 'ready' } | { kind: 'replies'; replies: Reply[] } | { kind: 'failed'; error: string };

/** The memory behind each data file's write gate, shared by the threads that write it (write-gate.ts). */
export interface GateBuffers {
  store: SharedArrayBuffer;
  queue: SharedArrayBuffer;
}

export interface ConsumerData {
  settings: Settings;
  gates: GateBuffers;
  /** Where the accept thread hands over what it committed (CommittedMessages), in commit order. */
  accepts: MessagePort;
}

export interface AcceptorData {
  settings: Settings;
  gates: GateBuffers;
  /** The consumer thread's end of the hand-over channel. */
  consumer: MessagePort;
}

/** What a request other than send, ping and stop answers with. */
export type WorkerAnswer =
  | { kind: 'dead-letters'; items: DeadLetterView[]; continuation: string | null }
  | { kind: 'resubmit'; result: ResubmitResult }
  | { kind: 'discard'; result: 'discarded' | 'not-found' }
  | { kind: 'metrics'; scopeMetrics: ScopeMetrics[] }
  | { kind: 'write'; result: WriteResult }
  | { kind: 'batch'; result: BatchResult };

/** Answers each request of the main thread on `port` with what `work` resolves to, or why it failed. */
export function serveRequests<M extends { id: number }>(
  port: MessagePort,
  work: (message: M) => Promise<WorkerAnswer | void>,
): void {
  const reply = batched<Reply>((replies) =>
    port.postMessage({ kind: 'replies', replies } satisfies FromWorker),
  );
  port.on('message', (messages: M[]) => {
    for (const message of messages) serveOne(message, work, reply);
  });
}

/** Collects items and hands them to `post` together once the current turn of the event loop ends. */
export function batched<T>(post: (items: T[]) => void): (item: T) => void {
  let items: T[] = [];
  return (item) => {
    items.push(item);
    if (items.length > 1) return;
    setImmediate(() => {
      const due = items;
      items = [];
      post(due);
    });
  };
}

function serveOne<M extends { id: number }>(
  message: M,
  work: (message: M) => Promise<WorkerAnswer | void>,
  reply: (reply: Reply) => void,
): void {
  // A work that throws instead of rejecting must fail its request, not the thread.
  new Promise<WorkerAnswer | void>((resolve) => resolve(work(message))).then(
    (value) => reply({ id: message.id, ok: true, ...(value ? { value } : {}) }),
    (error: unknown) =>
      reply({
        id: message.id,
        ok: false,
        error: error instanceof Error ? error.message : String(error),
        retryAfterSeconds: error instanceof QueueUnavailableError ? error.retryAfterSeconds : 5,
        // Anything but a known refusal may have left the messages on disk.
        outcome: error instanceof QueueUnavailableError ? error.outcome : 'unknown',
        ...(error instanceof InvalidContinuationError ? { invalidContinuation: true as const } : {}),
        ...storeErrorOf(error),
      }),
  );
}

function storeErrorOf(error: unknown): Pick<Reply & { ok: false }, 'storeError'> {
  if (error instanceof BatchLimitError) return { storeError: { kind: 'batch-limit' } };
  if (!(error instanceof TransientStoreError)) return {};
  return {
    storeError: {
      kind: error.kind,
      ...(error.retryAfterMs !== undefined ? { retryAfterMs: error.retryAfterMs } : {}),
    },
  };
}

/** The error a failed reply stands for, as the main thread raises it. */
export function errorOf(reply: Reply & { ok: false }): Error {
  if (reply.invalidContinuation) return new InvalidContinuationError();
  if (reply.storeError?.kind === 'batch-limit') return new BatchLimitError(reply.error);
  if (reply.storeError)
    return new TransientStoreError(reply.storeError.kind, reply.error, reply.storeError.retryAfterMs);
  return new QueueUnavailableError(reply.error, reply.retryAfterSeconds, { outcome: reply.outcome });
}

/** Runs a worker's `start`, telling the main thread why if it throws. */
export function startWorker<D>(
  port: MessagePort | null,
  data: unknown,
  start: (port: MessagePort, data: D) => void,
): void {
  if (!port) return;
  try {
    start(port, data as D);
  } catch (error) {
    port.postMessage({ kind: 'failed', error: error instanceof Error ? error.message : String(error) });
  }
}
