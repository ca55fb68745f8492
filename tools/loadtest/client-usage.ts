import { monitorEventLoopDelay, performance } from 'node:perf_hooks';

/**
 * The load tool measuring itself: on a shared machine the client can be the bottleneck, and then the
 * latencies it reports are partly its own. CPU comes from process.cpuUsage (every thread of the
 * process: the JS thread, libuv and GC helpers), event-loop delay from monitorEventLoopDelay.
 */

/** What the tool used over one measured window (the load phase). */
export interface ClientSample {
  wallMs: number;
  userMs: number;
  systemMs: number;
  /** (user + system) / wall, in percent of one core; can pass 100 with busy helper threads. */
  cpuPercent: number;
  /** How late the event loop's 10 ms probe timer fired beyond its 10 ms (0 on an idle loop). */
  eventLoopDelayP50Ms: number;
  eventLoopDelayP99Ms: number;
  eventLoopDelayMaxMs: number;
}

/** The sample, and whether the client rather than the service was the limit. */
export interface ClientSection extends ClientSample {
  limited: boolean;
  /** Each threshold that was crossed, in words (empty when not limited). */
  reasons: string[];
}

/**
 * Thresholds. The tool's JS runs on one thread, so near one core of CPU it has no headroom left;
 * a p99 event-loop delay or send lag of 20 ms means one request in a hundred waited 20 ms inside the
 * client, which is 40 % of a 50 ms latency target; and an open loop that starts fewer than 95 % of
 * the requested rate did not offer the load it claims.
 */
export const CLIENT_LIMITS = {
  cpuPercent: 85,
  eventLoopDelayP99Ms: 20,
  sendLagP99Ms: 20,
  minSentFraction: 0.95,
} as const;

/** The probe's period: short enough to see stalls of a few ms, long enough to cost nothing. */
const PROBE_MS = 10;

/** Starts measuring; `stop()` answers the sample since the start. */
export function startClientMonitor(): { stop(): ClientSample } {
  const histogram = monitorEventLoopDelay({ resolution: PROBE_MS });
  histogram.enable();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  return {
    stop() {
      histogram.disable();
      const wallMs = performance.now() - t0;
      const cpu = process.cpuUsage(cpu0);
      // The histogram holds whole probe intervals in ns; the delay is what exceeds the period.
      const late = (ns: number) =>
        Number.isFinite(ns) && histogram.count > 0 ? round(Math.max(0, ns / 1e6 - PROBE_MS)) : 0;
      return {
        wallMs: round(wallMs),
        userMs: round(cpu.user / 1000),
        systemMs: round(cpu.system / 1000),
        cpuPercent: round(((cpu.user + cpu.system) / 1000 / Math.max(1, wallMs)) * 100),
        eventLoopDelayP50Ms: late(histogram.percentile(50)),
        eventLoopDelayP99Ms: late(histogram.percentile(99)),
        eventLoopDelayMaxMs: late(histogram.max),
      };
    },
  };
}

/** Runs `work` with the monitor on. */
export async function measureClient<T>(work: () => Promise<T>): Promise<{ value: T; client: ClientSample }> {
  const monitor = startClientMonitor();
  try {
    const value = await work();
    return { value, client: monitor.stop() };
  } catch (error) {
    monitor.stop();
    throw error;
  }
}

/** What the load phase asked for and achieved, beside the client's own figures. */
export interface LoadShape {
  /** Open loop: the requested rate; null in closed loop. */
  rate: number | null;
  sentPerSecond: number;
  /** Open loop: p99 of (actual start - scheduled start); null in closed loop. */
  sendLagP99Ms: number | null;
}

/** Pure: was the client, not the service, the limit? Any one threshold crossed says yes. */
export function judgeClient(sample: ClientSample, shape: LoadShape, limits = CLIENT_LIMITS): ClientSection {
  const reasons: string[] = [];
  if (sample.cpuPercent >= limits.cpuPercent) {
    reasons.push(`client CPU ${sample.cpuPercent} % of a core (>= ${limits.cpuPercent} %)`);
  }
  if (sample.eventLoopDelayP99Ms >= limits.eventLoopDelayP99Ms) {
    reasons.push(
      `client event-loop delay p99 ${sample.eventLoopDelayP99Ms} ms (>= ${limits.eventLoopDelayP99Ms} ms)`,
    );
  }
  if (shape.sendLagP99Ms !== null && shape.sendLagP99Ms >= limits.sendLagP99Ms) {
    reasons.push(`send lag p99 ${shape.sendLagP99Ms} ms (>= ${limits.sendLagP99Ms} ms)`);
  }
  if (shape.rate !== null && shape.sentPerSecond < shape.rate * limits.minSentFraction) {
    reasons.push(
      `started ${shape.sentPerSecond}/s of the ${shape.rate}/s asked (< ${limits.minSentFraction * 100} %)`,
    );
  }
  return { ...sample, limited: reasons.length > 0, reasons };
}

/** The report line; says plainly when the figures above it measure the client. */
export function formatClient(label: string, c: ClientSection): string {
  const head =
    `  ${label.padEnd(11)} CPU ${c.cpuPercent} % of a core (user ${c.userMs} ms, system ${c.systemMs} ms), ` +
    `event-loop delay p99 ${c.eventLoopDelayP99Ms} ms, max ${c.eventLoopDelayMaxMs} ms`;
  return c.limited
    ? `${head}\n  ${''.padEnd(11)} LIMITED: the client, not the service, was the limit (${c.reasons.join('; ')})`
    : `${head}; not the limit`;
}

function round(v: number): number {
  return Math.round(v * 100) / 100;
}
