import type { AzureMonitorOpenTelemetryOptions } from '@azure/monitor-opentelemetry';
import type { TokenCredential } from '@azure/identity';
import { configureTelemetry, type TelemetryDeps } from '../../functions/telemetry';

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

describe('worker telemetry', () => {
  it('stays off without an Application Insights connection string', () => {
    const { deps, calls } = recordingDeps();
    expect(configureTelemetry({}, deps)).toBe(false);
    expect(calls.options).toBeUndefined();
    expect(calls.registered).toBe(0);
  });

  it('exports with the managed identity when Application Insights requires Entra ID', () => {
    const { deps, calls, credential } = recordingDeps();
    const on = configureTelemetry(
      {
        APPLICATIONINSIGHTS_CONNECTION_STRING: 'InstrumentationKey=00000000-0000-0000-0000-000000000000',
        APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=abc;Authorization=AAD',
        AZURE_CLIENT_ID: 'abc',
      },
      deps,
    );
    expect(on).toBe(true);
    expect(calls.options?.azureMonitorExporterOptions?.credential).toBe(credential);
    expect(calls.clientIds).toEqual(['abc']);
    expect(calls.options?.instrumentationOptions?.azureSdk?.enabled).toBe(true);
    expect(calls.registered).toBe(1);
  });
});
