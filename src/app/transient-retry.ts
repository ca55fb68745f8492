import { TransientStoreError } from '../ports/store';
import type { Logger } from './logger';

/** Bounded exponential backoff for a store that is throttling or unreachable. */
export interface TransientRetryPolicy {
  initialDelayMs: number;
  maxDelayMs: number;
  /** Total time spent waiting before the failure is given back (the message is then redelivered). */
  budgetMs: number;
}

/**
 * Four minutes of backoff per delivery: inside the five minutes the Functions host keeps renewing a
 * session lock (host.json maxAutoLockRenewalDuration), so an outage, a 429 storm or the minutes while
 * role assignments propagate after `azd up` cost a handful of deliveries instead of all ten within seconds.
 */
export const DEFAULT_TRANSIENT_RETRY: TransientRetryPolicy = {
  initialDelayMs: 500,
  maxDelayMs: 30_000,
  budgetMs: 240_000,
};

export interface RetryDeps {
  log: Logger;
  /** Aborted when the host stops: the failure is given back at once and the message is redelivered later. */
  signal?: AbortSignal;
  random?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  monotonicMs?: () => number;
}

/**
 * Runs `work` again while it fails with a TransientStoreError, waiting between attempts (exponential,
 * half of it jittered, or the store's own retry-after for a 429), until the budget is spent; then
 * rethrows. Any other error is rethrown at once. `work` must be safe to repeat: processing is, because
 * every command's effect is guarded by its id (a repeated batch is absorbed as a duplicate).
 */
export async function withTransientRetry<T>(
  work: () => Promise<T>,
  policy: TransientRetryPolicy,
  deps: RetryDeps,
): Promise<T> {
  const random = deps.random ?? Math.random;
  const sleep = deps.sleep ?? abortableSleep;
  const clock = deps.monotonicMs ?? (() => performance.now());
  const started = clock();
  for (let attempt = 0; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (!(error instanceof TransientStoreError) || deps.signal?.aborted) throw error;
      const ceiling = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** attempt);
      const delay = Math.max(error.retryAfterMs ?? 0, ceiling / 2 + random() * (ceiling / 2));
      const waited = clock() - started;
      if (waited + delay > policy.budgetMs) throw error;
      deps.log.warn('store unavailable; retrying', {
        kind: error.kind,
        attempt: attempt + 1,
        delayMs: Math.round(delay),
        waitedMs: Math.round(waited),
        error: error.message,
      });
      await sleep(delay, deps.signal);
    }
  }
}

function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
