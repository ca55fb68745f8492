import type { InvocationContext } from '@azure/functions';
import { handleSessionMessages, type IncomingMessage, type Settlement } from '../app/handle-messages';
import { recordFailures } from '../app/failures';
import type { ServicesProvider } from '../app/services';
import { MAX_DELIVERY_COUNT } from '../ports/sessions';
import {
  DEFAULT_TRANSIENT_RETRY,
  withTransientRetry,
  type TransientRetryPolicy,
} from '../app/transient-retry';
import { contextLogger, type LogLevel } from './context-logger';

export interface TriggerResult {
  /** One per message, in order. The Functions host auto-completes on return; the local dispatcher settles each. */
  settlements: Settlement[];
}

export type CommandTrigger = (message: unknown, context: InvocationContext) => Promise<TriggerResult>;

/**
 * The Service Bus session trigger handler, the same on Azure and on one machine. With cardinality 'one'
 * it gets one message; with 'many', an array of one session's messages and array-valued metadata.
 * Business outcomes return normally. A throttling or unreachable store is retried here with bounded backoff
 * (minutes); only then does the handler throw, so the message is abandoned and redelivered.
 */
export interface CommandTriggerOptions {
  logLevel?: LogLevel;
  /** Backoff for a throttling or unreachable store inside one invocation, before the message is given back. */
  retry?: TransientRetryPolicy;
  /** Aborted when the host stops, to give a message back instead of waiting out the backoff. */
  shutdown?: AbortSignal;
  /** The queue's maxDeliveryCount: a delivery failing at this count is recorded as failed before it is dead-lettered. */
  maxDeliveryCount?: number;
}

export function createCommandTrigger(
  services: ServicesProvider,
  options: CommandTriggerOptions = {},
): CommandTrigger {
  return async (message, context) => {
    const incoming = toIncoming(message, context);
    const deps = await services();
    const sessionId = incoming[0]?.sessionId;
    const log = contextLogger(
      context,
      {
        sessionId,
        inventoryId: sessionId,
        messageIds: incoming.map((m) => m.messageId),
        traceparent: context.traceContext?.traceParent,
      },
      options.logLevel,
    );
    try {
      const settlements = await withTransientRetry(
        () => handleSessionMessages(incoming, { ...deps, log }),
        options.retry ?? DEFAULT_TRANSIENT_RETRY,
        { log, ...(options.shutdown ? { signal: options.shutdown } : {}) },
      );
      return { settlements };
    } catch (error) {
      const last = incoming.filter(
        (m) => m.deliveryCount >= (options.maxDeliveryCount ?? MAX_DELIVERY_COUNT),
      );
      if (last.length > 0) {
        await recordFailures(deps.store, last, error, deps.clock.now(), log);
      }
      throw error;
    }
  };
}

function toIncoming(message: unknown, context: InvocationContext): IncomingMessage[] {
  const meta = context.triggerMetadata ?? {};
  if (Array.isArray(message)) {
    const ids = arrayOf(meta.messageIdArray);
    const sessions = arrayOf(meta.sessionIdArray);
    const counts = arrayOf(meta.deliveryCountArray);
    const sessionId = typeof meta.sessionId === 'string' ? meta.sessionId : undefined;
    return (message as unknown[]).map((body, i) => ({
      body,
      messageId: text(ids[i]) ?? `unknown-${i}`,
      sessionId: text(sessions[i]) ?? sessionId ?? '',
      deliveryCount: Number(counts[i] ?? 1),
    }));
  }
  return [
    {
      body: message,
      messageId: text(meta.messageId) ?? 'unknown',
      sessionId: text(meta.sessionId) ?? '',
      deliveryCount: Number(meta.deliveryCount ?? 1),
    },
  ];
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
}

function arrayOf(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}
