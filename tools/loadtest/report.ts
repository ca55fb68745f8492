import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CART_CHECKS } from './cart-checks';
import { type CartSection, cartSection, formatCarts } from './cart-report';
import {
  afterWarmup,
  type CeilingSection,
  ceilingSection,
  clientSection,
  formatClientAndCeiling,
  loadShape,
} from './client-report';
import type { ClientSection } from './client-usage';
import type { LedgerEventView, Violation } from './invariants';
import type { ReserveRecord } from './reserve';
import type { LoadTestRun } from './runner';
import { countBy, fmtCounts, fmtSummary, round, summarize, type Summary } from './stats';

/** What a run measured and found, as written to the JSON file. */
export interface LoadTestReport {
  startedAt: string;
  finishedAt: string;
  target: string;
  options: Record<string, unknown>;
  load: {
    mode: 'open' | 'closed';
    rate: number | null;
    concurrency: number | null;
    requests: number;
    /** Requests due in these first seconds are left out of latencyMs (see warmupAccept). */
    warmupSeconds: number;
    durationSeconds: number;
    /** Requests actually started per second (open loop: shows whether the tool kept to the schedule). */
    sentPerSecond: number;
  };
  throughput: {
    acceptedPerSecond: number;
    /** Decisions / (last decision time - first acceptance time), both server clocks. */
    decidedPerSecond: number;
    decideWindowSeconds: number;
  };
  latencyMs: {
    /** 202 received minus scheduled start (open loop) or actual start (closed loop), client clock. */
    accept: Summary;
    /** Ledger decision time minus the 202's acceptedAt, server clocks. */
    acceptToDecision: Summary;
    /** Open loop only: how late the tool started requests versus the schedule. */
    scheduleLag: Summary | null;
    /** With --warmup: the accept latency of the requests left out of the figures above. */
    warmupAccept: Summary | null;
  };
  outcomes: {
    sent: number;
    accepted: number;
    decided: number;
    undecided: number;
    /** Reserve decisions from the ledger: held / rejected. */
    byDecision: Record<string, number>;
    byReason: Record<string, number>;
    /** Current status of accepted reservations at the end (after confirms, cancels, expiries). */
    byFinalStatus: Record<string, number>;
  };
  httpErrors: { total: number; byStatus: Record<string, number>; byError: Record<string, number> };
  settles: {
    sent: number;
    accepted: number;
    undecided: number;
    byType: Record<string, number>;
    byOutcome: Record<string, number>;
    httpErrors: Record<string, number>;
    acceptLatencyMs: Summary | null;
  };
  /** Cart mode only: cart-level figures (the sections above then count cart requests and lines). */
  carts: CartSection | null;
  /** The tool's own CPU and event-loop delay over the load phase, and whether it was the limit. */
  client: ClientSection | null;
  /** With --ceiling: the same load against a bare node:http server on this machine. */
  ceiling: CeilingSection | null;
  invariants: {
    ok: boolean;
    itemsChecked: number;
    checks: string[];
    violationCount: number;
    byCode: Record<string, number>;
    violations: Violation[];
  };
}

export const CHECKS = [
  'ledger seq contiguous from 1 (SEQ_GAP)',
  'replaying the ledger never drives a counter negative (NEGATIVE_COUNTER)',
  'held + confirmed never above stock brought in, at every event (OVERSELL)',
  'GET /inventory counters equal the ledger replay at their seq (COUNTER_MISMATCH)',
  'the ledger brings in exactly the stock the item was created with (STOCK_MISMATCH)',
  'every 202 reservation has a Reserve decision event (NOT_DECIDED)',
  'no reservation has two Reserve decision events (DOUBLE_DECISION)',
  'every 202 reservation is listed with a final status (RESERVATION_MISSING)',
  'listed status agrees with the last ledger event (STATUS_MISMATCH)',
  'reserved equals the sum of active holds (HOLDS_MISMATCH)',
  'every 202 confirm/cancel decided exactly once in the ledger (COMMAND_NOT_DECIDED, COMMAND_DOUBLE_DECISION)',
];

const MAX_VIOLATIONS_IN_FILE = 1000;

export function buildReport(run: LoadTestRun): LoadTestReport {
  const { options } = run;
  const open = options.rate !== undefined;
  const accepted = run.reserves.filter((r) => r.reservationId);
  const warmupMs = options.warmup * 1000;
  const { firstDecisions, decisionLatency, decideWindow } = decisionTimes(run, accepted, warmupMs);
  const durationSeconds = run.loadDurationMs / 1000;
  // HTTP requests: the reservations, or in cart mode the carts (whose lines are the reservations).
  const requests = run.carts?.records ?? run.reserves;
  const failures = requests.filter((r) => r.status !== 202 || r.error !== undefined);
  // Latencies are over the requests due after the warm-up; counts, throughput and checks over all.
  const shape = loadShape(requests, options.rate ?? null, warmupMs);
  const acceptedPerSecond = round(accepted.length / Math.max(0.001, durationSeconds));
  const listed = new Map(
    run.snapshots.flatMap((s) => s.reservations.map((v) => [v.reservationId, v] as const)),
  );
  return {
    startedAt: new Date(run.loadStartedAt).toISOString(),
    finishedAt: new Date(run.finishedAt).toISOString(),
    target: options.url,
    options: { ...options, key: options.key ? '(set)' : undefined },
    load: {
      mode: open ? 'open' : 'closed',
      rate: options.rate ?? null,
      concurrency: options.concurrency ?? null,
      requests: options.requests,
      warmupSeconds: options.warmup,
      durationSeconds: round(durationSeconds),
      sentPerSecond: shape.sentPerSecond,
    },
    throughput: {
      acceptedPerSecond,
      decidedPerSecond: decideWindow > 0 ? round(firstDecisions.length / decideWindow) : 0,
      decideWindowSeconds: round(decideWindow),
    },
    latencyMs: latencySection(requests, decisionLatency, shape.scheduleLag, warmupMs),
    outcomes: {
      sent: run.reserves.length,
      accepted: accepted.length,
      decided: firstDecisions.length,
      undecided: accepted.length - firstDecisions.length,
      byDecision: countBy(firstDecisions, (e) => (e.kind === 'ReservationHeld' ? 'held' : 'rejected')),
      byReason: countBy(
        firstDecisions.filter((e) => e.reason),
        (e) => e.reason as string,
      ),
      byFinalStatus: countBy(accepted, (r) => listed.get(r.reservationId as string)?.status ?? 'missing'),
    },
    httpErrors: {
      total: failures.length,
      byStatus: countBy(failures, (r) => (r.status === 0 ? 'network' : String(r.status))),
      byError: countBy(failures, (r) => r.error ?? 'unknown'),
    },
    settles: settleSection(run),
    carts: cartSection(run),
    client: run.client ? clientSection(run.client, options.rate ?? null, shape) : null,
    ceiling: run.ceiling
      ? ceilingSection(run.ceiling, options.rate ?? null, acceptedPerSecond, warmupMs)
      : null,
    invariants: invariantSection(run),
  };
}

/** Accept latencies of the requests due after the warm-up (and of the warm-up's on their own). */
function latencySection(
  requests: readonly { scheduledMs: number; doneMs: number }[],
  acceptToDecision: readonly number[],
  scheduleLag: Summary | null,
  warmupMs: number,
): LoadTestReport['latencyMs'] {
  const accept = (rs: readonly { scheduledMs: number; doneMs: number }[]) =>
    summarize(rs.map((r) => r.doneMs - r.scheduledMs));
  return {
    accept: accept(afterWarmup(requests, warmupMs)),
    acceptToDecision: summarize(acceptToDecision),
    scheduleLag,
    warmupAccept: warmupMs > 0 ? accept(requests.filter((r) => r.scheduledMs < warmupMs)) : null,
  };
}

/**
 * The first Reserve decision of each accepted reservation in the ledgers, the latency from its 202's
 * acceptedAt (of those due after the warm-up), and the window (seconds) from the first acceptance to the
 * last decision, server clocks.
 */
function decisionTimes(
  run: LoadTestRun,
  accepted: readonly ReserveRecord[],
  warmupMs: number,
): { firstDecisions: LedgerEventView[]; decisionLatency: number[]; decideWindow: number } {
  const acceptedAt = new Map(accepted.map((r) => [r.reservationId as string, r.acceptedAt]));
  const measuredIds = new Set(afterWarmup(accepted, warmupMs).map((r) => r.reservationId as string));
  const decisionEvents = run.snapshots.flatMap((s) =>
    s.ledger.filter(
      (e) =>
        (e.kind === 'ReservationHeld' || e.kind === 'ReservationRejected') &&
        e.reservationId &&
        acceptedAt.has(e.reservationId),
    ),
  );
  const seen = new Set<string>();
  const firstDecisions = decisionEvents.filter(
    (e) => !seen.has(e.reservationId as string) && seen.add(e.reservationId as string),
  );
  const decisionLatency: number[] = [];
  let firstAccept = Number.POSITIVE_INFINITY;
  let lastDecision = Number.NEGATIVE_INFINITY;
  for (const r of accepted) if (r.acceptedAt) firstAccept = Math.min(firstAccept, Date.parse(r.acceptedAt));
  for (const e of firstDecisions) {
    const at = Date.parse(e.at);
    lastDecision = Math.max(lastDecision, at);
    const acc = acceptedAt.get(e.reservationId as string);
    if (acc && measuredIds.has(e.reservationId as string)) decisionLatency.push(at - Date.parse(acc));
  }
  const decideWindow =
    Number.isFinite(firstAccept) && Number.isFinite(lastDecision)
      ? Math.max(0.001, (lastDecision - firstAccept) / 1000)
      : 0;
  return { firstDecisions, decisionLatency, decideWindow };
}

function settleSection(run: LoadTestRun): LoadTestReport['settles'] {
  const settleEvents = new Map<string, string>();
  for (const s of run.snapshots) for (const e of s.ledger) settleEvents.set(e.commandId, e.kind);
  const acceptedSettles = run.settles.filter((s) => s.commandId);
  return {
    sent: run.settles.length,
    accepted: acceptedSettles.length,
    undecided: acceptedSettles.filter((s) => !settleEvents.has(s.commandId as string)).length,
    byType: countBy(run.settles, (s) => s.type),
    byOutcome: countBy(acceptedSettles, (s) => settleEvents.get(s.commandId as string) ?? 'undecided'),
    httpErrors: countBy(
      run.settles.filter((s) => !s.commandId),
      (s) => (s.status === 0 ? `network ${s.error ?? ''}`.trim() : String(s.status)),
    ),
    acceptLatencyMs: run.settles.length > 0 ? summarize(run.settles.map((s) => s.latencyMs)) : null,
  };
}

function invariantSection(run: LoadTestRun): LoadTestReport['invariants'] {
  return {
    ok: run.violations.length === 0,
    itemsChecked: run.snapshots.length,
    checks: run.carts ? [...CHECKS, ...CART_CHECKS] : CHECKS,
    violationCount: run.violations.length,
    byCode: countBy(run.violations, (v) => v.code),
    violations: run.violations.slice(0, MAX_VIOLATIONS_IN_FILE),
  };
}

export function defaultOutPath(now = new Date()): string {
  return path.join('loadtest-results', `${now.toISOString().replace(/[:.]/g, '-')}.json`);
}

export function writeReport(report: LoadTestReport, file: string): string {
  const resolved = path.resolve(file);
  mkdirSync(path.dirname(resolved), { recursive: true });
  writeFileSync(resolved, `${JSON.stringify(report, null, 2)}\n`);
  return resolved;
}

export function formatReport(report: LoadTestReport): string {
  const l = report.latencyMs;
  const lines = [
    '',
    `Load test against ${report.target}`,
    `  load        ${report.load.mode} loop, ${report.load.mode === 'open' ? `${report.load.rate} req/s` : `concurrency ${report.load.concurrency}`}, ` +
      `${report.load.requests} requests in ${report.load.durationSeconds} s (started ${report.load.sentPerSecond}/s)`,
    `  throughput  accepted ${report.throughput.acceptedPerSecond}/s, decided ${report.throughput.decidedPerSecond}/s ` +
      `(over ${report.throughput.decideWindowSeconds} s)${report.carts ? ', cart lines' : ''}`,
    `  accept      ${fmtSummary(l.accept)}`,
    `  decide      ${fmtSummary(l.acceptToDecision)}  (acceptedAt -> ledger decision)`,
    ...(l.scheduleLag ? [`  sched lag   ${fmtSummary(l.scheduleLag)}  (client start - schedule)`] : []),
    ...(l.warmupAccept
      ? [
          `  warm-up     first ${report.load.warmupSeconds} s, left out of the latencies above: accept ${fmtSummary(l.warmupAccept)}` +
            (l.accept.count === 0 ? '; no request was due after it, so nothing was measured' : ''),
        ]
      : []),
    `  outcomes    sent ${report.outcomes.sent}, accepted ${report.outcomes.accepted}, decided ${report.outcomes.decided}, ` +
      `undecided ${report.outcomes.undecided}; ${fmtCounts(report.outcomes.byDecision)}; reasons ${fmtCounts(report.outcomes.byReason)}` +
      (report.carts ? ' (cart lines)' : ''),
    `  final       ${fmtCounts(report.outcomes.byFinalStatus)}`,
    `  http errors ${report.httpErrors.total}${report.httpErrors.total ? ` (${fmtCounts(report.httpErrors.byStatus)}; ${fmtCounts(report.httpErrors.byError)})` : ''}`,
  ];
  if (report.settles.sent > 0) {
    lines.push(
      `  settles     sent ${report.settles.sent} (${fmtCounts(report.settles.byType)}), accepted ${report.settles.accepted}, ` +
        `undecided ${report.settles.undecided}; ${fmtCounts(report.settles.byOutcome)}`,
    );
  }
  if (report.carts) lines.push(...formatCarts(report.carts));
  lines.push(...formatClientAndCeiling(report.client, report.ceiling));
  const inv = report.invariants;
  if (inv.ok) {
    lines.push(`  invariants  OK: ${inv.checks.length} checks over ${inv.itemsChecked} items`);
  } else {
    lines.push(`  invariants  VIOLATED: ${inv.violationCount} (${fmtCounts(inv.byCode)})`);
    for (const v of inv.violations.slice(0, 20)) {
      lines.push(`    ${v.code} ${v.cartId ? `cart ${v.cartId}` : v.inventoryId}: ${v.message}`);
    }
    if (inv.violationCount > 20) lines.push(`    ... ${inv.violationCount - 20} more in the JSON file`);
  }
  return `${lines.join('\n')}\n`;
}
