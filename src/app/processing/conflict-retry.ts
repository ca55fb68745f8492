import type { WriteFailure } from '../../ports/store';
import { measure } from '../metrics';
import { ConflictRetriesExhaustedError } from './outcome';

export interface Conflict {
  kind: 'conflict';
  failure: WriteFailure;
}

export type Attempt<T> = { kind: 'done'; value: T } | Conflict;

/**
 * Runs `attempt` until it does not report a conflict, calling `reload` before each new try, at most
 * `maxRetries` times; then gives up so the message is redelivered rather than spinning.
 */
export async function withConflictRetry<T>(
  inventoryId: string,
  maxRetries: number,
  attempt: () => Promise<Attempt<T>>,
  reload: (conflict: Conflict, conflicts: number) => Promise<void>,
): Promise<T> {
  for (let conflicts = 0; ;) {
    const result = await attempt();
    if (result.kind === 'done') return result.value;
    measure.conflict(result.failure);
    conflicts += 1;
    if (conflicts > maxRetries) throw new ConflictRetriesExhaustedError(inventoryId, conflicts);
    await reload(result, conflicts);
  }
}
