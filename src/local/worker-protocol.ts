import type { Settings } from '../config/settings';
import type { OutgoingCommand, SendOutcome } from '../ports/queue';

/** What the host's main thread asks of the consumer thread, and how it answers. */
export type ToWorker =
  | { kind: 'send'; id: number; messages: OutgoingCommand[] }
  | { kind: 'ping'; id: number }
  | { kind: 'stop'; id: number };

export type FromWorker =
  | { kind: 'ready' }
  | { kind: 'reply'; id: number; ok: true }
  | { kind: 'reply'; id: number; ok: false; error: string; retryAfterSeconds: number; outcome: SendOutcome }
  | { kind: 'failed'; error: string };

export interface WorkerData {
  settings: Settings;
}
