import { KEY_CASES, PATH_CASES, QUERY_CASES, ROUTE_CASES, SKU, VALID } from '../support/bad-input-cases';
import { expectProblem, testEachRefused, useBadInputHost } from '../support/bad-input-host';
import type { ProblemView } from '../support/http-client';

/**
 * Bad paths, query strings, Idempotency-Keys, routes and methods through HTTP against the in-process host:
 * every refusal is a 4xx problem document naming the field, and nothing reaches the queue or the ledger.
 */

const suite = useBadInputHost();
const { footprint } = suite;

describe('bad input (in-process host)', () => {
  testEachRefused(suite, [...PATH_CASES, ...QUERY_CASES, ...KEY_CASES, ...ROUTE_CASES]);

  test('wrong methods are 405 with an Allow header naming the methods the route has', async () => {
    const before = await footprint();
    const cases: [string, string, string[]][] = [
      ['DELETE', `/inventory/${SKU}`, ['GET', 'PUT']],
      ['POST', `/inventory/${SKU}`, ['GET', 'PUT']],
      ['GET', '/reservations', ['POST']],
      ['PUT', '/reservations', ['POST']],
      ['GET', `/inventory/${SKU}/adjustments`, ['POST']],
      ['PATCH', `/inventory/${SKU}/ledger`, ['GET']],
      ['GET', `/inventory/${SKU}/reservations/r-1/confirm`, ['POST']],
      ['POST', '/health', ['GET']],
      ['DELETE', '/openapi.json', ['GET']],
    ];
    for (const [method, p, allowed] of cases) {
      const res = await suite.api.request<ProblemView>(
        method,
        p,
        method === 'POST' || method === 'PUT' ? { body: VALID } : {},
      );
      expectProblem(res, { name: `${method} ${p}`, method, path: p, status: 405 });
      const allow = (res.headers.get('allow') ?? '')
        .split(',')
        .map((m) => m.trim())
        .sort();
      expect({ route: `${method} ${p}`, allow }).toEqual({
        route: `${method} ${p}`,
        allow: [...allowed].sort(),
      });
    }
    expect(await footprint()).toEqual(before);
  }, 15_000);
});
