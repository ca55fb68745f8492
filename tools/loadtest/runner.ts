import type { LoadTestOptions } from './args';
import { type CartRun, checkedCarts, runCartPhases } from './cart-runner';
import { type CeilingRun, runCeiling } from './ceiling';
import { ApiClient } from './client';
import { type ClientSample, measureClient } from './client-usage';
import { checkInvariants, type ItemSnapshot, type ReservationListView, type Violation } from './invariants';
import { collectTouched, pollUntilDecided } from './poller';
import { newProgress, type Progress } from './progress';
import { type ReserveRecord, sendReservations } from './reserve';
import { awaitSettles, countOutstanding, sendSettles, type SettleRecord } from './settle';
import { itemIdsFor, setupItems } from './setup';

export interface LoadTestRun {
  options: LoadTestOptions;
  itemIds: string[];
  /** Epoch ms of the load phase start, and its length (first send to last response). */
  loadStartedAt: number;
  loadDurationMs: number;
  reserves: ReserveRecord[];
  /** Final view of each accepted reservation's first decision (status as first seen decided). */
  decisions: Map<string, ReservationListView>;
  undecided: number;
  settles: SettleRecord[];
  settleUndecided: number;
  snapshots: ItemSnapshot[];
  violations: Violation[];
  finishedAt: number;
  /** Cart mode only; `reserves` then holds one record per cart line (each line is a reservation). */
  carts?: CartRun;
  /** The tool's own CPU and event-loop delay during the load phase. */
  client?: ClientSample;
  /** With --ceiling: the same load against a bare node:http server, run before the service's. */
  ceiling?: CeilingRun;
}

/** What the load, decide, settle and collect phases leave behind, in either mode. */
export type LoadPhases = Omit<LoadTestRun, 'options' | 'itemIds' | 'violations' | 'finishedAt' | 'ceiling'>;

/** The whole run: set up, load, wait for decisions, settle, collect, check. */
export async function runLoadTest(
  options: LoadTestOptions,
  progress = newProgress(options.requests),
): Promise<LoadTestRun> {
  const client = new ApiClient({
    baseUrl: options.url,
    key: options.key,
    maxSockets: options.maxSockets,
    timeoutMs: options.requestTimeout * 1000,
  });
  try {
    // First, while the service is idle: the same load against plain Node HTTP on this machine.
    const ceiling = options.ceiling ? await runCeiling(options) : undefined;
    const itemIds = itemIdsFor(options.runId, options.items);
    progress.phase = 'setup';
    await setupItems(client, itemIds, options.stock);

    const phases =
      options.cartLines !== undefined
        ? await runCartPhases(client, options, itemIds, progress)
        : await runReservationPhases(client, options, itemIds, progress);

    progress.phase = 'check';
    const violations = checkRun(phases, options.stock);
    progress.phase = 'done';
    return {
      options,
      itemIds,
      ...phases,
      violations,
      finishedAt: Date.now(),
      ...(ceiling ? { ceiling } : {}),
    };
  } finally {
    client.close();
  }
}

/** Single reservations: load, wait for decisions, settle a share of the holds, collect the items. */
async function runReservationPhases(
  client: ApiClient,
  options: LoadTestOptions,
  itemIds: readonly string[],
  progress: Progress,
): Promise<LoadPhases> {
  progress.phase = 'reserve';
  const { value: load, client: usage } = await measureClient(() =>
    sendReservations(client, options, itemIds, progress),
  );
  const deadline = Date.now() + options.decideTimeout * 1000;

  progress.phase = 'decide';
  const { decisions, undecided } = await awaitDecisions(client, load.records, deadline, progress);

  let settles: SettleRecord[] = [];
  let settleUndecided = 0;
  if (options.confirmFraction + options.cancelFraction > 0) {
    progress.phase = 'settle';
    ({ settles, settleUndecided } = await settleHolds(client, options, load.records, decisions, progress));
  }

  progress.phase = 'collect';
  const snapshots = await collectTouched(client, options, itemIds, load.records, progress);
  return {
    loadStartedAt: load.startedAt,
    loadDurationMs: load.durationMs,
    reserves: load.records,
    decisions,
    undecided,
    settles,
    settleUndecided,
    snapshots,
    client: usage,
  };
}

/** Polls until every accepted reservation has its first decision, or `deadline` (epoch ms) passes. */
async function awaitDecisions(
  client: ApiClient,
  records: readonly ReserveRecord[],
  deadline: number,
  progress: Progress,
): Promise<{ decisions: Map<string, ReservationListView>; undecided: number }> {
  const decisions = new Map<string, ReservationListView>();
  const outstanding = new Map<string, Set<string>>();
  for (const r of records) {
    if (!r.reservationId) continue;
    let set = outstanding.get(r.inventoryId);
    if (!set) outstanding.set(r.inventoryId, (set = new Set()));
    set.add(r.reservationId);
  }
  const left = await pollUntilDecided(client, {
    outstanding,
    deadline,
    onDecided: (view) => {
      decisions.set(view.reservationId, view);
      progress.decided++;
    },
  });
  return { decisions, undecided: countOutstanding(left) };
}

/** Confirms and cancels a share of the holds, then waits for those commands to be decided. */
async function settleHolds(
  client: ApiClient,
  options: LoadTestOptions,
  records: readonly ReserveRecord[],
  decisions: ReadonlyMap<string, ReservationListView>,
  progress: Progress,
): Promise<{ settles: SettleRecord[]; settleUndecided: number }> {
  const held = records
    .filter((r) => r.reservationId && decisions.get(r.reservationId)?.status === 'held')
    .map((r) => ({ inventoryId: r.inventoryId, reservationId: r.reservationId as string }));
  const settles = await sendSettles(client, held, options, progress);
  const settleDeadline = Date.now() + options.decideTimeout * 1000;
  const settleUndecided = await awaitSettles(client, settles, settleDeadline, progress);
  return { settles, settleUndecided };
}

/** The invariants over what was collected, given every 202 the run got. */
function checkRun(phases: LoadPhases, stock: number): Violation[] {
  const { snapshots, reserves, settles, carts } = phases;
  return checkInvariants({
    items: snapshots,
    accepted: reserves.flatMap((r) =>
      r.reservationId ? [{ inventoryId: r.inventoryId, reservationId: r.reservationId }] : [],
    ),
    settles: settles.flatMap((s) =>
      s.commandId
        ? [
            {
              inventoryId: s.inventoryId,
              reservationId: s.reservationId,
              commandId: s.commandId,
              type: s.type,
            },
          ]
        : [],
    ),
    initialStock: Object.fromEntries(snapshots.map((s) => [s.inventoryId, stock])),
    ...(carts ? { carts: checkedCarts(carts) } : {}),
  });
}
