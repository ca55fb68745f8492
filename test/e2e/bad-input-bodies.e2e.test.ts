import { CART_CASES } from '../support/bad-cart-cases';
import { ADJUST_CASES, BODY_CASES, PUT_CASES, SKU, VALID } from '../support/bad-input-cases';
import { expectProblem, testEachRefused, useBadInputHost } from '../support/bad-input-host';
import type { ProblemView } from '../support/http-client';

/**
 * Bad request bodies through HTTP against the in-process host (reservations, item PUTs, adjustments, bodies
 * over the size limit): every refusal is a 4xx problem document naming the field, nothing reaches the
 * queue or the ledger, and the host keeps serving.
 */

const suite = useBadInputHost();
const { footprint } = suite;

describe('bad input (in-process host)', () => {
  testEachRefused(suite, [...BODY_CASES, ...CART_CASES, ...PUT_CASES, ...ADJUST_CASES]);

  test('bodies over 64 KiB are 413, declared or streamed, and the host keeps serving', async () => {
    const before = await footprint();
    const big = JSON.stringify({ ...VALID, padding: 'x'.repeat(70 * 1024) });
    const declared = await suite.api.request<ProblemView>('POST', '/reservations', {
      body: big,
      headers: { 'content-type': 'application/json' },
    });
    expectProblem(declared, { name: 'declared', method: 'POST', path: '', status: 413, fields: ['(body)'] });

    const putBig = await suite.api.request<ProblemView>('PUT', `/inventory/${SKU}`, {
      body: JSON.stringify({ available: 1, name: 'n'.repeat(65 * 1024) }),
      headers: { 'content-type': 'application/json', 'if-match': '*' },
    });
    expectProblem(putBig, { name: 'put', method: 'PUT', path: '', status: 413, fields: ['(body)'] });

    // Chunked, with no Content-Length: refused while streaming.
    const chunk = new TextEncoder().encode('x'.repeat(16 * 1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= 8) controller.close();
        else {
          sent += 1;
          controller.enqueue(chunk);
        }
      },
    });
    const streamed = await fetch(`${suite.api.baseUrl}/reservations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: stream,
      duplex: 'half',
      signal: AbortSignal.timeout(10_000),
    });
    expect(streamed.status).toBe(413);
    expect(streamed.headers.get('content-type')).toContain('application/problem+json');
    expect(((await streamed.json()) as ProblemView).errors?.map((e) => e.field)).toContain('(body)');

    // Just under the limit is read and judged on its content (an unknown field), not refused for size.
    const under = JSON.stringify({ ...VALID, padding: 'x'.repeat(60 * 1024) });
    const ok = await suite.api.request<ProblemView>('POST', '/reservations', {
      body: under,
      headers: { 'content-type': 'application/json' },
    });
    expectProblem(ok, { name: 'under', method: 'POST', path: '', status: 400, fields: ['padding'] });
    expect(await footprint()).toEqual(before);
  }, 15_000);
});
