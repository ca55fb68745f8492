import { AzureFunctionsInstrumentation } from '@azure/functions-opentelemetry-instrumentation';
import { ManagedIdentityCredential, type TokenCredential } from '@azure/identity';
import { useAzureMonitor, type AzureMonitorOpenTelemetryOptions } from '@azure/monitor-opentelemetry';
import { registerInstrumentations } from '@opentelemetry/instrumentation';

export interface TelemetryDeps {
  useAzureMonitor: (options: AzureMonitorOpenTelemetryOptions) => void;
  register: () => void;
  credential: (clientId: string | undefined) => TokenCredential;
}

const realDeps: TelemetryDeps = {
  useAzureMonitor,
  register: () => registerInstrumentations({ instrumentations: [new AzureFunctionsInstrumentation()] }),
  credential: (clientId) => new ManagedIdentityCredential(clientId ? { clientId } : {}),
};

/**
 * OpenTelemetry to Application Insights from the worker: dependency spans of the Azure SDKs (Cosmos DB,
 * Service Bus) under each invocation, so one operation shows request → send → decision. Application
 * Insights has local auth disabled, so the exporter authenticates with the managed identity.
 * Must run before the Azure SDKs are loaded (CommonJS require hooks), hence first in functions/index.ts.
 */
export function configureTelemetry(
  env: NodeJS.ProcessEnv = process.env,
  deps: TelemetryDeps = realDeps,
): boolean {
  const connectionString = env.APPLICATIONINSIGHTS_CONNECTION_STRING;
  if (!connectionString) return false;
  const usesEntraId = (env.APPLICATIONINSIGHTS_AUTHENTICATION_STRING ?? '').includes('Authorization=AAD');
  deps.useAzureMonitor({
    azureMonitorExporterOptions: {
      connectionString,
      ...(usesEntraId ? { credential: deps.credential(env.AZURE_CLIENT_ID) } : {}),
    },
    instrumentationOptions: { azureSdk: { enabled: true }, http: { enabled: true } },
    enableLiveMetrics: true,
  });
  deps.register();
  return true;
}
