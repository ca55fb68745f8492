import type { ScopeMetrics } from '@opentelemetry/sdk-metrics';
import type { Settings } from '../config/settings';
import type { DeadLetterView, ResubmitResult } from '../app/dead-letters';
import type { OutgoingCommand, SendOutcome } from '../ports/queue';
import type { PageRequest } from '../ports/store';

/** What the host's main thread asks of the consumer thread, and how it answers. */
export type ToWorker =
  | { kind: 'send'; id: number; messages: OutgoingCommand[] }
  | { kind: 'ping'; id: number }
  | { kind: 'list-dead-letters'; id: number; page: PageRequest }
  | { kind: 'resubmit-dead-letter'; id: number; messageId: string }
  | { kind: 'discard-dead-letter'; id: number; messageId: string }
  /** The consumer thread's OpenTelemetry metrics, for /api/metrics on the main thread. */
  | { kind: 'metrics'; id: number }
  | { kind: 'stop'; id: number };

export type FromWorker =
  | { kind: 'ready' }
  | { kind: 'reply'; id: number; ok: true; value?: WorkerAnswer }
  | {
      kind: 'reply';
      id: number;
      ok: false;
      error: string;
      retryAfterSeconds: number;
      outcome: SendOutcome;
      /** Set when the failure is the caller's: a continuation token the queue did not issue. */
      invalidContinuation?: true;
    }
  | { kind: 'failed'; error: string };

export interface WorkerData {
  settings: Settings;
}

/** What a request other than send, ping and stop answers with. */
export type WorkerAnswer =
  | { kind: 'dead-letters'; items: DeadLetterView[]; continuation: string | null }
  | { kind: 'resubmit'; result: ResubmitResult }
  | { kind: 'discard'; result: 'discarded' | 'not-found' }
  | { kind: 'metrics'; scopeMetrics: ScopeMetrics[] };
