// Metric alerts for the failure modes that matter to this service, and an optional e-mail action
// group. Metric names and dimensions are the documented Azure Monitor platform metrics.
param resourceToken string
param tags object = {}

@description('E-mail address for notifications. Empty: no action group; the alerts still fire and show in the portal.')
param alertEmail string = ''

param serviceBusNamespaceName string
param serviceBusQueueName string
param applicationInsightsName string
param cosmosAccountName string

@description('Alert when the queue backlog (average active messages over 15 minutes) is above this.')
param activeMessagesThreshold int = 1000

@description('Alert when more than this many requests or trigger invocations fail within 5 minutes.')
param failedRequestsThreshold int = 0

@description('Alert when Cosmos DB answers 429 (throttled) more than this many times within 5 minutes (default: about 10 a minute).')
param throttledRequestsThreshold int = 50

resource namespace 'Microsoft.ServiceBus/namespaces@2026-01-01' existing = {
  name: serviceBusNamespaceName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource cosmosAccount 'Microsoft.DocumentDB/databaseAccounts@2026-03-15' existing = {
  name: cosmosAccountName
}

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = if (!empty(alertEmail)) {
  name: 'ag-${resourceToken}'
  location: 'global'
  tags: tags
  properties: {
    groupShortName: 'reservation'
    enabled: true
    emailReceivers: [
      {
        name: 'on-call'
        emailAddress: alertEmail
        useCommonAlertSchema: true
      }
    ]
  }
}

var actions = empty(alertEmail)
  ? []
  : [
      {
        actionGroupId: actionGroup.id
      }
    ]

resource deadLetteredAlert 'Microsoft.Insights/metricAlerts@2026-01-01' = {
  name: 'alert-deadlettered-${resourceToken}'
  location: 'global'
  tags: tags
  properties: {
    description: 'Messages were dead-lettered on the ${serviceBusQueueName} queue (poison commands or expired messages). Inspect the dead-letter subqueue.'
    severity: 1
    enabled: true
    scopes: [
      namespace.id
    ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT5M'
    autoMitigate: true
    criteria: {
      'odata.type': 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria'
      allOf: [
        {
          criterionType: 'StaticThresholdCriterion'
          name: 'DeadletteredMessages'
          metricNamespace: 'Microsoft.ServiceBus/namespaces'
          metricName: 'DeadletteredMessages'
          dimensions: [
            {
              name: 'EntityName'
              operator: 'Include'
              values: [
                serviceBusQueueName
              ]
            }
          ]
          operator: 'GreaterThan'
          threshold: 0
          timeAggregation: 'Maximum'
        }
      ]
    }
    actions: actions
  }
}

resource backlogAlert 'Microsoft.Insights/metricAlerts@2026-01-01' = {
  name: 'alert-backlog-${resourceToken}'
  location: 'global'
  tags: tags
  properties: {
    description: 'The ${serviceBusQueueName} queue is backing up: consumers are not keeping up or are failing.'
    severity: 2
    enabled: true
    scopes: [
      namespace.id
    ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    autoMitigate: true
    criteria: {
      'odata.type': 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria'
      allOf: [
        {
          criterionType: 'StaticThresholdCriterion'
          name: 'ActiveMessages'
          metricNamespace: 'Microsoft.ServiceBus/namespaces'
          metricName: 'ActiveMessages'
          dimensions: [
            {
              name: 'EntityName'
              operator: 'Include'
              values: [
                serviceBusQueueName
              ]
            }
          ]
          operator: 'GreaterThan'
          threshold: activeMessagesThreshold
          timeAggregation: 'Average'
        }
      ]
    }
    actions: actions
  }
}

resource failedRequestsAlert 'Microsoft.Insights/metricAlerts@2026-01-01' = {
  name: 'alert-failures-${resourceToken}'
  location: 'global'
  tags: tags
  properties: {
    description: 'Function invocations failed (HTTP requests answered with an error, or queue messages abandoned).'
    severity: 2
    enabled: true
    scopes: [
      applicationInsights.id
    ]
    evaluationFrequency: 'PT1M'
    windowSize: 'PT5M'
    autoMitigate: true
    criteria: {
      'odata.type': 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria'
      allOf: [
        {
          criterionType: 'StaticThresholdCriterion'
          name: 'FailedRequests'
          metricNamespace: 'microsoft.insights/components'
          metricName: 'requests/failed'
          operator: 'GreaterThan'
          threshold: failedRequestsThreshold
          timeAggregation: 'Count'
        }
      ]
    }
    actions: actions
  }
}

resource throttlingAlert 'Microsoft.Insights/metricAlerts@2026-01-01' = {
  name: 'alert-cosmos-429-${resourceToken}'
  location: 'global'
  tags: tags
  properties: {
    description: 'Cosmos DB is throttling requests (HTTP 429) in a sustained way: hot partition or not enough throughput.'
    severity: 2
    enabled: true
    scopes: [
      cosmosAccount.id
    ]
    evaluationFrequency: 'PT1M'
    windowSize: 'PT5M'
    autoMitigate: true
    criteria: {
      'odata.type': 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria'
      allOf: [
        {
          criterionType: 'StaticThresholdCriterion'
          name: 'ThrottledRequests'
          metricNamespace: 'Microsoft.DocumentDB/databaseAccounts'
          metricName: 'TotalRequests'
          dimensions: [
            {
              name: 'StatusCode'
              operator: 'Include'
              values: [
                '429'
              ]
            }
          ]
          operator: 'GreaterThan'
          threshold: throttledRequestsThreshold
          timeAggregation: 'Count'
        }
      ]
    }
    actions: actions
  }
}
