import {
  chargeOperation,
  indexTermCount,
  partitionCeiling,
  PARTITION_RU_PER_SECOND,
  QUERY_PAGE_RU,
  REFUSED_RU,
  RU_PER_INDEX_TERM,
  SIZE_TABLE,
  CONTAINER_POLICY,
} from './ru-model';
import type { RunResult } from './run';

/** Issue 13's goal for one hot item under the RU model, in decisions per second within the partition cap. */
export const RU_CEILING_TARGET = 1400;

const KB = 1024;
const ru = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : 'n/a');
const int = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a');

export const RU_SOURCES = {
  consumption: 'https://learn.microsoft.com/azure/cosmos-db/understand-request-unit-consumption',
  optimize: 'https://learn.microsoft.com/azure/cosmos-db/optimize-cost-reads-writes',
  indexPolicy: 'https://learn.microsoft.com/azure/cosmos-db/index-policy',
  limits: 'https://learn.microsoft.com/azure/cosmos-db/concepts-limits',
  batch: 'https://learn.microsoft.com/azure/cosmos-db/nosql/transactional-batch',
  queryPage:
    'https://learn.microsoft.com/training/modules/measure-index-azure-cosmos-db-sql-api/4-measure-query-cost',
} as const;

/** The charges of the model at typical sizes, computed by the model itself so the table cannot drift from it. */
function chargeRows(): string[] {
  const terms = indexTermCount(CONTAINER_POLICY);
  const w1 = SIZE_TABLE[0]?.[2] ?? Number.NaN;
  const row = (what: string, charge: number | string, how: string, source: string) =>
    `| ${what} | ${typeof charge === 'string' ? charge : ru(charge)} | ${how} | ${source} |`;
  const replace = (modifiedTerms: number) =>
    chargeOperation({ kind: 'replace', bytes: KB, previousBytes: KB, modifiedTerms });
  return [
    '| Operation (document ≤ 1 KB unless stated) | RU | How | Source |',
    '| --- | ---: | --- | --- |',
    row('point read', chargeOperation({ kind: 'read', bytes: KB }), 'size table, read column', '[1], [2]'),
    row('point read, 8 KB', chargeOperation({ kind: 'read', bytes: 8 * KB }), 'size table', '[1]'),
    row('point read that finds nothing (404)', REFUSED_RU, 'assumed (see below)', '—'),
    row(
      'create',
      chargeOperation({ kind: 'create', bytes: KB }),
      `${w1} + ${RU_PER_INDEX_TERM} × ${terms} index terms`,
      '[1], [3]',
    ),
    row(
      'create, 8 KB',
      chargeOperation({ kind: 'create', bytes: 8 * KB }),
      `size table write column + ${RU_PER_INDEX_TERM} × ${terms}`,
      '[1], [3]',
    ),
    row(
      'replace, 3 terms changed (item: seq, (seq, id), _ts)',
      replace(3),
      `${w1} delete + ${w1} insert + 2 × ${RU_PER_INDEX_TERM} × 3`,
      '[1]',
    ),
    row(
      'replace, 2 terms changed (status, _ts)',
      replace(2),
      `${w1} + ${w1} + 2 × ${RU_PER_INDEX_TERM} × 2`,
      '[1]',
    ),
    row('upsert', '—', 'a create if the document was not there, else a replace', '[1]'),
    row(
      'delete',
      chargeOperation({ kind: 'delete', previousBytes: KB }),
      `${w1} + ${RU_PER_INDEX_TERM} × ${terms}`,
      '[1], [3]',
    ),
    row('transactional batch', '—', 'the sum of its operations', '[5]'),
    row(
      'query page, 10 results of ≤ 1 KB',
      chargeOperation({ kind: 'queryPage', resultBytes: Array<number>(10).fill(KB) }),
      `${QUERY_PAGE_RU} per page + a point read per result`,
      '[1], [6]',
    ),
    row('write refused (409, 412), failing batch operation', REFUSED_RU, 'assumed', '—'),
    row('one logical partition, per second', int(PARTITION_RU_PER_SECOND), 'the hot-item cap', '[4]'),
  ];
}

/** "## Request-unit model": the charges, their sources and every assumption, for docs/BENCHMARKS.md. */
export function ruModelSection(): string[] {
  const sizes = SIZE_TABLE.map(([kb, read, write]) => `${kb} KB ${read}/${write}`).join(', ');
  return [
    '## Request-unit model',
    '',
    'The delayed store charges every call the request units (RU) Cosmos DB for NoSQL would, by',
    '`tools/bench/ru-model.ts` (through `ru-meter.ts`); RU/decision in the tables is everything a run was',
    'charged (reads, writes, queries, failed requests) over its decisions, and the hot-item ceiling is',
    `${int(PARTITION_RU_PER_SECOND)} RU/s ÷ RU/decision.`,
    '',
    ...chargeRows(),
    '',
    `Size table [1] (KB read/write RU, session consistency, one region): ${sizes}.`,
    '',
    'Sources:',
    '',
    `1. Understand request units consumption: ${RU_SOURCES.consumption} (the size table; a create is the`,
    `   size-based charge + ${RU_PER_INDEX_TERM} RU per indexed term; a replace deletes the old version and inserts the new`,
    '   one, removing and adding each changed term; a delete removes the document and its terms; a feed costs',
    '   about a point read per document). The page calls its values illustrative and says they change over time.',
    `2. Optimize request cost: ${RU_SOURCES.optimize} (a 1 KB point read is 1 RU, 100 KB about 10 RU).`,
    `3. Indexing policies: ${RU_SOURCES.indexPolicy} (id and _ts are always indexed in consistent mode; every`,
    '   explicitly included path gets an index value even when the document lacks the property).',
    `4. Service quotas: ${RU_SOURCES.limits} ("Maximum RUs per partition (logical & physical): 10,000").`,
    `5. Transactional batch: ${RU_SOURCES.batch} (a group of point operations sent as one request); the`,
    '   service answers a charge per operation (`OperationResponse.requestCharge` in @azure/cosmos).',
    `6. Measure query cost (Microsoft Learn training): ${RU_SOURCES.queryPage} (pages of about 2.8 RU).`,
    '',
    'Assumptions:',
    '',
    '- The container of `infra/modules/cosmos.bicep`: one region, Session consistency (read charges are the',
    '  published session/eventual ones; strong or bounded staleness would double them [2]), consistent indexing',
    `  of \`/type\`, \`/status\`, \`/seq\`, \`/pk\`, \`/userId\`, a composite index (seq, id), \`/*\` excluded: ${indexTermCount(CONTAINER_POLICY)} index`,
    '  terms per document (5 included paths, id, _ts, and one for the composite index, which is our assumption).',
    "- A document's size is the JSON bytes of what the adapter writes (`{ ...doc, pk }`), measured on each",
    "  call; the service's system properties are not counted. Up to 1 KB is charged as 1 KB; between published",
    '  sizes the charge is interpolated linearly. The older page [2] gives about 10 RU for reading 100 KB where',
    '  the newer size table [1] interpolates to 7.7: we follow [1]. Its worked examples round the 1 KB write',
    "  charge to 5.0; we use the table's 4.95.",
    '- A replace changes the terms whose values differ from the version the meter last saw (reads, writes and',
    '  query results that went through the store), plus _ts always; a document it has not seen counts as every',
    '  term changed. A delete of a document it has not seen is charged as 1 KB.',
    '- A transactional batch costs the sum of its operations, with no charge of its own. A failed batch is',
    '  charged its operations before the failing one in full (they ran and were rolled back) and the failing one',
    `  as refused. Refused requests (404 read, 409, 412) cost ${REFUSED_RU} RU: the service charges them but`,
    '  publishes no figure.',
    `- A query page costs ${QUERY_PAGE_RU} RU plus a point read per result (not on the decision path).`,
    '- The ceiling assumes the hot partition gets its full 10,000 RU/s (provisioned or autoscale throughput',
    "  with that much on the item's physical partition) and spends it on nothing else. The bench drives",
    '  `processCommands` directly, so the accept side (idempotency records, queue) is not charged.',
    '- Metering costs one JSON serialisation per document (a few microseconds). It is charged after the call',
    '  returned, on the next turn of the event loop, so behind the round trip it runs while the session waits;',
    '  the CPU-bound undelayed figures still pay it (a few percent). The meter remembers at most 200,000 documents.',
    '',
  ];
}

/** The hot item's figures under the RU model: what it costs per decision and the rate the partition cap allows. */
export function hotPartitionTable(runs: readonly RunResult[]): string {
  const hot = runs.filter((r) => r.scenario === 'hot');
  const header =
    '| Store | Mode | Decided/s | RU/decision | Writes/decision | RU/s at that rate | Ceiling/s at 10,000 RU/s | Check |';
  const rule = '| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |';
  const lines = hot.map((r) =>
    [
      r.store === 'embedded' ? 'embedded' : `embedded + ${r.delayMs} ms`,
      r.label,
      int(r.decidedPerSecond),
      ru(r.ruPerDecision),
      ru(r.writesPerDecision),
      int(r.decidedPerSecond * r.ruPerDecision),
      int(partitionCeiling(r.ruPerDecision)),
      r.check.ok ? 'pass' : 'FAIL',
    ].join(' | '),
  );
  return [header, rule, ...lines.map((l) => `| ${l} |`)].join('\n');
}

/** A line on the RU target: the best hot-item ceiling of the run against RU_CEILING_TARGET. */
export function ruTargetLine(runs: readonly RunResult[]): string {
  const hot = runs.filter((r) => r.scenario === 'hot' && r.decided > 0 && r.check.ok);
  const best = hot.reduce<RunResult | null>(
    (b, r) => (!b || r.ruPerDecision < b.ruPerDecision ? r : b),
    null,
  );
  if (!best) return 'RU target not evaluated: no passing hot-item run.';
  const ceiling = partitionCeiling(best.ruPerDecision);
  return (
    `Hot item within ${int(PARTITION_RU_PER_SECOND)} RU/s: best ${ru(best.ruPerDecision)} RU/decision (${best.label}), ` +
    `a ceiling of ${int(ceiling)} decided/s — ≥ ${int(RU_CEILING_TARGET)}/s ${ceiling >= RU_CEILING_TARGET ? 'MET' : 'NOT MET'}.`
  );
}
