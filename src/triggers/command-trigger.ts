import type { InvocationContext } from '@azure/functions';
import { handleSessionMessages, type IncomingMessage, type Settlement } from '../app/handle-messages';
import { recordFailures } from '../app/failures';
import { measure } from '../app/metrics';
import type { ServicesProvider } from '../app/services';
import { MAX_DELIVERY_COUNT, MAX_DELIVERY_COUNT_EXCEEDED } from '../ports/sessions';
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
    measure.redelivered(incoming.filter((m) => m.deliveryCount > 1).length);
    try {
      const settlements = await withTransientRetry(
        () => handleSessionMessages(incoming, { ...deps, log }),
        options.retry ?? DEFAULT_TRANSIENT_RETRY,
        { log, ...(options.shutdown ? { signal: options.shutdown } : {}) },
      );
      countSettled(settlements, enqueuedTimes(message, context), deps.clock.now().getTime());
      return { settlements };
    } catch (error) {
      const last = incoming.filter(
        (m) => m.deliveryCount >= (options.maxDeliveryCount ?? MAX_DELIVERY_COUNT),
      );
      if (last.length > 0) {
        await recordFailures(deps.store, last, error, deps.clock.now(), log);
        // The queue dead-letters them once this throw abandons them for the last time.
        measure.deadLettered(MAX_DELIVERY_COUNT_EXCEEDED, last.length);
      }
      throw error;
    }
  };
}

/** Poison is dead-lettered (one machine) or recorded and completed (Azure); a decision has its latency. */
function countSettled(
  settlements: readonly Settlement[],
  enqueued: (number | undefined)[],
  now: number,
): void {
  settlements.forEach((settlement, i) => {
    if (settlement.action === 'deadLetter') measure.deadLettered(settlement.reason);
    const at = enqueued[i];
    if (settlement.action === 'complete' && at !== undefined) measure.decisionLatency(now - at);
  });
}

/**
 * When each message was enqueued (epoch ms), from the trigger metadata the Functions host passes
 * (`enqueuedTimeUtc`, or `enqueuedTimeUtcArray` with cardinality 'many'; see "Message metadata" in
 * https://learn.microsoft.com/azure/azure-functions/functions-bindings-service-bus-trigger) and the
 * local dispatcher mirrors.
 */
function enqueuedTimes(message: unknown, context: InvocationContext): (number | undefined)[] {
  const meta = context.triggerMetadata ?? {};
  const raw = Array.isArray(message) ? arrayOf(meta.enqueuedTimeUtcArray) : [meta.enqueuedTimeUtc];
  return raw.map((value) => {
    const at =
      typeof value === 'string' ? Date.parse(value) : value instanceof Date ? value.getTime() : Number.NaN;
    return Number.isFinite(at) ? at : undefined;
  });
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
