// Inventory reservation service: everything `azd up` (or `az deployment sub create`) needs.
// Keyless throughout: every data-plane call uses Microsoft Entra ID (managed identity on Azure,
// the developer's `az login` locally); shared keys and SAS are disabled on every service.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('Name of the azd environment; used for the resource group name and the unique resource token.')
param environmentName string

@minLength(1)
@description('Primary location for all resources. Must be a region that offers the Flex Consumption plan.')
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@description('Object id of a developer (or CI principal) that gets the same data roles as the app, to run the service locally against these resources. Empty: none.')
param principalId string = ''

@allowed([
  'User'
  'ServicePrincipal'
  'Group'
])
@description('Kind of principal in principalId. azd passes the signed-in principal\'s kind (AZURE_PRINCIPAL_TYPE), so `azd up` from CI as a service principal works.')
param principalType string = 'User'

@allowed([
  'Standard'
  'Premium'
])
@description('Service Bus tier. Standard is enough for sessions and duplicate detection; Premium gives isolation and predictable latency.')
param serviceBusSku string = 'Standard'

@allowed([
  1
  2
  4
  8
  16
])
@description('Messaging units when serviceBusSku is Premium.')
param serviceBusPremiumCapacity int = 1

@description('Name of the session-enabled queue that carries reservation commands.')
param queueName string = 'reservations'

@description('Duplicate detection history window of the queue (ISO 8601 duration).')
param duplicateDetectionWindow string = 'PT10M'

@description('Cosmos DB database name.')
param cosmosDatabaseName string = 'inventory'

@description('Cosmos DB container name.')
param cosmosContainerName string = 'inventory'

@maxLength(44)
@description('Cosmos DB account to use. Empty (default): cosmos-<token>, created here. After a point-in-time restore, the restored account\'s name: the Bicep then manages that account (keyless, role assignments) and the app reads from it (docs/DEPLOY.md, Restore to a point in time).')
param cosmosAccountName string = ''

@description('0 (default): serverless Cosmos DB account. Otherwise a provisioned account whose container autoscales up to this many RU/s (a multiple of 1000).')
param cosmosAutoscaleMaxThroughput int = 0

@minValue(40)
@maxValue(1000)
@description('Upper bound of Flex Consumption instances.')
param maximumInstanceCount int = 100

@allowed([
  512
  2048
  4096
])
@description('Memory of each Flex Consumption instance.')
param instanceMemoryMB int = 2048

@allowed([
  'one'
  'many'
])
@description('How the session trigger receives messages (app setting SERVICEBUS_TRIGGER_CARDINALITY). one: a message per invocation. many: up to maxMessageBatchSize messages of one session per invocation, committed in few batches (group commit); for hot items. Set it here, not on the app: azd provision rewrites the app settings.')
param triggerCardinality string = 'one'

@description('E-mail address that receives alerts. Empty: the alerts fire without notifying anyone (no action group is created).')
param alertEmail string = ''

@description('Alert when the queue holds more active messages than this (averaged over 15 minutes).')
param activeMessagesAlertThreshold int = 1000

var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = {
  'azd-env-name': environmentName
}
// Every name is fixed here, before anything is deployed, so what-if can predict each resource and
// role assignment (modules get names, not outputs of other modules, wherever a name identifies a resource).
var names = {
  identity: 'id-api-${resourceToken}'
  logAnalytics: 'log-${resourceToken}'
  applicationInsights: 'appi-${resourceToken}'
  storage: 'st${resourceToken}'
  serviceBus: 'sb-${resourceToken}'
  cosmos: empty(cosmosAccountName) ? 'cosmos-${resourceToken}' : cosmosAccountName
  functionApp: 'func-api-${resourceToken}'
  plan: 'plan-${resourceToken}'
}
var deploymentContainerName = 'app-package-${take(names.functionApp, 32)}-${take(resourceToken, 7)}'

resource rg 'Microsoft.Resources/resourceGroups@2025-04-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

module identity 'modules/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: names.identity
    location: location
    tags: tags
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: names.logAnalytics
    applicationInsightsName: names.applicationInsights
    location: location
    tags: tags
    appIdentityName: names.identity
    appPrincipalId: identity.outputs.principalId
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: names.storage
    location: location
    tags: tags
    deploymentContainerName: deploymentContainerName
    appIdentityName: names.identity
    appPrincipalId: identity.outputs.principalId
  }
}

module serviceBus 'modules/servicebus.bicep' = {
  name: 'servicebus'
  scope: rg
  params: {
    name: names.serviceBus
    location: location
    tags: tags
    skuName: serviceBusSku
    premiumCapacity: serviceBusPremiumCapacity
    queueName: queueName
    duplicateDetectionWindow: duplicateDetectionWindow
    appIdentityName: names.identity
    appPrincipalId: identity.outputs.principalId
    developerPrincipalId: principalId
    developerPrincipalType: principalType
  }
}

module cosmos 'modules/cosmos.bicep' = {
  name: 'cosmos'
  scope: rg
  params: {
    accountName: names.cosmos
    location: location
    tags: tags
    databaseName: cosmosDatabaseName
    containerName: cosmosContainerName
    autoscaleMaxThroughput: cosmosAutoscaleMaxThroughput
    appIdentityName: names.identity
    appPrincipalId: identity.outputs.principalId
    developerPrincipalId: principalId
  }
}

module functionApp 'modules/function-app.bicep' = {
  name: 'function-app'
  scope: rg
  params: {
    name: names.functionApp
    planName: names.plan
    location: location
    tags: tags
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    storageAccountName: names.storage
    deploymentContainerName: storage.outputs.deploymentContainerName
    applicationInsightsName: names.applicationInsights
    serviceBusFullyQualifiedNamespace: serviceBus.outputs.fullyQualifiedNamespace
    serviceBusQueueName: serviceBus.outputs.queueName
    triggerCardinality: triggerCardinality
    cosmosEndpoint: cosmos.outputs.endpoint
    cosmosDatabaseName: cosmos.outputs.databaseName
    cosmosContainerName: cosmos.outputs.containerName
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
  }
  // The app reads the Application Insights connection string by name.
  dependsOn: [
    monitoring
  ]
}

module alerts 'modules/alerts.bicep' = {
  name: 'alerts'
  scope: rg
  params: {
    resourceToken: resourceToken
    tags: tags
    alertEmail: alertEmail
    serviceBusNamespaceName: names.serviceBus
    serviceBusQueueName: serviceBus.outputs.queueName
    applicationInsightsName: names.applicationInsights
    cosmosAccountName: names.cosmos
    activeMessagesThreshold: activeMessagesAlertThreshold
  }
  // The alerts refer to these resources by name.
  dependsOn: [
    monitoring
    cosmos
  ]
}

// The operations workbook (docs/DEPLOY.md, Workbook): Application Insights → Workbooks.
module workbook 'modules/workbook.bicep' = {
  name: 'workbook'
  scope: rg
  params: {
    location: location
    tags: tags
    applicationInsightsName: names.applicationInsights
    serviceBusNamespaceName: names.serviceBus
    serviceBusQueueName: serviceBus.outputs.queueName
  }
  // The workbook names the component by id.
  dependsOn: [
    monitoring
  ]
}

// azd stores these in .azure/<env>/.env; docs/DEPLOY.md reads them with `azd env get-value NAME`.
// Names, endpoints and host names only: nothing here grants access by itself.
output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name
output API_BASE_URL string = 'https://${functionApp.outputs.defaultHostName}/api'
output COSMOS_ENDPOINT string = cosmos.outputs.endpoint
output COSMOS_DATABASE string = cosmos.outputs.databaseName
output COSMOS_CONTAINER string = cosmos.outputs.containerName
output SERVICEBUS_NAMESPACE string = serviceBus.outputs.fullyQualifiedNamespace
output SERVICEBUS_QUEUE string = serviceBus.outputs.queueName
output APPLICATIONINSIGHTS_NAME string = monitoring.outputs.applicationInsightsName
