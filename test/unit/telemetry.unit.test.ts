import type { AzureMonitorOpenTelemetryOptions } from '@azure/monitor-opentelemetry';
import type { TokenCredential } from '@azure/identity';
import { InvocationContext } from '@azure/functions';
import { configureTelemetry, type TelemetryDeps } from '../../functions/telemetry';
import { contextLogger } from '../../src/triggers/context-logger';

function recordingDeps() {
  const calls: {
    options?: AzureMonitorOpenTelemetryOptions;
    registered: number;
    clientIds: (string | undefined)[];
  } = {
    registered: 0,
    clientIds: [],
  };
  const credential = { getToken: () => Promise.resolve(null) } as TokenCredential;
  const deps: TelemetryDeps = {
    useAzureMonitor: (options) => {
      calls.options = options;
    },
    register: () => {
      calls.registered += 1;
    },
    credential: (clientId) => {
      calls.clientIds.push(clientId);
      return credential;
    },
  };
  return { deps, calls, credential };
}

const ON = { tracesPerSecond: 5 };

describe('worker telemetry', () => {
  it('stays off without an Application Insights connection string, and never loads the distro', () => {
    const { deps, calls } = recordingDeps();
    let loaded = 0;
    expect(
      configureTelemetry(ON, {}, () => {
        loaded += 1;
        return deps;
      }),
    ).toBe(false);
    expect(loaded).toBe(0);
    expect(calls.options).toBeUndefined();
    expect(calls.registered).toBe(0);
  });

  it('exports with the managed identity when Application Insights requires Entra ID', () => {
    const { deps, calls, credential } = recordingDeps();
    const on = configureTelemetry(
      ON,
      {
        APPLICATIONINSIGHTS_CONNECTION_STRING: 'InstrumentationKey=00000000-0000-0000-0000-000000000000',
        APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=abc;Authorization=AAD',
        AZURE_CLIENT_ID: 'abc',
      },
      () => deps,
    );
    expect(on).toBe(true);
    expect(calls.options?.azureMonitorExporterOptions?.credential).toBe(credential);
    expect(calls.clientIds).toEqual(['abc']);
    expect(calls.options?.instrumentationOptions?.azureSdk?.enabled).toBe(true);
    expect(calls.registered).toBe(1);
  });

  it('samples in the worker: the configured traces per second, or every trace when it is 0', () => {
    const env = {
      APPLICATIONINSIGHTS_CONNECTION_STRING: 'InstrumentationKey=00000000-0000-0000-0000-000000000000',
    };
    const limited = recordingDeps();
    configureTelemetry({ tracesPerSecond: 20 }, env, () => limited.deps);
    expect(limited.calls.options?.tracesPerSecond).toBe(20);
    const everything = recordingDeps();
    configureTelemetry({ tracesPerSecond: 0 }, env, () => everything.deps);
    expect([everything.calls.options?.tracesPerSecond, everything.calls.options?.samplingRatio]).toEqual([
      0, 1,
    ]);
  });
});

describe('context logger', () => {
  function capture(minLevel?: 'debug' | 'info' | 'warn' | 'error') {
    const lines: string[] = [];
    const context = new InvocationContext({
      functionName: 'processCommands',
      logHandler: (level, ...args) => lines.push(`${level} ${args.map(String).join(' ')}`),
    });
    const log = contextLogger(context, { sessionId: 's' }, minLevel);
    log.debug('command decided', { n: 1 });
    log.info('info line');
    log.warn('warn line');
    log.error('error line');
    return lines.map((l) => l.split(' ')[0]);
  }

  it('drops lines below the configured level before they reach the exporter (info by default)', () => {
    expect(capture()).toEqual(['information', 'warning', 'error']);
    expect(capture('debug')).toEqual(['debug', 'information', 'warning', 'error']);
    expect(capture('error')).toEqual(['error']);
  });
});
