import { newId } from '../../src/app/ids';
import { putItem } from '../../src/app/items';
import type { ReserveCommand } from '../../src/domain/model';
import type { Clock } from '../../src/ports/clock';
import type { DocumentStore } from '../../src/ports/store';
import { seededRandom, weightedSampler, zipfWeights } from './random';

export const SCENARIOS = ['hot', 'uniform', 'zipf'] as const;
export type Scenario = (typeof SCENARIOS)[number];

export const SCENARIO_TITLES: Record<Scenario, string> = {
  hot: 'One hot item',
  uniform: 'Uniform over the items',
  zipf: 'Zipf over the items',
};

export interface WorkloadConfig {
  scenario: Scenario;
  /** Items of the uniform and Zipf scenarios (the hot scenario has one). */
  items: number;
  skew: number;
  /** The most commands a run will generate: the stock is sized from it. */
  commands: number;
  seed: number;
  /** Share of Reserves that ask for far more than any item holds (always rejected). */
  oversizedShare: number;
}

/** Stock is 90% of the expected demand, so a run that goes the distance sells out near the end. */
const STOCK_SHARE_OF_DEMAND = 0.9;
const MAX_QUANTITY = 3;
const OVERSIZED_QUANTITY = 1_000_000;
const HOLD_MS = 3_600_000;

export interface Workload {
  itemIds: string[];
  /** Initial stock of each item. */
  stock: Map<string, number>;
  /** The next Reserve of the stream: item drawn by the scenario's distribution. */
  next(clock: Clock): ReserveCommand;
}

export function itemId(index: number): string {
  return `bench-item-${index.toString().padStart(5, '0')}`;
}

export function makeWorkload(config: WorkloadConfig): Workload {
  const count = config.scenario === 'hot' ? 1 : config.items;
  const itemIds = Array.from({ length: count }, (_, i) => itemId(i));
  const weights =
    config.scenario === 'zipf' ? zipfWeights(count, config.skew) : itemIds.map(() => 1 / itemIds.length);
  const random = seededRandom(config.seed);
  const pick = weightedSampler(weights, random);
  const meanQuantity = (1 + MAX_QUANTITY) / 2;
  const stock = new Map<string, number>();
  itemIds.forEach((id, i) => {
    const demand = config.commands * (weights[i] ?? 0) * meanQuantity * (1 - config.oversizedShare);
    stock.set(id, Math.max(1, Math.ceil(demand * STOCK_SHARE_OF_DEMAND)));
  });
  let userCounter = 0;
  return {
    itemIds,
    stock,
    next(clock) {
      const now = clock.now();
      const inventoryId = itemIds[pick()] ?? itemIds[0] ?? itemId(0);
      const oversized = random() < config.oversizedShare;
      userCounter += 1;
      return {
        type: 'Reserve',
        commandId: newId('c', now, inventoryId),
        inventoryId,
        requestedAt: now.toISOString(),
        reservationId: newId('r', now, inventoryId),
        quantity: oversized ? OVERSIZED_QUANTITY : 1 + Math.floor(random() * MAX_QUANTITY),
        userId: `bench-user-${userCounter}`,
        expiresAt: new Date(now.getTime() + HOLD_MS).toISOString(),
      };
    },
  };
}

/** Creates every item of the workload through the admin path, directly on the (undelayed) store. */
export async function createItems(store: DocumentStore, clock: Clock, workload: Workload): Promise<void> {
  for (const id of workload.itemIds) {
    const result = await putItem(
      { store, clock },
      { inventoryId: id, available: workload.stock.get(id) ?? 0, name: id },
      undefined,
    );
    if (result.kind !== 'created') throw new Error(`could not create bench item ${id}: ${result.kind}`);
  }
}
