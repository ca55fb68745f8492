import { createHash } from 'node:crypto';
import type { OutgoingCommand } from '../ports/queue';
import type { DocumentStore, StoredDocument } from '../ports/store';

/** Idempotency records live in a partition of their own per key: no inventory id can start with `~`. */
export const IDEMPOTENCY_TTL_SECONDS = 24 * 3600;

export interface IdempotencyRecord<R> extends StoredDocument {
  type: 'idempotency';
  requestHash: string;
  response: R;
  messages: SerializedMessage[];
  createdAt: string;
}

export interface SerializedMessage extends Omit<OutgoingCommand, 'scheduledEnqueueTime'> {
  scheduledEnqueueTime?: string;
}

export function requestHash(scope: string, body: unknown): string {
  return createHash('sha256').update(scope).update('\n').update(canonicalJson(body)).digest('hex');
}

export function keyPartition(key: string): string {
  return `~idem~${createHash('sha256').update(key).digest('hex')}`;
}

export type Claim<R> =
  { kind: 'fresh' } | { kind: 'replay'; response: R; messages: OutgoingCommand[] } | { kind: 'mismatch' };

/** Looks up a key: a replay of the same request, a mismatch, or nothing yet. */
export async function lookup<R>(store: DocumentStore, key: string, hash: string): Promise<Claim<R>> {
  const existing = await store.read<IdempotencyRecord<R>>(keyPartition(key), 'record');
  if (!existing) return { kind: 'fresh' };
  if (existing.doc.requestHash !== hash) return { kind: 'mismatch' };
  return {
    kind: 'replay',
    response: existing.doc.response,
    messages: existing.doc.messages.map(deserialize),
  };
}

/** Records the answer before sending, so a retry after a failed send resends the same command ids. */
export async function record<R>(
  store: DocumentStore,
  key: string,
  hash: string,
  response: R,
  messages: readonly OutgoingCommand[],
  now: Date,
): Promise<Claim<R>> {
  const doc: IdempotencyRecord<R> = {
    id: 'record',
    type: 'idempotency',
    requestHash: hash,
    response,
    messages: messages.map(serialize),
    createdAt: now.toISOString(),
    ttl: IDEMPOTENCY_TTL_SECONDS,
  };
  const created = await store.create(keyPartition(key), doc);
  if (created.ok) return { kind: 'fresh' };
  // A concurrent request with the same key won the race: answer as it did.
  return lookup<R>(store, key, hash);
}

/** Best effort: a record that cannot be removed only means a retry replays the same ids. */
export async function forget(store: DocumentStore, key: string): Promise<void> {
  try {
    await store.batch(keyPartition(key), [{ op: 'delete', id: 'record' }]);
  } catch {
    // the store is failing too; the record expires with its TTL
  }
}

function serialize(message: OutgoingCommand): SerializedMessage {
  const { scheduledEnqueueTime, ...rest } = message;
  return scheduledEnqueueTime ? { ...rest, scheduledEnqueueTime: scheduledEnqueueTime.toISOString() } : rest;
}

function deserialize(message: SerializedMessage): OutgoingCommand {
  const { scheduledEnqueueTime, ...rest } = message;
  return scheduledEnqueueTime ? { ...rest, scheduledEnqueueTime: new Date(scheduledEnqueueTime) } : rest;
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
