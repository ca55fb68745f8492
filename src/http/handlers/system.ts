import type { InvocationContext } from '@azure/functions';
import type { Services } from '../../app/services';
import type { RouteDef } from '../route-types';
import { HealthView } from '../schemas';
import { json } from './respond';

/** A probe answer is reused for this long: /health is anonymous and must not cost a round trip per call. */
export const HEALTH_CACHE_MS = 5_000;
const PROBE_TIMEOUT_MS = 5_000;

type Check = { status: 'ok'; backend: string } | { status: 'failed'; backend: string; error: string };

async function check(
  name: string,
  backend: string,
  probe: () => Promise<void>,
  context: InvocationContext,
): Promise<readonly [string, Check]> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      probe(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new ProbeTimeout()), PROBE_TIMEOUT_MS);
        timer.unref();
      }),
    ]);
    return [name, { status: 'ok', backend }];
  } catch (error) {
    // The detail (host names, SDK text) goes to the log, never to the anonymous caller.
    context.warn(`health: ${name} probe failed`, error instanceof Error ? error.message : String(error));
    return [
      name,
      { status: 'failed', backend, error: error instanceof ProbeTimeout ? 'timed out' : 'unreachable' },
    ];
  } finally {
    clearTimeout(timer);
  }
}

class ProbeTimeout extends Error {}

interface Probed {
  at: number;
  checks: Promise<(readonly [string, Check])[]>;
}
const recent = new WeakMap<Services, Probed>();

function probeAll(services: Services, context: InvocationContext, now: number): Probed['checks'] {
  const cached = recent.get(services);
  if (cached && now - cached.at < HEALTH_CACHE_MS) return cached.checks;
  const checks = Promise.all([
    check('store', services.describe.store, () => services.store.ping(), context),
    check('queue', services.describe.queue, () => services.queue.ping(), context),
  ]);
  recent.set(services, { at: now, checks });
  return checks;
}

export const health: RouteDef = {
  name: 'health',
  route: 'health',
  method: 'GET',
  authLevel: 'anonymous',
  doc: {
    summary: 'Liveness and readiness of the store and the queue (probed at most every 5 seconds)',
    responses: {
      200: { description: 'Ready', schema: HealthView },
      503: { description: 'A dependency is failing', schema: HealthView },
    },
  },
  async handle(_request, context, services) {
    const checks = await probeAll(services, context, services.clock.now().getTime());
    const ok = checks.every(([, c]) => c.status === 'ok');
    return json(
      ok ? 200 : 503,
      { status: ok ? 'ok' : 'degraded', checks: Object.fromEntries(checks) as Record<string, unknown> },
      { 'cache-control': 'no-store' },
    );
  },
};
