import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { localSettings, startHost, type Host } from '../../src/local/host';
import { corruptItem, limitedTraffic, type AuditView } from '../support/audit-traffic';
import { ApiClient, loopback, type ItemView, type ProblemView } from '../support/http-client';

/**
 * GET /api/inventory/{id}/audit and GET /api/inventory on the in-process host: after real traffic (reserve,
 * confirm, cancel, a per-user limit refusing, a restock) the audit finds the item consistent; once the item's
 * row in inventory.db is changed behind the service's back it names exactly that difference.
 */

let host: Host;
let api: ApiClient;
let dataDir: string;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'e2e-audit-'));
  host = await startHost(localSettings({ dataDir }), () => undefined);
  api = new ApiClient(loopback(host.url));
}, 20_000);

afterAll(async () => {
  await host?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
}, 20_000);

describe('the audit route', () => {
  test('finds an item consistent after real traffic, then names the one counter changed behind its back', async () => {
    await limitedTraffic(api, 'audit-a');
    expect((await api.getItem('audit-a')).item).toMatchObject({
      available: 12,
      reserved: 1,
      confirmed: 2,
      seq: 8,
    });

    const clean = await api.get<AuditView>('/inventory/audit-a/audit');
    expect(clean.status).toBe(200);
    expect(clean.body).toEqual({
      inventoryId: 'audit-a',
      status: 'consistent',
      checked: { events: 8, reservations: 4, tallies: 2 },
      differences: [],
    });

    corruptItem(dataDir, 'audit-a', { available: 17 });
    const broken = await api.get<AuditView>('/inventory/audit-a/audit');
    expect(broken.status).toBe(200);
    expect(broken.body).toEqual({
      inventoryId: 'audit-a',
      status: 'inconsistent',
      checked: { events: 8, reservations: 4, tallies: 2 },
      differences: [
        {
          check: 'replayed-counter',
          subject: 'item.available',
          expected: 12,
          found: 17,
          detail: "the item's available is 17, its ledger replays to 12",
        },
      ],
    });

    corruptItem(dataDir, 'audit-a', { available: 12, reserved: 0, seq: 9 });
    const again = await api.get<AuditView>('/inventory/audit-a/audit');
    expect(again.body.differences.map((d) => [d.check, d.subject, d.expected, d.found])).toEqual([
      ['item-seq', 'item.seq', 8, 9],
      ['replayed-counter', 'item.reserved', 1, 0],
      ['held-sum', 'item.reserved', 1, 0],
    ]);
  }, 40_000);

  test('answers 404 for an unknown item and 400 naming a bad id', async () => {
    const unknown = await api.get<ProblemView>('/inventory/never-created/audit');
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('content-type')).toContain('application/problem+json');
    const bad = await api.get<ProblemView>('/inventory/.bad/audit');
    expect(bad.status).toBe(400);
    expect(bad.body.errors?.map((e) => e.field)).toEqual(['inventoryId']);
  });
});

describe('the items listing', () => {
  test('pages through every item exactly once, and refuses a bad limit or continuation naming it', async () => {
    for (const id of ['list-c', 'list-a', 'list-b']) await api.createItem(id, 1);
    const seen: string[] = [];
    let next: string | null = '/inventory?limit=2';
    let pages = 0;
    while (next !== null && pages < 20) {
      const page: { status: number; body: { items: ItemView[]; next: string | null } } = await api.get(next);
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.items.map((i) => i.inventoryId));
      next = page.body.next;
      pages += 1;
    }
    expect(seen.filter((id) => id.startsWith('list-'))).toEqual(['list-a', 'list-b', 'list-c']);
    expect(new Set(seen).size).toBe(seen.length);
    for (const [query, field] of [
      ['limit=0', 'limit'],
      ['continuation=not-a-token', 'continuation'],
      ['status=held', 'status'],
    ]) {
      const res = await api.get<ProblemView>(`/inventory?${query}`);
      expect({ query, status: res.status, fields: res.body.errors?.map((e) => e.field) }).toEqual({
        query,
        status: 400,
        fields: [field],
      });
    }
  });
});
