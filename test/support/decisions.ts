import type { Decision } from '../../src/domain/decide';
import type { InventoryItem, LedgerEvent } from '../../src/domain/model';
import { at } from './domain-fixtures';

/** The time the decide tests decide at. */
export const NOW = at(10);

/** The decision, which must write something (applied or rejected), not a noop. */
export function written(decision: Decision): Extract<Decision, { kind: 'applied' | 'rejected' }> {
  if (decision.kind === 'noop') throw new Error(`expected a decision to write, got noop (${decision.why})`);
  return decision;
}

/** The item the decision writes; throws if it leaves the item as it was. */
export function nextItem(decision: Decision): InventoryItem {
  const d = written(decision);
  if (!d.item) throw new Error('expected the item to change');
  return d.item;
}

export function kinds(events: LedgerEvent[]): string[] {
  return events.map((e) => e.kind);
}
