// Service Bus namespace and the session-enabled reservations queue. Local (SAS) authentication is
// disabled and no authorization rules exist: senders and receivers authenticate with Entra ID.
// requiresSession and requiresDuplicateDetection cannot be changed after the queue is created.
param name string
param location string
param tags object = {}

@allowed([
  'Standard'
  'Premium'
])
param skuName string = 'Standard'

@allowed([
  1
  2
  4
  8
  16
])
@description('Messaging units; used only when skuName is Premium.')
param premiumCapacity int = 1

param queueName string = 'reservations'

@description('How long Service Bus remembers MessageIds to drop duplicates (ISO 8601 duration).')
param duplicateDetectionWindow string = 'PT10M'

@description('Name of the app\'s user-assigned identity: known before deployment, so role assignment names are too.')
param appIdentityName string

@description('Principal id of the function app identity: sends commands (HTTP API) and receives them (session trigger).')
param appPrincipalId string

@description('Optional developer principal that gets the same queue roles, to run the service locally. Empty: none.')
param developerPrincipalId string = ''

@allowed([
  'User'
  'ServicePrincipal'
  'Group'
])
param developerPrincipalType string = 'User'

// Azure Service Bus Data Sender / Azure Service Bus Data Receiver
var serviceBusDataSenderRoleId = '69a216fc-b8fb-44d8-bc22-1f3c2cd27a39'
var serviceBusDataReceiverRoleId = '4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0'

var premium = skuName == 'Premium'

resource namespace 'Microsoft.ServiceBus/namespaces@2026-01-01' = {
  name: name
  location: location
  tags: tags
  sku: {
    name: skuName
    tier: skuName
    capacity: premium ? premiumCapacity : null
  }
  properties: {
    disableLocalAuth: true
    minimumTlsVersion: '1.2'
    publicNetworkAccess: 'Enabled'
  }
}

resource queue 'Microsoft.ServiceBus/namespaces/queues@2026-01-01' = {
  parent: namespace
  name: queueName
  properties: {
    requiresSession: true
    requiresDuplicateDetection: true
    duplicateDetectionHistoryTimeWindow: duplicateDetectionWindow
    maxDeliveryCount: 10
    lockDuration: 'PT1M'
    deadLetteringOnMessageExpiration: true
    enablePartitioning: false
  }
}

// Role assignments are scoped to the queue, not the namespace: least privilege.
resource appSender 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(queue.id, appIdentityName, serviceBusDataSenderRoleId)
  scope: queue
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', serviceBusDataSenderRoleId)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource appReceiver 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(queue.id, appIdentityName, serviceBusDataReceiverRoleId)
  scope: queue
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', serviceBusDataReceiverRoleId)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource developerSender 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(developerPrincipalId)) {
  name: guid(queue.id, developerPrincipalId, serviceBusDataSenderRoleId)
  scope: queue
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', serviceBusDataSenderRoleId)
    principalId: developerPrincipalId
    principalType: developerPrincipalType
  }
}

resource developerReceiver 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(developerPrincipalId)) {
  name: guid(queue.id, developerPrincipalId, serviceBusDataReceiverRoleId)
  scope: queue
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', serviceBusDataReceiverRoleId)
    principalId: developerPrincipalId
    principalType: developerPrincipalType
  }
}

output namespaceName string = namespace.name
// serviceBusEndpoint looks like https://<name>.servicebus.windows.net:443/ ; keep only the host name.
output fullyQualifiedNamespace string = split(split(replace(namespace.properties.serviceBusEndpoint, 'https://', ''), ':')[0], '/')[0]
output queueName string = queue.name
