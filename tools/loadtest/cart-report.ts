import { afterWarmup } from './client-report';
import type { LoadTestRun } from './runner';
import { countBy, fmtCounts, fmtSummary, round, summarize, type Summary } from './stats';

/** Cart mode's own figures in the report. */
export interface CartSection {
  linesPerCart: number;
  sent: number;
  accepted: number;
  decided: number;
  undecided: number;
  /** Carts accepted / load duration. */
  acceptedPerSecond: number;
  /** The first decision of each cart: held or rejected. */
  byDecision: Record<string, number>;
  /** Each accepted cart's status at the end (after confirms, cancels and expiries). */
  byFinalStatus: Record<string, number>;
  /** The reasons of the lines that could not be held, over the carts' final views. */
  rejectedLineReasons: Record<string, number>;
  settles: {
    sent: number;
    accepted: number;
    undecided: number;
    byType: Record<string, number>;
    /** The status each confirmed or cancelled cart ended in (`undecided` when it never settled). */
    byOutcome: Record<string, number>;
    httpErrors: Record<string, number>;
    acceptLatencyMs: Summary | null;
  };
  latencyMs: {
    /** The first decided view's updatedAt minus the cart's 202 acceptedAt, server clocks. */
    acceptToDecided: Summary;
    /** The confirmed/cancelled view's updatedAt minus the confirm/cancel 202's acceptedAt, server clocks. */
    settleToDone: Summary | null;
  };
}

const DONE = { Confirm: 'confirmed', Cancel: 'cancelled' } as const;

const since = (from: string | undefined, to: string | undefined): number[] =>
  from && to && Number.isFinite(Date.parse(from)) && Number.isFinite(Date.parse(to))
    ? [Date.parse(to) - Date.parse(from)]
    : [];

export function cartSection(run: LoadTestRun): CartSection | null {
  const carts = run.carts;
  if (!carts) return null;
  const accepted = carts.records.filter((r) => r.cartId);
  const finals = accepted.map((r) => carts.final.get(r.cartId as string) ?? null);
  const acceptedSettles = carts.settles.filter((s) => s.status === 202);
  return {
    linesPerCart: run.options.cartLines ?? 0,
    sent: carts.records.length,
    accepted: accepted.length,
    decided: carts.decided.size,
    undecided: accepted.length - carts.decided.size,
    acceptedPerSecond: round(accepted.length / Math.max(0.001, run.loadDurationMs / 1000)),
    byDecision: countBy(carts.decided.values(), (s) => s.view.status),
    byFinalStatus: countBy(finals, (v) => v?.status ?? 'missing'),
    rejectedLineReasons: countBy(
      finals.flatMap((v) => (v?.status === 'rejected' ? (v.lines ?? []) : [])).filter((l) => l.reason),
      (l) => l.reason as string,
    ),
    settles: {
      sent: carts.settles.length,
      accepted: acceptedSettles.length,
      undecided: acceptedSettles.length - carts.settled.size,
      byType: countBy(carts.settles, (s) => s.type),
      byOutcome: countBy(acceptedSettles, (s) => carts.settled.get(s.cartId)?.view.status ?? 'undecided'),
      httpErrors: countBy(
        carts.settles.filter((s) => s.status !== 202),
        (s) => (s.status === 0 ? `network ${s.error ?? ''}`.trim() : String(s.status)),
      ),
      acceptLatencyMs: carts.settles.length > 0 ? summarize(carts.settles.map((s) => s.latencyMs)) : null,
    },
    latencyMs: {
      // Of the carts due after the warm-up, as the other latencies; settles come after the load.
      acceptToDecided: summarize(
        afterWarmup(accepted, run.options.warmup * 1000).flatMap((r) =>
          since(r.acceptedAt, carts.decided.get(r.cartId as string)?.view.updatedAt),
        ),
      ),
      settleToDone:
        acceptedSettles.length > 0
          ? summarize(
              acceptedSettles.flatMap((s) => {
                const view = carts.settled.get(s.cartId)?.view;
                // A cart that expired before the command came has nothing to time.
                return view?.status === DONE[s.type] ? since(s.acceptedAt, view.updatedAt) : [];
              }),
            )
          : null,
    },
  };
}

export function formatCarts(c: CartSection): string[] {
  const lines = [
    `  carts       sent ${c.sent} of ${c.linesPerCart} lines, accepted ${c.accepted} (${c.acceptedPerSecond}/s), ` +
      `decided ${c.decided}, undecided ${c.undecided}; ${fmtCounts(c.byDecision)}; ` +
      `rejected lines ${fmtCounts(c.rejectedLineReasons)}`,
    `  cart final  ${fmtCounts(c.byFinalStatus)}`,
    `  cart decide ${fmtSummary(c.latencyMs.acceptToDecided)}  (acceptedAt -> cart decided)`,
  ];
  if (c.settles.sent > 0) {
    lines.push(
      `  cart settle sent ${c.settles.sent} (${fmtCounts(c.settles.byType)}), accepted ${c.settles.accepted}, ` +
        `undecided ${c.settles.undecided}; ${fmtCounts(c.settles.byOutcome)}` +
        (Object.keys(c.settles.httpErrors).length ? `; http errors ${fmtCounts(c.settles.httpErrors)}` : ''),
    );
    if (c.latencyMs.settleToDone) {
      lines.push(
        `  cart done   ${fmtSummary(c.latencyMs.settleToDone)}  (confirm/cancel acceptedAt -> cart done)`,
      );
    }
  }
  return lines;
}
