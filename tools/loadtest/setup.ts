import { type ApiClient, mapLimit } from './client';
import { brief } from './poller';

export function itemIdsFor(runId: string, items: number): string[] {
  return Array.from({ length: items }, (_, n) => `lt-${runId}-${n}`);
}

/** Creates (or resets, via If-Match) every item with the same stock. Throws when one cannot be set. */
export async function setupItems(
  client: ApiClient,
  ids: readonly string[],
  stock: number,
  parallel = 32,
): Promise<void> {
  await mapLimit(ids, parallel, async (id) => {
    const path = `/inventory/${encodeURIComponent(id)}`;
    const body = { available: stock, name: `load test ${id}` };
    let res = await client.request('PUT', path, body);
    if (res.status === 428) {
      const current = await client.request('GET', path);
      const etag = current.headers.etag;
      if (current.status !== 200 || typeof etag !== 'string')
        throw new Error(`GET ${path} answered ${current.status}`);
      res = await client.request('PUT', path, body, { 'if-match': etag });
    }
    if (res.status !== 201 && res.status !== 200) {
      throw new Error(`PUT ${path} answered ${res.status}: ${brief(res.body)}`);
    }
  });
}
