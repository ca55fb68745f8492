import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { main as backup } from '../../tools/backup/backup-cli';
import { main as restore } from '../../tools/backup/restore-cli';
import { parseArgs } from '../../tools/loadtest/args';
import { ApiClient as LoadClient } from '../../tools/loadtest/client';
import { checkInvariants, type ItemSnapshot } from '../../tools/loadtest/invariants';
import { collectItems } from '../../tools/loadtest/poller';
import { newProgress } from '../../tools/loadtest/progress';
import { runLoadTest } from '../../tools/loadtest/runner';
import type { AuditView } from '../support/audit-traffic';
import { startHostProcess, type HostProcess } from '../support/host-process';
import { ApiClient, mapLimit, sleep } from '../support/http-client';
import { DECISION_KINDS } from './ledger-checks';

/**
 * npm run backup in the middle of a load run against the compiled host (consumer on its worker thread, the
 * default), then npm run restore into a fresh folder and a host started on it: once that host has drained
 * the queue it restored (the expiries of the holds it holds among it), every reservation accepted before the
 * backup began is decided exactly once with a final status, every item's audit is consistent, and the load
 * tool's invariants hold over what it serves.
 */

const REQUESTS = 1200;
const STOCK = 60;
const HOLD_SECONDS = 2;
const FINAL = new Set(['held', 'rejected', 'confirmed', 'cancelled', 'expired']);
/** The backup starts once this many reservations were accepted: the middle of the load. */
const BACKUP_AFTER = 400;
/** A 202 counts as "before the backup" only when it arrived this long before the backup began. */
const MARGIN_MS = 20;

let dir: string;
const hosts: HostProcess[] = [];

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'e2e-backup-'));
});

afterAll(async () => {
  for (const host of hosts) await host.stop('SIGKILL', 5_000);
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 15_000);

/** What a tool's main printed, and its exit code. */
async function tool(command: typeof backup, argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await command(argv, {}, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

async function until(what: string, ready: () => boolean | Promise<boolean>, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (!(await ready())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(20);
  }
}

/** Messages of a data folder's queue that are due now: 0 once the host has processed all it can. */
function dueMessages(dataDir: string): number {
  const db = new Database(path.join(dataDir, 'queue.db'), { fileMustExist: true });
  try {
    return db
      .prepare<[number], number>('SELECT count(*) FROM queue_messages WHERE available_at <= ?')
      .pluck()
      .get(Date.now()) as number;
  } finally {
    db.close();
  }
}

/**
 * The load run against `url`, with npm run backup of `source` into `file` once BACKUP_AFTER reservations were
 * accepted: open loop over a few items (zipf, so some sell out), then a share of the holds confirmed or
 * cancelled. Answers the run, when the backup began, what it printed and how many were accepted by then.
 */
async function loadWithBackup(url: string, source: string, file: string) {
  const options = parseArgs(
    [
      ...['--url', url, '--items', '8', '--stock', String(STOCK), '--requests', String(REQUESTS)],
      ...['--rate', '400', '--distribution', 'zipf', '--seed', '5', '--run-id', 'bk', '--no-progress'],
      ...['--confirm-fraction', '0.3', '--cancel-fraction', '0.2', '--decide-timeout', '15'],
      // Short holds: the backup holds their ExpireHold messages, due by the time it is restored.
      ...['--hold-seconds', String(HOLD_SECONDS)],
    ],
    {},
  );
  const progress = newProgress(REQUESTS);
  const load = runLoadTest(options, progress);
  await until('the first reservations accepted', () => progress.accepted >= BACKUP_AFTER, 15_000);
  const began = Date.now();
  const made = await tool(backup, ['--out', file, '--data-dir', source]);
  const acceptedWhenWritten = progress.accepted;
  return { run: await load, began, made, acceptedWhenWritten };
}

/** The reservations among `ids` that do not have exactly one deciding event and a final status. */
function notDecidedOnce(items: readonly ItemSnapshot[], ids: readonly string[]): string[] {
  const decisions = new Map<string, number>();
  for (const e of items.flatMap((i) => i.ledger)) {
    if (e.reservationId && DECISION_KINDS.has(e.kind))
      decisions.set(e.reservationId, (decisions.get(e.reservationId) ?? 0) + 1);
  }
  const statuses = new Map(items.flatMap((i) => i.reservations.map((r) => [r.reservationId, r.status])));
  return ids.filter((id) => decisions.get(id) !== 1 || !FINAL.has(statuses.get(id) ?? 'pending'));
}

/** Every item whose audit is not `consistent`, with what it said. */
async function inconsistentItems(url: string, ids: readonly string[]) {
  const api = new ApiClient(url);
  const audits = await mapLimit(ids, 4, async (id) => {
    const res = await api.get<AuditView>(`/inventory/${id}/audit`);
    return { id, status: res.status, verdict: res.body.status, differences: res.body.differences };
  });
  return audits.filter((a) => a.status !== 200 || a.verdict !== 'consistent');
}

const ledgerEvents = (items: readonly ItemSnapshot[]) => items.reduce((n, i) => n + i.ledger.length, 0);

test('a backup taken mid-load restores to a host that decides every command accepted before it exactly once', async () => {
  const source = path.join(dir, 'source');
  const target = path.join(dir, 'restored');
  const file = path.join(dir, 'mid-load.bak');
  const first = await startHostProcess({ dataDir: source });
  hosts.push(first);
  const { run, began, made, acceptedWhenWritten } = await loadWithBackup(first.url, source, file);
  await first.stop();
  expect(made).toMatchObject({ code: 0, err: '' });
  // The load went on after the backup was written: it was taken in the middle, while the host served.
  expect(acceptedWhenWritten).toBeLessThan(REQUESTS);
  expect(run.violations).toEqual([]);
  const before = run.reserves.flatMap((r) =>
    r.reservationId !== undefined && run.loadStartedAt + r.doneMs < began - MARGIN_MS
      ? [{ inventoryId: r.inventoryId, reservationId: r.reservationId }]
      : [],
  );
  expect(before.length).toBeGreaterThanOrEqual(BACKUP_AFTER / 2);

  expect(await tool(restore, [file, '--data-dir', target])).toMatchObject({ code: 0, err: '' });
  // What the restored host must process: the expiries of the holds in the backup (due once HOLD_SECONDS
  // have passed since it was taken), and any command still undecided when it was taken.
  await sleep(Math.max(0, began + HOLD_SECONDS * 1000 + 100 - Date.now()));
  expect(dueMessages(target)).toBeGreaterThan(0);
  const second = await startHostProcess({ dataDir: target });
  hosts.push(second);
  await until('the restored queue drained', () => dueMessages(target) === 0, 15_000);

  const client = new LoadClient({ baseUrl: second.url, maxSockets: 16, timeoutMs: 10_000 });
  const items = await collectItems(client, run.itemIds).finally(() => client.close());
  const initialStock = Object.fromEntries(run.itemIds.map((id) => [id, STOCK]));
  expect(checkInvariants({ items, accepted: before, settles: [], initialStock })).toEqual([]);
  // Spelled out: one deciding event per reservation accepted before the backup, and a final status.
  const ids = before.map((r) => r.reservationId);
  expect(notDecidedOnce(items, ids)).toEqual([]);
  expect(await inconsistentItems(second.url, run.itemIds)).toEqual([]);
  // The restored host serves the data set as it was at the backup: less than the first host ended with.
  expect(ledgerEvents(items)).toBeLessThan(ledgerEvents(run.snapshots));
}, 40_000);
