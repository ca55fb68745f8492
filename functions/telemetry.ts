import type * as FunctionsInstrumentation from '@azure/functions-opentelemetry-instrumentation';
import type * as Identity from '@azure/identity';
import type { TokenCredential } from '@azure/identity';
import type * as AzureMonitor from '@azure/monitor-opentelemetry';
import type { AzureMonitorOpenTelemetryOptions } from '@azure/monitor-opentelemetry';
import type * as Instrumentation from '@opentelemetry/instrumentation';

export interface TelemetryDeps {
  useAzureMonitor: (options: AzureMonitorOpenTelemetryOptions) => void;
  register: () => void;
  credential: (clientId: string | undefined) => TokenCredential;
}

/*
 * Loaded only when telemetry is on: the Azure Monitor distro and its OpenTelemetry SDK take about two
 * seconds to require, which a cold start without Application Insights should not pay. `require`, not
 * `import()`: this must run synchronously, before the Azure SDKs load, and in CommonJS so the
 * instrumentation's require hooks see them.
 */
/* eslint-disable @typescript-eslint/no-require-imports */
const realDeps = (): TelemetryDeps => ({
  useAzureMonitor: (options) =>
    (require('@azure/monitor-opentelemetry') as typeof AzureMonitor).useAzureMonitor(options),
  register: () => {
    const { registerInstrumentations } = require('@opentelemetry/instrumentation') as typeof Instrumentation;
    const { AzureFunctionsInstrumentation } =
      require('@azure/functions-opentelemetry-instrumentation') as typeof FunctionsInstrumentation;
    registerInstrumentations({ instrumentations: [new AzureFunctionsInstrumentation()] });
  },
  credential: (clientId) => {
    const { ManagedIdentityCredential } = require('@azure/identity') as typeof Identity;
    return new ManagedIdentityCredential(clientId ? { clientId } : {});
  },
});
/* eslint-enable @typescript-eslint/no-require-imports */

export interface TelemetrySettings {
  /** Traces exported per second; 0 exports every trace. */
  tracesPerSecond: number;
}

/**
 * OpenTelemetry to Application Insights from the worker: dependency spans of the Azure SDKs (Cosmos DB,
 * Service Bus) under each invocation, so one operation shows request → send → decision. With
 * `telemetryMode: OpenTelemetry` the worker exports its own traces and logs, so sampling is set here
 * (host.json's applicationInsights.samplingSettings does not apply to them). Application Insights has
 * local auth disabled, so the exporter authenticates with the managed identity.
 * Must run before the Azure SDKs are loaded (CommonJS require hooks), hence first in functions/index.ts.
 *
 * Metrics need nothing more: useAzureMonitor registers a global MeterProvider whose readers always include
 * the Azure Monitor metric exporter (a PeriodicExportingMetricReader, every 60 s; @azure/monitor-opentelemetry
 * dist/commonjs/index.js "always include Azure Monitor", metrics/handler.js), so the instruments of
 * src/app/metrics.ts (inventory.commands.decided, ...) land in the `customMetrics` table with their
 * attributes in customDimensions; a histogram is exported as count, sum, min and max, without buckets
 * (https://learn.microsoft.com/azure/azure-monitor/app/opentelemetry-add-modify#add-custom-metrics).
 * src/app/metrics.ts takes its meter from the global provider at each use, so the order does not matter.
 */
export function configureTelemetry(
  telemetry: TelemetrySettings,
  env: NodeJS.ProcessEnv = process.env,
  deps: () => TelemetryDeps = realDeps,
): boolean {
  const connectionString = env.APPLICATIONINSIGHTS_CONNECTION_STRING;
  if (!connectionString) return false;
  const loaded = deps();
  const usesEntraId = (env.APPLICATIONINSIGHTS_AUTHENTICATION_STRING ?? '').includes('Authorization=AAD');
  loaded.useAzureMonitor({
    azureMonitorExporterOptions: {
      connectionString,
      ...(usesEntraId ? { credential: loaded.credential(env.AZURE_CLIENT_ID) } : {}),
    },
    // Rate-limited sampling; 0 turns it off and keeps every trace (samplingRatio 1).
    ...(telemetry.tracesPerSecond > 0
      ? { tracesPerSecond: telemetry.tracesPerSecond }
      : { tracesPerSecond: 0, samplingRatio: 1 }),
    instrumentationOptions: { azureSdk: { enabled: true }, http: { enabled: true } },
    enableLiveMetrics: true,
  });
  loaded.register();
  return true;
}
