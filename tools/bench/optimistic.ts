import { decide } from '../../src/domain/decide';
import type { InventoryItem } from '../../src/domain/model';
import type { BatchOperation } from '../../src/ports/store';
import { Feeder, type Pending } from './feeder';
import type { RunDeps } from './ordered';

/** Retries of one command before the baseline gives up on the run (a livelock, not a measurement). */
const MAX_ATTEMPTS = 100_000;

/**
 * The baseline without ordering: C workers take commands from one shared FIFO in arrival order and each
 * decides on its own, guarded by the ETag alone: read the item, decide, commit item replace (ifMatch) +
 * reservation create + event create in one batch, and on 412 read again and decide again.
 */
export async function runOptimistic(deps: RunDeps, workers: number): Promise<Feeder> {
  const queue: Pending[] = [];
  let head = 0;
  let waiters: (() => void)[] = [];
  let closed = false;
  const feeder = new Feeder(deps.workload, deps.clock, deps.limits, (p) => {
    queue.push(p);
    waiters.shift()?.();
  });
  feeder.onStop(() => {
    closed = true;
    const all = waiters;
    waiters = [];
    for (const wake of all) wake();
  });

  const worker = async (): Promise<void> => {
    for (;;) {
      if (closed) return;
      if (head < queue.length) {
        const pending = queue[head] as Pending;
        head += 1;
        await decideWithRetry(deps, feeder, pending);
        continue;
      }
      await new Promise<void>((resolve) => waiters.push(resolve));
    }
  };

  feeder.start();
  try {
    await Promise.all(Array.from({ length: workers }, () => worker()));
  } finally {
    feeder.stop();
  }
  return feeder;
}

/** Reads, decides and commits one command, reading and deciding again after every ETag conflict. */
async function decideWithRetry(deps: RunDeps, feeder: Feeder, pending: Pending): Promise<void> {
  const { command } = pending;
  const pk = command.inventoryId;
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const current = await deps.store.read<InventoryItem>(pk, pk);
    if (!current) throw new Error(`bench item ${pk} is missing`);
    const now = deps.clock.now().toISOString();
    const decision = decide({ item: current.doc, reservation: null, command, now });
    if (decision.kind === 'noop' || !decision.item || !decision.reservation) {
      throw new Error(`unexpected decision for ${command.commandId}: ${decision.kind}`);
    }
    const operations: BatchOperation[] = [
      { op: 'replace', doc: decision.item, ifMatch: current.etag },
      { op: 'create', doc: decision.reservation },
      ...decision.events.map((doc) => ({ op: 'create' as const, doc })),
    ];
    const result = await deps.store.batch(pk, operations);
    if (result.ok) {
      feeder.settle(pending, decision.kind, decision.reason);
      return;
    }
    if (result.failure !== 'conflict')
      throw new Error(`baseline batch failed: ${result.failure} at ${result.index}`);
  }
  throw new Error(`command ${command.commandId} still conflicting after ${MAX_ATTEMPTS} attempts`);
}
