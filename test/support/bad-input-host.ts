import type { Host } from '../../src/local/host';
import { SKU, type Case } from './bad-input-cases';
import { embeddedQueueOf } from './embedded-queue';
import type { ApiClient, ApiResponse, ProblemView } from './http-client';
import { useInProcessHost } from './in-process-host';

/** What would change if anything had been accepted: queue sends, queued messages, the item's ledger. */
export interface Footprint {
  sends: number;
  queued: number;
  deadLettered: number;
  seq: number;
  counters: number[];
  reservations: number;
}

export interface BadInputHost {
  /** The host's client (set once it listens). */
  readonly api: ApiClient;
  footprint(): Promise<Footprint>;
  /** Sends a case: an object body as JSON, a string body verbatim (with content-type application/json). */
  send(c: Case): Promise<ApiResponse<ProblemView>>;
}

/**
 * The in-process host of a bad-input suite: the item SKU with 10 units, and a spy on every batch handed
 * to the queue (bad input must never reach it).
 */
export function useBadInputHost(): BadInputHost {
  let host: Host;
  let api: ApiClient;
  let sendCalls: jest.SpyInstance;
  useInProcessHost('e2e-bad-', async (started) => {
    ({ host, api } = started);
    sendCalls = jest.spyOn(embeddedQueueOf(host), 'send');
    await api.createItem(SKU, 10);
  });

  async function footprint(): Promise<Footprint> {
    const queue = embeddedQueueOf(host);
    const counts = queue.counts();
    const { item } = await api.getItem(SKU);
    const reservations = await api.reservations(SKU);
    return {
      sends: sendCalls.mock.calls.length,
      queued: counts.active + counts.scheduled,
      deadLettered: counts.deadLettered,
      seq: item.seq,
      counters: [item.available, item.reserved, item.confirmed],
      reservations: reservations.length,
    };
  }

  async function send(c: Case): Promise<ApiResponse<ProblemView>> {
    const headers = { ...(c.headers ?? {}) };
    let body: unknown = c.body;
    if (typeof c.body === 'string') {
      headers['content-type'] = 'application/json';
      body = c.body === '' ? new Uint8Array(0) : c.body;
    }
    return api.request<ProblemView>(c.method, c.path, { body, headers });
  }

  return {
    get api() {
      return api;
    },
    footprint,
    send,
  };
}

/** Asserts `res` is the case's 4xx problem document, naming every field the case names. */
export function expectProblem(
  res: { status: number; headers: Headers; body: ProblemView; text: string },
  c: Case,
) {
  if (res.status !== c.status)
    throw new Error(`${c.name}: expected ${c.status}, got ${res.status} ${res.text}`);
  expect(res.headers.get('content-type')).toContain('application/problem+json');
  expect(res.body).toMatchObject({ status: c.status, title: expect.any(String), type: expect.any(String) });
  if (c.fields) {
    const named = (res.body.errors ?? []).flatMap((e) => e.field.split(', '));
    for (const field of c.fields)
      expect({ case: c.name, named: named.includes(field) }).toEqual({ case: c.name, named: true });
    for (const e of res.body.errors ?? []) expect(typeof e.message).toBe('string');
  }
}

/** One test per case: refused with its problem document, and nothing queued or written. */
export function testEachRefused(suite: BadInputHost, cases: Case[]): void {
  test.each(cases.map((c) => [c.name, c] as const))(
    '%s',
    async (_name, c) => {
      const before = await suite.footprint();
      const res = await suite.send(c);
      expectProblem(res, c);
      expect(await suite.footprint()).toEqual(before);
    },
    10_000,
  );
}
