import type { InvocationContext } from '@azure/functions';
import type { Logger } from '../app/logger';

/** Structured lines through the InvocationContext, so Application Insights keeps the invocation's operation id. */
export function contextLogger(context: InvocationContext, base: Record<string, unknown> = {}): Logger {
  const line = (message: string, properties?: Record<string, unknown>) =>
    JSON.stringify({ msg: message, ...base, ...properties });
  return {
    debug: (m, p) => context.debug(line(m, p)),
    info: (m, p) => context.info(line(m, p)),
    warn: (m, p) => context.warn(line(m, p)),
    error: (m, p) => context.error(line(m, p)),
  };
}
