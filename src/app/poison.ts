import { createHash } from 'node:crypto';
import { isValidId } from '../domain/ids';
import type { DocumentStore, StoredDocument } from '../ports/store';
import type { IncomingMessage } from './messages';
import type { Logger } from './logger';

/**
 * A message that could not be applied, kept with its reason in its session's partition (the item's), or in
 * POISON_PARTITION when the session id is not a valid inventory id.
 */
export interface PoisonRecord extends StoredDocument {
  type: 'poison';
  messageId: string;
  sessionId: string;
  reason: string;
  description: string;
  /** The body as received, cut at 16 KiB. */
  body: string;
  deliveryCount: number;
  recordedAt: string;
}

/** Where poison messages whose session id is not a valid inventory id are recorded. */
export const POISON_PARTITION = '~poison~';

/** Records a message that cannot be applied, with its reason, where an operator can find it. */
export async function recordPoison(
  store: DocumentStore,
  message: IncomingMessage,
  poison: { reason: string; description: string },
  now: Date,
  log: Logger,
): Promise<void> {
  const partition = isValidId(message.sessionId) ? message.sessionId : POISON_PARTITION;
  const id = `poison-${createHash('sha256').update(message.messageId).digest('hex').slice(0, 32)}`;
  const body = typeof message.body === 'string' ? message.body : safeJson(message.body);
  log.error('poison message', { sessionId: message.sessionId, messageId: message.messageId, ...poison });
  const record: PoisonRecord = {
    type: 'poison',
    id,
    messageId: message.messageId,
    sessionId: message.sessionId,
    reason: poison.reason,
    description: poison.description,
    body: body.slice(0, 16_384),
    deliveryCount: message.deliveryCount,
    recordedAt: now.toISOString(),
  };
  const result = await store.create(partition, record);
  if (!result.ok && result.failure !== 'duplicate') {
    log.warn('could not record poison message', { messageId: message.messageId, failure: result.failure });
  }
}

function safeJson(value: unknown): string {
  try {
    return Buffer.isBuffer(value) ? value.toString('utf8') : (JSON.stringify(value) ?? String(value));
  } catch {
    return String(value);
  }
}
