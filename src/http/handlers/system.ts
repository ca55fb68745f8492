import type { RouteDef } from '../route-types';
import { HealthView } from '../schemas';
import { json } from './respond';

async function check(name: string, backend: string, probe: () => Promise<void>) {
  try {
    await Promise.race([
      probe(),
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error('timed out after 5s')), 5000).unref(),
      ),
    ]);
    return [name, { status: 'ok' as const, backend }] as const;
  } catch (error) {
    return [
      name,
      { status: 'failed' as const, backend, error: error instanceof Error ? error.message : String(error) },
    ] as const;
  }
}

export const health: RouteDef = {
  name: 'health',
  route: 'health',
  method: 'GET',
  authLevel: 'anonymous',
  doc: {
    summary: 'Liveness and readiness of the store and the queue',
    responses: {
      200: { description: 'Ready', schema: HealthView },
      503: { description: 'A dependency is failing', schema: HealthView },
    },
  },
  async handle(_request, _context, services) {
    const checks = await Promise.all([
      check('store', services.describe.store, () => services.store.ping()),
      check('queue', services.describe.queue, () => services.queue.ping()),
    ]);
    const ok = checks.every(([, c]) => c.status === 'ok');
    return json(
      ok ? 200 : 503,
      { status: ok ? 'ok' : 'degraded', checks: Object.fromEntries(checks) as Record<string, unknown> },
      {
        'cache-control': 'no-store',
      },
    );
  },
};
