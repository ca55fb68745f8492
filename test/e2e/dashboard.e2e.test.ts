import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { parseArgs } from '../../tools/loadtest/args';
import { runLoadTest } from '../../tools/loadtest/runner';
import { sleep, type ItemView } from '../support/http-client';
import { startHostProcess, type HostProcess } from '../support/host-process';
import { KeyedApiClient, total } from '../support/prometheus-text';

jest.setTimeout(120_000);

/** Debian's Chromium, installed by .ci/run (never a browser download). */
const CHROMIUM = '/usr/bin/chromium';
const KEY = 'dashboard-e2e-key-0123456789';
const SUITE = 'the operator dashboard in a real browser';

if (!existsSync(CHROMIUM)) {
  // Not silently green: said loudly, and a failing test under CI=true (as the Bicep suites do).
  const message = `NO CHROMIUM AT ${CHROMIUM}: ${SUITE} did not run. Install it: apt-get install chromium (.ci/run does).`;
  const inCi = process.env.CI === 'true';
  if (!inCi) process.stderr.write(`\n${'!'.repeat(100)}\n${message}\n${'!'.repeat(100)}\n\n`);
  describe(SUITE, () => {
    (inCi ? it : it.skip)('has Chromium (required under CI=true)', () => {
      throw new Error(message);
    });
  });
} else {
  describe(SUITE, dashboardSuite);
}

const text = async (page: Page, selector: string) =>
  ((await page.locator(selector).textContent()) ?? '').trim();
const refreshes = async (page: Page) =>
  Number((await page.locator('#status').getAttribute('data-refreshes')) ?? 0);

/** Waits (bounded) until the page has refreshed `n` more times: what it shows is then at least that fresh. */
async function refreshed(page: Page, n = 1): Promise<void> {
  const target = (await refreshes(page)) + n;
  const deadline = Date.now() + 15_000;
  while ((await refreshes(page)) < target) {
    if (Date.now() > deadline) throw new Error(`the page stopped refreshing: ${await text(page, '#status')}`);
    await sleep(100);
  }
}

function dashboardSuite(): void {
  let host: HostProcess;
  let dir: string;
  let browser: Browser;
  let page: Page;
  let api: KeyedApiClient;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'dashboard-e2e-'));
    host = await startHostProcess({ dataDir: path.join(dir, 'data'), env: { API_KEY: KEY } });
    api = new KeyedApiClient(host.url, KEY);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
      ],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  });

  afterAll(async () => {
    await browser?.close();
    await host?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('asks once for the API key, then shows the live figures', async () => {
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`${new URL(host.url).origin}/dashboard`);
    await page.locator('#key-form').waitFor({ state: 'visible', timeout: 10_000 });
    await page.fill('#key-input', KEY);
    await page.click('#key-form button');
    await refreshed(page);
    expect(await page.locator('#key-form').isHidden()).toBe(true);
    expect(await text(page, '#decided-total')).toBe('0');
    expect(await text(page, '#backlog-active')).toBe('0');
    expect(errors).toEqual([]);
  });

  it('follows a load run while it runs, and ends showing what the API says', async () => {
    const load = runLoadTest(
      parseArgs(
        [
          ...['--url', host.url, '--key', KEY, '--items', '5', '--stock', '60', '--requests', '400'],
          ...['--rate', '100', '--confirm-fraction', '0.3', '--cancel-fraction', '0.2'],
          ...['--decide-timeout', '30', '--seed', '5', '--no-progress'],
        ],
        {},
      ),
    );
    // What the page shows while the load runs (bounded by the load tool's own deadlines).
    const seen: { decided: number; rate: number; acceptP99: string }[] = [];
    let finished = false;
    const loaded = load.finally(() => (finished = true));
    while (!finished) {
      seen.push({
        decided: Number(await text(page, '#decided-total')),
        rate: Number(await text(page, '#decisions-rate')),
        acceptP99: await text(page, '#accept-p99'),
      });
      await Promise.race([loaded, sleep(250)]);
    }
    const run = await loaded;
    expect(run.violations).toEqual([]);

    const during = [...new Set(seen.map((s) => s.decided))];
    expect(during.length).toBeGreaterThanOrEqual(3); // the count moved while the load ran
    expect(during).toEqual([...during].sort((a, b) => a - b));
    expect(seen.some((s) => s.rate > 0)).toBe(true);
    expect(seen.some((s) => /^\d+(\.\d)? ms$/.test(s.acceptP99))).toBe(true);

    // Quiet now (holds expire in 15 minutes): the page catches up with the API exactly.
    const metrics = (await api.get('/metrics')).text;
    const decided = total(metrics, 'inventory_commands_decided_total');
    expect(decided).toBeGreaterThan(400);
    await refreshed(page, 2);
    expect(Number(await text(page, '#decided-total'))).toBe(decided);
    expect(Number(await text(page, '#conflicts-total'))).toBe(
      total(metrics, 'inventory_etag_conflicts_total'),
    );
    expect(Number(await text(page, '#dead-letters-total'))).toBe(
      total(metrics, 'inventory_dead_letters_total'),
    );
    expect(await text(page, '#backlog-active')).toBe('0');

    await expectItemsAsTheApi(page, api, run.itemIds);
    await expectLedgerAsTheApi(page, api, run.itemIds[1] ?? '');

    const shot = path.join(dir, 'dashboard.png');
    await page.screenshot({ path: shot, fullPage: true });
    expect(statSync(shot).size).toBeGreaterThan(10_000);
  });
}

/** Every item's row shows the counters GET /api/inventory/{id} answers. */
async function expectItemsAsTheApi(
  page: Page,
  api: KeyedApiClient,
  itemIds: readonly string[],
): Promise<void> {
  for (const id of itemIds) {
    const item = await api.get<ItemView>(`/inventory/${id}`);
    const row = `#items tr[data-item="${id}"]`;
    const shown = {
      available: Number(await text(page, `${row} td[data-field="available"]`)),
      reserved: Number(await text(page, `${row} td[data-field="reserved"]`)),
      confirmed: Number(await text(page, `${row} td[data-field="confirmed"]`)),
      seq: Number(await text(page, `${row} td[data-field="seq"]`)),
    };
    const { available, reserved, confirmed, seq } = item.body;
    expect({ id, ...shown }).toEqual({ id, available, reserved, confirmed, seq });
  }
}

/** Clicking an item shows its newest ledger events, newest first, as GET .../ledger has them. */
async function expectLedgerAsTheApi(page: Page, api: KeyedApiClient, itemId: string): Promise<void> {
  await page.click(`#items tr[data-item="${itemId}"]`);
  await refreshed(page, 2); // one refresh begun after the click
  expect(await text(page, '#ledger-item')).toBe(`of ${itemId}`);
  const events = await api.ledger(itemId);
  const newest = events.slice(-3).reverse();
  const rows = page.locator('#ledger tbody tr');
  expect(await rows.count()).toBe(Math.min(15, events.length));
  for (const [i, event] of newest.entries()) {
    const row = rows.nth(i);
    const shown = {
      seq: Number(await row.locator('td[data-field="seq"]').textContent()),
      kind: await row.locator('td[data-field="kind"]').textContent(),
      reserved: Number(await row.locator('td[data-field="reserved"]').textContent()),
    };
    expect(shown).toEqual({ seq: event.seq, kind: event.kind, reserved: event.delta.reserved });
  }
}
