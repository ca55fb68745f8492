// The operator's view on Azure: a shared Application Insights workbook with the figures of the one-machine
// page (/dashboard). Its items live in ../workbook/operations.workbook.json (export it from the portal's
// Advanced Editor after a change); the resource ids and the queue name are filled in here, at deployment.
//
// Application metrics are the app's OpenTelemetry instruments as the Azure Monitor exporter writes them to
// the customMetrics table: name = the instrument name, attributes in customDimensions, counters and
// histograms as deltas per export (valueSum, valueCount, valueMin, valueMax; a histogram has no buckets, so
// no percentiles). https://learn.microsoft.com/azure/azure-monitor/app/opentelemetry-add-modify (custom
// metrics; aggregation per instrument) and @azure/monitor-opentelemetry-exporter src/utils/metricUtils.ts
// (resourceMetricsToEnvelope), src/export/metric.ts (selectAggregationTemporality: DELTA).
// Queue figures are Service Bus platform metrics (ActiveMessages, DeadletteredMessages, dimension EntityName):
// https://learn.microsoft.com/azure/azure-monitor/reference/supported-metrics/microsoft-servicebus-namespaces-metrics
param location string
param tags object = {}

@description('Application Insights component: the workbook is listed under it (sourceId) and its queries read it.')
param applicationInsightsName string

param serviceBusNamespaceName string
param serviceBusQueueName string

@description('Title in the portal.')
param displayName string = 'Inventory reservations: operations'

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource namespace 'Microsoft.ServiceBus/namespaces@2026-01-01' existing = {
  name: serviceBusNamespaceName
}

// Placeholders in the JSON, so the file stays a workbook the portal can open as it is.
var template = loadTextContent('../workbook/operations.workbook.json')
var serializedData = replace(
  replace(
    replace(template, '__APPLICATION_INSIGHTS_ID__', applicationInsights.id),
    '__SERVICE_BUS_NAMESPACE_ID__',
    namespace.id
  ),
  '__QUEUE_NAME__',
  serviceBusQueueName
)

resource workbook 'Microsoft.Insights/workbooks@2023-06-01' = {
  // A workbook's name must be a GUID; derived from the component, so a redeployment updates the same one.
  name: guid(applicationInsights.id, 'operations-workbook')
  location: location
  tags: tags
  kind: 'shared'
  properties: {
    displayName: displayName
    category: 'workbook'
    sourceId: applicationInsights.id
    version: 'Notebook/1.0'
    serializedData: serializedData
  }
}

output name string = workbook.name
