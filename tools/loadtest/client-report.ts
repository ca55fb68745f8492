import type { CeilingRun } from './ceiling';
import { type ClientSample, type ClientSection, formatClient, judgeClient } from './client-usage';
import { fmtSummary, round, startSpreadSeconds, summarize, type Summary } from './stats';

/** With --ceiling: the same load against a bare node:http server, and the service's share of it. */
export interface CeilingSection {
  acceptedPerSecond: number;
  /** p99 of the ceiling's accept latency (= latency.p99), for a quick comparison with the service's. */
  acceptP99Ms: number;
  latencyMs: { accept: Summary; scheduleLag: Summary | null };
  sentPerSecond: number;
  durationSeconds: number;
  httpErrors: number;
  /** The tool itself during the ceiling's load, judged as for the service's. */
  client: ClientSection;
  /**
   * The service's accepted/s over the ceiling's. In open loop both reach the asked rate when they
   * keep up, so compare the p99s too; in closed loop this is the share of the machine's HTTP capacity.
   */
  fractionOfCeiling: number;
}

type Timed = { startedMs: number; scheduledMs: number; doneMs: number };

/** The requests due at or after `warmupMs` into the load: the ones its latency figures are over. */
export function afterWarmup<T extends { scheduledMs: number }>(records: readonly T[], warmupMs: number): T[] {
  return records.filter((r) => r.scheduledMs >= warmupMs);
}

/**
 * Requests started per second (all of them), and the schedule lag (open loop only) of those due after
 * the warm-up, client clock.
 */
export function loadShape(
  records: readonly Timed[],
  rate: number | null,
  warmupMs: number,
): { sentPerSecond: number; scheduleLag: Summary | null } {
  return {
    sentPerSecond: round(records.length / Math.max(0.001, startSpreadSeconds(records))),
    scheduleLag:
      rate !== null
        ? summarize(afterWarmup(records, warmupMs).map((r) => r.startedMs - r.scheduledMs))
        : null,
  };
}

/** The tool's own figures over a load phase, judged against the shape that load took. */
export function clientSection(
  sample: ClientSample,
  rate: number | null,
  shape: { sentPerSecond: number; scheduleLag: Summary | null },
): ClientSection {
  return judgeClient(sample, {
    rate,
    sentPerSecond: shape.sentPerSecond,
    sendLagP99Ms: shape.scheduleLag?.p99 ?? null,
  });
}

/**
 * The ceiling's figures, given the service's accepted/s from the same run; its latencies, as the
 * service's, over the requests due after the warm-up.
 */
export function ceilingSection(
  ceiling: CeilingRun,
  rate: number | null,
  serviceAcceptedPerSecond: number,
  warmupMs: number,
): CeilingSection {
  const accepted = ceiling.records.filter((r) => r.reservationId).length;
  const acceptedPerSecond = round(accepted / Math.max(0.001, ceiling.durationMs / 1000));
  const accept = summarize(afterWarmup(ceiling.records, warmupMs).map((r) => r.doneMs - r.scheduledMs));
  const shape = loadShape(ceiling.records, rate, warmupMs);
  return {
    acceptedPerSecond,
    acceptP99Ms: accept.p99,
    latencyMs: { accept, scheduleLag: shape.scheduleLag },
    sentPerSecond: shape.sentPerSecond,
    durationSeconds: round(ceiling.durationMs / 1000),
    httpErrors: ceiling.records.length - accepted,
    client: clientSection(ceiling.client, rate, shape),
    fractionOfCeiling:
      acceptedPerSecond > 0 ? Math.round((serviceAcceptedPerSecond / acceptedPerSecond) * 1000) / 1000 : 0,
  };
}

/** The printed lines: the client's own use, and the ceiling beside the service. */
export function formatClientAndCeiling(
  client: ClientSection | null,
  ceiling: CeilingSection | null,
): string[] {
  const lines = client ? [formatClient('client', client)] : [];
  if (ceiling) {
    lines.push(
      `  ceiling     bare node:http: accepted ${ceiling.acceptedPerSecond}/s, accept ${fmtSummary(ceiling.latencyMs.accept)}` +
        (ceiling.httpErrors ? `, ${ceiling.httpErrors} errors` : ''),
      `  ${''.padEnd(11)} service reached ${round(ceiling.fractionOfCeiling * 100)} % of the ceiling's accepted/s`,
      formatClient('ceil client', ceiling.client),
    );
  }
  return lines;
}
