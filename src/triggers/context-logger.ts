import type { InvocationContext } from '@azure/functions';
import type { Logger } from '../app/logger';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/**
 * Structured lines through the InvocationContext, so Application Insights keeps the invocation's operation
 * id. Lines below `minLevel` are dropped here: with OpenTelemetry the worker exports every context log it
 * is given (the Functions instrumentation forwards each level), so host.json's log levels cannot filter them.
 */
export function contextLogger(
  context: InvocationContext,
  base: Record<string, unknown> = {},
  minLevel: LogLevel = 'info',
): Logger {
  const line = (message: string, properties?: Record<string, unknown>) =>
    JSON.stringify({ msg: message, ...base, ...properties });
  const on = (level: LogLevel) => RANK[level] >= RANK[minLevel];
  const noop = () => undefined;
  return {
    debug: on('debug') ? (m, p) => context.debug(line(m, p)) : noop,
    info: on('info') ? (m, p) => context.info(line(m, p)) : noop,
    warn: on('warn') ? (m, p) => context.warn(line(m, p)) : noop,
    error: (m, p) => context.error(line(m, p)),
  };
}
