// Cosmos DB for NoSQL: one account, one database, one container partitioned on `/pk`, a property the
// store adds to every document it writes: an item's id for that item's documents (the item, its
// reservations, ledger pages, command markers and user tallies), a key of its own for other records.
// Keys are disabled; the app (and optionally a developer) get the built-in Data Contributor
// data-plane role through sqlRoleAssignments.
param accountName string
param location string
param tags object = {}
param databaseName string = 'inventory'
param containerName string = 'inventory'

@description('0: serverless (pay per request, storage only at rest). Otherwise provisioned autoscale throughput on the container, up to this many RU/s (a multiple of 1000).')
param autoscaleMaxThroughput int = 0

@description('Name of the app\'s user-assigned identity: known before deployment, so role assignment names are too.')
param appIdentityName string

@description('Principal id of the function app identity.')
param appPrincipalId string

@description('Optional developer principal that gets the same data role, to run the service locally. Empty: none.')
param developerPrincipalId string = ''

// Cosmos DB Built-in Data Contributor (a Cosmos DB data-plane role, not an Azure RBAC role).
var cosmosDataContributorRoleId = '00000000-0000-0000-0000-000000000002'
var serverless = autoscaleMaxThroughput == 0

resource account 'Microsoft.DocumentDB/databaseAccounts@2026-03-15' = {
  name: accountName
  location: location
  tags: tags
  kind: 'GlobalDocumentDB'
  properties: {
    databaseAccountOfferType: 'Standard'
    consistencyPolicy: {
      defaultConsistencyLevel: 'Session'
    }
    locations: [
      {
        locationName: location
        failoverPriority: 0
        isZoneRedundant: false
      }
    ]
    disableLocalAuth: true
    disableKeyBasedMetadataWriteAccess: true
    publicNetworkAccess: 'Enabled'
    backupPolicy: {
      type: 'Continuous'
      continuousModeProperties: {
        tier: 'Continuous7Days'
      }
    }
    capabilities: serverless
      ? [
          {
            name: 'EnableServerless'
          }
        ]
      : []
  }
}

resource database 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases@2026-03-15' = {
  parent: account
  name: databaseName
  properties: {
    resource: {
      id: databaseName
    }
  }
}

resource container 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers@2026-03-15' = {
  parent: database
  name: containerName
  properties: {
    resource: {
      id: containerName
      // The code's PARTITION_KEY_PATH (src/adapters/cosmos/partition.ts).
      partitionKey: {
        paths: [
          '/pk'
        ]
        kind: 'Hash'
        version: 2
      }
      // TTL on, no default: only documents that carry a `ttl` field expire.
      defaultTtl: -1
      // Queries filter on the partition key (pk), type, status and (counting a user's holds for a per-user
      // limit) userId, and order by seq then id; nothing else is queried.
      // id is always indexed. ORDER BY over two properties needs the composite index.
      indexingPolicy: {
        indexingMode: 'consistent'
        automatic: true
        includedPaths: [
          {
            path: '/type/?'
          }
          {
            path: '/status/?'
          }
          {
            path: '/seq/?'
          }
          {
            path: '/pk/?'
          }
          {
            path: '/userId/?'
          }
        ]
        excludedPaths: [
          {
            path: '/*'
          }
        ]
        compositeIndexes: [
          [
            {
              path: '/seq'
              order: 'ascending'
            }
            {
              path: '/id'
              order: 'ascending'
            }
          ]
        ]
      }
    }
    options: serverless
      ? {}
      : {
          autoscaleSettings: {
            maxThroughput: autoscaleMaxThroughput
          }
        }
  }
}

resource appDataContributor 'Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments@2026-03-15' = {
  parent: account
  name: guid(account.id, appIdentityName, cosmosDataContributorRoleId)
  properties: {
    roleDefinitionId: '${account.id}/sqlRoleDefinitions/${cosmosDataContributorRoleId}'
    principalId: appPrincipalId
    scope: account.id
  }
}

resource developerDataContributor 'Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments@2026-03-15' = if (!empty(developerPrincipalId)) {
  parent: account
  name: guid(account.id, developerPrincipalId, cosmosDataContributorRoleId)
  properties: {
    roleDefinitionId: '${account.id}/sqlRoleDefinitions/${cosmosDataContributorRoleId}'
    principalId: developerPrincipalId
    scope: account.id
  }
  // Cosmos DB rejects concurrent role-assignment writes on one account.
  dependsOn: [
    appDataContributor
  ]
}

output accountName string = account.name
output endpoint string = account.properties.documentEndpoint
output databaseName string = database.name
output containerName string = container.name
