import type {
  app,
  HttpFunctionOptions,
  ServiceBusQueueFunctionOptions,
  TimerFunctionOptions,
} from '@azure/functions';
import { ROUTES } from '../../src/http/routes';
import { Router } from '../../src/local/router';
import { bindRoutes } from '../../src/http/routes';
import { AZURE_ENV } from '../support/azure-env';

/** Loads functions/index.ts as the Functions host would and records what it registers. */
function captureRegistrations(env: Record<string, string>) {
  const http: { name: string; options: HttpFunctionOptions }[] = [];
  const queues: { name: string; options: ServiceBusQueueFunctionOptions }[] = [];
  const timers: { name: string; options: TimerFunctionOptions }[] = [];
  const terminate: unknown[] = [];
  let closeServices: unknown;
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    jest.isolateModules(() => {
      // The registry of this isolated module graph: the one functions/index.ts will call.
      const isolated = (require('@azure/functions') as { app: typeof app }).app;
      jest.spyOn(isolated, 'http').mockImplementation((name, options) => {
        http.push({ name, options });
      });
      jest.spyOn(isolated, 'serviceBusQueue').mockImplementation((name, options) => {
        queues.push({ name, options });
      });
      jest.spyOn(isolated, 'timer').mockImplementation((name, options) => {
        timers.push({ name, options });
      });
      jest.spyOn(isolated.hook, 'appTerminate').mockImplementation((handler) => {
        terminate.push(handler);
        return { dispose: () => undefined };
      });
      require('../../functions/index');
      closeServices = (require('../../functions/services') as { closeServices: unknown }).closeServices;
    });
  } finally {
    process.env = saved;
  }
  return { http, queues, timers, terminate, closeServices };
}

describe('Azure Functions registrations', () => {
  it('register every route of the table the local host serves, with the same methods and auth levels', () => {
    const { http } = captureRegistrations(AZURE_ENV);
    const registered = http
      .map(
        ({ name, options }) =>
          `${name} ${(options.methods ?? []).join(',')} ${options.route} ${options.authLevel}`,
      )
      .sort();
    const served = bindRoutes(() => Promise.reject(new Error('unused')))
      .map((r) => `${r.name} ${r.method} ${r.route} ${r.authLevel}`)
      .sort();
    expect(registered).toEqual(served);
    expect(registered).toHaveLength(ROUTES.length);
  });

  it('route every registered Functions route to the same handler name in the local router', () => {
    const { http } = captureRegistrations(AZURE_ENV);
    const router = new Router(bindRoutes(() => Promise.reject(new Error('unused'))));
    for (const { name, options } of http) {
      const path = `/api/${(options.route ?? '').replace(/\{(\w+)\}/g, 'x1')}`;
      const resolved = router.resolve((options.methods ?? ['GET'])[0] ?? 'GET', path);
      expect(resolved.kind === 'match' ? resolved.match.route.name : resolved.kind).toBe(name);
    }
  });

  it('keep reservation and inventory routes behind function keys, operations behind the master key; only health and OpenAPI are anonymous', () => {
    const { http } = captureRegistrations(AZURE_ENV);
    const byLevel = (level: string) =>
      http
        .filter((h) => h.options.authLevel === level)
        .map((h) => h.options.route ?? '')
        .sort();
    expect(byLevel('anonymous')).toEqual(['health', 'openapi.json']);
    expect(byLevel('admin')).toEqual([
      'ops/dead-letters',
      'ops/dead-letters/{messageId}/discard',
      'ops/dead-letters/{messageId}/resubmit',
    ]);
    expect(byLevel('function').length + 5).toBe(http.length);
  });

  it('name no function and no route with the prefix the Functions host reserves for its admin API', () => {
    // https://github.com/Azure/azure-functions-host/issues/1781: such functions are refused at start-up.
    const { http } = captureRegistrations(AZURE_ENV);
    for (const { name, options } of http) {
      expect(name.toLowerCase().startsWith('admin')).toBe(false);
      expect((options.route ?? '').toLowerCase().startsWith('admin')).toBe(false);
    }
  });

  it('register the session-enabled Service Bus trigger on the queue named by the app setting', () => {
    const { queues } = captureRegistrations(AZURE_ENV);
    expect(queues).toHaveLength(1);
    expect(queues[0]?.options).toMatchObject({
      connection: 'ServiceBusConnection',
      queueName: '%SERVICEBUS_QUEUE%',
      isSessionsEnabled: true,
      cardinality: 'one',
    });
  });

  it('sweep the dead-letter queue once a minute, so a dead letter no handler saw fail still answers failed', () => {
    const { timers } = captureRegistrations(AZURE_ENV);
    expect(timers.map((t) => [t.name, t.options.schedule])).toEqual([['recordDeadLetters', '0 * * * * *']]);
  });

  it('close the clients when the worker terminates', () => {
    const { terminate, closeServices } = captureRegistrations(AZURE_ENV);
    expect(terminate).toHaveLength(1);
    expect(typeof terminate[0]).toBe('function');
    // The hook is the function that closes the clients, not some other handler.
    expect(terminate[0]).toBe(closeServices);
  });

  it('switch the trigger to batches of one session when SERVICEBUS_TRIGGER_CARDINALITY is many', () => {
    const { queues } = captureRegistrations({ ...AZURE_ENV, SERVICEBUS_TRIGGER_CARDINALITY: 'many' });
    expect(queues[0]?.options.cardinality).toBe('many');
  });

  it('refuse to load without the Azure settings, naming what is missing', () => {
    const saved = { ...process.env };
    for (const name of Object.keys(AZURE_ENV)) delete process.env[name];
    try {
      expect(() => jest.isolateModules(() => require('../../functions/services'))).toThrow(
        /COSMOS_ENDPOINT is required on Azure/,
      );
    } finally {
      process.env = saved;
    }
  });
});
