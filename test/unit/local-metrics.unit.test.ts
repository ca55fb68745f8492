import { InvocationContext, type HttpResponseInit } from '@azure/functions';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { METER_NAME, METRIC_NAMES, measure } from '../../src/app/metrics';
import { ROUTES } from '../../src/http/routes';
import { dashboardPages } from '../../src/local/dashboard/pages';
import { localMetrics, metricsRoute, PROMETHEUS_CONTENT_TYPE } from '../../src/local/metrics';

const bodyText = (response: HttpResponseInit | null) =>
  typeof response?.body === 'string' ? response.body : '';

/** The lines of one metric family in a Prometheus text exposition. */
function family(text: string, name: string): string[] {
  return text.split('\n').filter((line) => line.startsWith(name) || line.includes(` ${name} `));
}

/** Scope metrics as another thread collects them: its own MeterProvider under the service's meter. */
async function otherThread(record: (provider: MeterProvider) => void) {
  const reader = new PrometheusExporter({ preventServerStart: true });
  const provider = new MeterProvider({ readers: [reader] });
  record(provider);
  const { resourceMetrics } = await reader.collect();
  await provider.shutdown();
  return resourceMetrics.scopeMetrics;
}

describe('the one-machine host metrics (Prometheus text)', () => {
  // Installed first, as startHost does: what is recorded before a provider is installed is lost.
  beforeAll(() => localMetrics());

  it('serves what the use cases record, through the global provider it installs, with TYPE lines', async () => {
    measure.decided('Reserve', 'applied');
    measure.decided('Reserve', 'applied');
    measure.accepted('Reserve', 'accepted', 3);
    const text = await localMetrics().prometheus();
    expect(text).toContain('# TYPE inventory_commands_decided_total counter');
    expect(text).toMatch(
      /^inventory_commands_decided_total\{command_type="Reserve",outcome="applied",otel_scope_name="inventory-reservations"\} 2$/m,
    );
    expect(text).toContain('# TYPE inventory_accept_duration histogram');
    expect(text).toMatch(/^inventory_accept_duration_bucket\{.*le="5"\} 1$/m);
  });

  it('adds the backlog of every open queue, and counts a closed one as empty', async () => {
    const first = localMetrics().observeBacklog(() => ({ active: 3, scheduled: 1 }));
    const second = localMetrics().observeBacklog(() => ({ active: 2, scheduled: 5 }));
    let text = await localMetrics().prometheus();
    expect(text).toContain('# TYPE inventory_queue_backlog gauge');
    expect(text).toMatch(/^inventory_queue_backlog\{state="active",[^}]*\} 5$/m);
    expect(text).toMatch(/^inventory_queue_backlog\{state="scheduled",[^}]*\} 6$/m);
    first();
    second();
    text = await localMetrics().prometheus();
    expect(text).toMatch(/^inventory_queue_backlog\{state="active",[^}]*\} 0$/m);
    expect(text).toMatch(/^inventory_queue_backlog\{state="scheduled",[^}]*\} 0$/m);
  });

  it("joins another thread's metrics under one family, and leaves out a thread that cannot answer", async () => {
    measure.conflict('conflict');
    const remote = await otherThread((provider) =>
      provider.getMeter(METER_NAME).createCounter(METRIC_NAMES.conflicts).add(4, { failure: 'notFound' }),
    );
    const forget = localMetrics().addRemote(() => Promise.resolve(remote));
    const failing = localMetrics().addRemote(() => Promise.reject(new Error('the thread has stopped')));
    const text = await localMetrics().prometheus();
    forget();
    failing();

    expect(family(text, '# TYPE inventory_etag_conflicts_total')).toHaveLength(1);
    expect(text).toMatch(/^inventory_etag_conflicts_total\{failure="conflict",[^}]*\} 1$/m);
    expect(text).toMatch(/^inventory_etag_conflicts_total\{failure="notFound",[^}]*\} 4$/m);
  });

  it('answers GET /api/metrics as Prometheus text, and only on the one-machine host', async () => {
    const route = metricsRoute(localMetrics());
    expect(route).toMatchObject({ route: 'metrics', method: 'GET', authLevel: 'function' });
    const response = await route.handler(
      {
        method: 'GET',
        url: 'http://127.0.0.1/api/metrics',
        headers: new Headers(),
        query: new URLSearchParams(),
        params: {},
        text: () => Promise.resolve(''),
      },
      new InvocationContext({ functionName: 'metrics' }),
    );
    expect(response.status).toBe(200);
    expect(response.headers).toMatchObject({ 'content-type': PROMETHEUS_CONTENT_TYPE });
    expect(bodyText(response)).toContain('# TYPE ');
    // The Azure route table has no such route: there, metrics go to Application Insights.
    expect(ROUTES.map((r) => r.route)).not.toContain('metrics');
  });
});

describe('the dashboard pages', () => {
  const pages = dashboardPages();

  it('serves the page, its script and its style from src/local/dashboard with a strict CSP', () => {
    const page = pages('GET', '/dashboard');
    expect(page).toMatchObject({ status: 200, headers: { 'content-type': 'text/html; charset=utf-8' } });
    expect(bodyText(page)).toContain('<script src="/dashboard/dashboard.js"');
    expect(page?.headers).toMatchObject({
      'content-security-policy': expect.stringContaining("script-src 'self'"),
    });
    expect(pages('GET', '/dashboard/dashboard.js')).toMatchObject({
      status: 200,
      headers: { 'content-type': 'text/javascript; charset=utf-8' },
    });
    expect(bodyText(pages('GET', '/dashboard/dashboard.js'))).toContain("api('/metrics')");
    expect(pages('HEAD', '/dashboard/dashboard.css')).toMatchObject({ status: 200 });
  });

  it('refuses other methods and leaves every other path to the router', () => {
    expect(pages('POST', '/dashboard')).toMatchObject({ status: 405, headers: { allow: 'GET, HEAD' } });
    expect(pages('GET', '/dashboard/../package.json')).toBeNull();
    expect(pages('GET', '/dashboard/pages.ts')).toBeNull();
    expect(pages('GET', '/api/metrics')).toBeNull();
  });
});
