export type Level =
  'trace' | 'debug' | 'information' | 'info' | 'warning' | 'warn' | 'error' | 'critical' | 'none';
export type LogSink = (level: string, fields: Record<string, unknown>) => void;

const RANK: Record<string, number> = {
  trace: 0,
  debug: 1,
  information: 2,
  info: 2,
  warning: 3,
  warn: 3,
  error: 4,
  critical: 5,
};

/** JSON lines on stdout (stderr for warnings and errors) at or above the configured level, in LOG_LEVEL's words. */
export function jsonLogSink(minimum: 'debug' | 'info' | 'warn' | 'error'): LogSink {
  const floor = RANK[minimum] ?? 2;
  return (level, fields) => {
    const rank = RANK[level] ?? 2;
    if (rank < floor) return;
    // One vocabulary, LOG_LEVEL's: the Functions context says information/warning/critical.
    const word = rank <= 1 ? 'debug' : rank === 2 ? 'info' : rank === 3 ? 'warn' : 'error';
    const line = JSON.stringify({ time: new Date().toISOString(), level: word, ...unwrap(fields) });
    if (rank >= 3) process.stderr.write(`${line}\n`);
    else process.stdout.write(`${line}\n`);
  };
}

/** Handlers log JSON strings through the InvocationContext; merge them rather than nest them. */
function unwrap(fields: Record<string, unknown>): Record<string, unknown> {
  const { message, ...rest } = fields;
  if (typeof message === 'string' && message.startsWith('{')) {
    try {
      return { ...rest, ...(JSON.parse(message) as Record<string, unknown>) };
    } catch {
      return fields;
    }
  }
  return fields;
}
