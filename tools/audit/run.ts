import type { Output } from '../run-main';
import type { AuditOptions } from './args';
import { describeFailure, getJson, networkMessage } from './client';

/** The parts of the API's answers the tool reads. */
interface ItemsPage {
  items: { inventoryId: string }[];
  continuation: string | null;
}

export interface Difference {
  check: string;
  subject: string;
  expected: number | string;
  found: number | string;
  detail: string;
}

interface AuditAnswer {
  inventoryId: string;
  status: 'consistent' | 'inconsistent';
  checked: { events: number; reservations: number; tallies: number };
  differences: Difference[];
}

export interface AuditSummary {
  items: number;
  consistent: number;
  inconsistent: number;
  /** Items that could not be audited (an HTTP error or no answer). */
  failed: number;
}

/** Pages through every item and audits each page's items, printing them in listing order. */

export async function runAudit(options: AuditOptions, output: Output): Promise<AuditSummary> {
  const summary: AuditSummary = { items: 0, consistent: 0, inconsistent: 0, failed: 0 };
  let continuation: string | null = null;
  do {
    const page = await listPage(options, continuation);
    const lines = await mapLimit(page.items, options.concurrency, (item) =>
      auditOne(options, item.inventoryId, summary),
    );
    for (const line of lines) output.out(line);
    continuation = page.continuation;
  } while (continuation !== null);
  return summary;
}

async function listPage(options: AuditOptions, continuation: string | null): Promise<ItemsPage> {
  const query = new URLSearchParams({ limit: String(options.pageSize) });
  if (continuation !== null) query.set('continuation', continuation);
  let answer;
  try {
    answer = await getJson<ItemsPage>(`${options.url}/inventory?${query.toString()}`, options);
  } catch (error) {
    throw new Error(`listing the items failed: ${networkMessage(error)}`);
  }
  if (answer.status !== 200 || !Array.isArray(answer.body?.items)) {
    throw new Error(`listing the items failed: ${describeFailure(answer)}`);
  }
  return answer.body;
}

/** The item's line (and one per difference); counts it in the summary. */
async function auditOne(options: AuditOptions, inventoryId: string, summary: AuditSummary): Promise<string> {
  summary.items += 1;
  const url = `${options.url}/inventory/${encodeURIComponent(inventoryId)}/audit`;
  let answer;
  try {
    answer = await getJson<AuditAnswer>(url, options);
  } catch (error) {
    summary.failed += 1;
    return `NOT AUDITED   ${inventoryId}  ${networkMessage(error)}`;
  }
  const audit = answer.body;
  if (answer.status !== 200 || !audit || !Array.isArray(audit.differences)) {
    summary.failed += 1;
    return `NOT AUDITED   ${inventoryId}  ${describeFailure(answer)}`;
  }
  const { events, reservations, tallies } = audit.checked;
  const counts = `events ${events}, reservations ${reservations}, tallies ${tallies}`;
  if (audit.status === 'consistent' && audit.differences.length === 0) {
    summary.consistent += 1;
    return `consistent    ${inventoryId}  (${counts})`;
  }
  summary.inconsistent += 1;
  const n = audit.differences.length;
  return [
    `INCONSISTENT  ${inventoryId}  ${n} difference${n === 1 ? '' : 's'} (${counts})`,
    ...audit.differences.map(formatDifference),
  ].join('\n');
}

export function formatDifference(d: Difference): string {
  return `    - ${d.check} ${d.subject}: expected ${String(d.expected)}, found ${String(d.found)} (${d.detail})`;
}

export function formatSummary(s: AuditSummary): string {
  return `audited ${s.items} item${s.items === 1 ? '' : 's'}: ${s.consistent} consistent, ${s.inconsistent} inconsistent, ${s.failed} not audited`;
}

/** Runs `fn` over `items` with at most `limit` at once; results in the order of `items`. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
