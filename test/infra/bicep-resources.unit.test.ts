/**
 * Guards the Bicep in infra/ against drifting from what the code and the docs need: what the Bicep
 * compiler cannot know (settings the code reads, the partition key, no keys). Syntax, types, module
 * parameters and outputs are the compiler's job (bicep-compiler.int.test.ts). Access (keys, roles):
 * bicep-access.unit.test.ts. The files are read as text; see bicep-text.ts.
 */
import { basename, join, resolve } from 'node:path';

import { PARTITION_KEY_PATH } from '../../src/adapters/cosmos/partition';
import { AZURE_DEPLOYED_SETTINGS } from '../../src/config/settings';
import { MAX_DELIVERY_COUNT } from '../../src/ports/sessions';
import { mainText, MODULES, moduleText, onlyResource } from '../support/bicep-files';
import {
  INFRA_DIR,
  REPO_ROOT,
  azureYamlServices,
  block,
  listFiles,
  modules,
  outputs,
  params,
  propertyValue,
  propertyValues,
  readText,
  resources,
  stringLiteral,
  stripComments,
  topLevelKeys,
  type BicepResource,
} from './bicep-text';

describe('wiring: files, parameters, outputs', () => {
  it('every module in infra/modules is used by main.bicep', () => {
    const used = new Set(modules(mainText).map((m) => resolve(INFRA_DIR, m.path)));
    for (const file of listFiles(MODULES, '.bicep'))
      expect([basename(file), used.has(file)]).toEqual([basename(file), true]);
  });

  it('every parameter in main.parameters.json is declared in main.bicep, and every required one is supplied', () => {
    const json = JSON.parse(readText(join(INFRA_DIR, 'main.parameters.json'))) as {
      parameters: Record<string, { value: unknown }>;
    };
    const supplied = Object.keys(json.parameters);
    const declared = params(mainText);
    const declaredNames = declared.map((p) => p.name);
    expect(supplied.filter((p) => !declaredNames.includes(p))).toEqual([]);
    expect(
      declared.filter((p) => p.defaultValue === undefined && !supplied.includes(p.name)).map((p) => p.name),
    ).toEqual([]);
    expect(json.parameters).toEqual({
      environmentName: { value: '${AZURE_ENV_NAME}' },
      location: { value: '${AZURE_LOCATION}' },
      principalId: { value: '${AZURE_PRINCIPAL_ID}' },
      // azd substitutes both with the signed-in principal (a user, or a service principal in CI).
      principalType: { value: '${AZURE_PRINCIPAL_TYPE}' },
    });
  });

  it('every output docs/DEPLOY.md reads is declared in main.bicep', () => {
    const doc = readText(join(REPO_ROOT, 'docs', 'DEPLOY.md'));
    const mentioned = new Set([
      ...[...doc.matchAll(/azd env get-value\s+([A-Za-z_][\w]*)/g)].map((m) => m[1] ?? ''),
      ...[...doc.matchAll(/\$\{([A-Za-z_]\w*)\}/g)].map((m) => m[1] ?? ''),
    ]);
    expect(mentioned.size).toBeGreaterThanOrEqual(5);
    const declared = outputs(mainText).map((o) => o.name);
    expect([...mentioned].filter((name) => !declared.includes(name))).toEqual([]);
  });

  it('main.bicep declares the outputs azd and the docs rely on', () => {
    const declared = outputs(mainText).map((o) => o.name);
    expect(declared).toEqual(
      expect.arrayContaining([
        'API_BASE_URL',
        'AZURE_FUNCTION_APP_NAME',
        'AZURE_RESOURCE_GROUP',
        'AZURE_LOCATION',
        'COSMOS_ENDPOINT',
        'COSMOS_DATABASE',
        'COSMOS_CONTAINER',
        'SERVICEBUS_NAMESPACE',
        'SERVICEBUS_QUEUE',
        'APPLICATIONINSIGHTS_NAME',
      ]),
    );
    const apiBaseUrl = outputs(mainText).find((o) => o.name === 'API_BASE_URL');
    expect(apiBaseUrl?.value).toBe("'https://${functionApp.outputs.defaultHostName}/api'");
  });

  it('azure.yaml names one function service `api`, deployed from the staged package without a remote build', () => {
    const yaml = readText(join(REPO_ROOT, 'azure.yaml'));
    const services = azureYamlServices(yaml);
    expect([...services.keys()]).toEqual(['api']);
    expect(Object.fromEntries(services.get('api') ?? [])).toEqual({
      project: '.',
      host: 'function',
      language: 'ts',
      dist: '.azure-package',
      remoteBuild: 'false',
    });
    // The prepackage hook stages that folder, on both shells azd supports.
    expect(yaml.match(/run: npm run package:azure/g)).toHaveLength(2);
  });

  it('targets the subscription, creates rg-<env>, and tags for azd', () => {
    expect(mainText).toMatch(/^targetScope = 'subscription'$/m);
    const rg = onlyResource(mainText, 'Microsoft.Resources/resourceGroups');
    expect(propertyValue(rg.body, 'name')).toBe("'rg-${environmentName}'");
    expect(mainText).toMatch(/'azd-env-name': environmentName/);
    expect(mainText).toMatch(/uniqueString\(subscription\(\)\.id, environmentName, location\)/);
    const site = onlyResource(moduleText('function-app.bicep'), 'Microsoft.Web/sites');
    expect(site.body).toMatch(/^\s*tags: union\(tags, \{\s*'azd-service-name': 'api'\s*\}\)$/m);
  });
});

describe('what the code needs from the resources', () => {
  const sbText = moduleText('servicebus.bicep');
  const queue = onlyResource(sbText, 'Microsoft.ServiceBus/namespaces/queues');
  const queueProps = block(queue.body, 'properties');

  it('the queue requires sessions and duplicate detection, and dead-letters poison and expired messages', () => {
    expect(propertyValue(queueProps, 'requiresSession')).toBe('true');
    expect(propertyValue(queueProps, 'requiresDuplicateDetection')).toBe('true');
    expect(propertyValue(queueProps, 'duplicateDetectionHistoryTimeWindow')).toBe('duplicateDetectionWindow');
    expect(params(sbText).find((p) => p.name === 'duplicateDetectionWindow')?.defaultValue).toBe("'PT10M'");
    // The trigger records a command as failed at this delivery: the two must agree.
    expect(propertyValue(queueProps, 'maxDeliveryCount')).toBe(String(MAX_DELIVERY_COUNT));
    expect(propertyValue(queueProps, 'lockDuration')).toBe("'PT1M'");
    expect(propertyValue(queueProps, 'deadLetteringOnMessageExpiration')).toBe('true');
    expect(params(sbText).find((p) => p.name === 'queueName')?.defaultValue).toBe("'reservations'");
  });

  it("the container's partition key is the code's PARTITION_KEY_PATH, hashed, version 2", () => {
    const container = onlyResource(
      moduleText('cosmos.bicep'),
      'Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers',
    );
    const partitionKey = block(container.body, 'partitionKey');
    const paths = block(partitionKey, 'paths')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '')
      .map((l) => stringLiteral(l));
    expect(paths).toEqual([PARTITION_KEY_PATH]);
    expect(propertyValue(partitionKey, 'kind')).toBe("'Hash'");
    expect(propertyValue(partitionKey, 'version')).toBe('2');
  });

  it('the container keeps TTL on without a default and indexes only what the queries use', () => {
    const container = onlyResource(
      moduleText('cosmos.bicep'),
      'Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers',
    );
    expect(propertyValue(container.body, 'defaultTtl')).toBe('-1');
    const indexing = block(container.body, 'indexingPolicy');
    const included = propertyValues(block(indexing, 'includedPaths'), 'path').map((p) => stringLiteral(p));
    const excluded = propertyValues(block(indexing, 'excludedPaths'), 'path').map((p) => stringLiteral(p));
    expect(included.sort()).toEqual(['/pk/?', '/seq/?', '/status/?', '/type/?', '/userId/?']);
    expect(excluded).toEqual(['/*']);
    const composite = propertyValues(block(indexing, 'compositeIndexes'), 'path').map((p) =>
      stringLiteral(p),
    );
    expect(composite).toEqual(['/seq', '/id']);
  });

  const fnText = moduleText('function-app.bicep');
  const site = onlyResource(fnText, 'Microsoft.Web/sites');
  const appSettingNames = propertyValues(block(site.body, 'appSettings'), 'name').map((n) =>
    stringLiteral(n),
  );

  it('the function app sets every app setting src/config/settings.ts requires on Azure', () => {
    expect(AZURE_DEPLOYED_SETTINGS.length).toBeGreaterThan(0);
    for (const name of AZURE_DEPLOYED_SETTINGS)
      expect([name, appSettingNames.includes(name)]).toEqual([name, true]);
  });

  it('the function app uses identity-based connections for the host, Service Bus and Application Insights', () => {
    expect(appSettingNames).toEqual(
      expect.arrayContaining([
        'AzureWebJobsStorage__accountName',
        'AzureWebJobsStorage__credential',
        'AzureWebJobsStorage__clientId',
        'ServiceBusConnection__fullyQualifiedNamespace',
        'ServiceBusConnection__credential',
        'ServiceBusConnection__clientId',
        'APPLICATIONINSIGHTS_CONNECTION_STRING',
        'APPLICATIONINSIGHTS_AUTHENTICATION_STRING',
      ]),
    );
    expect(new Set(appSettingNames).size).toBe(appSettingNames.length);
    expect(site.body).toMatch(/value: 'ClientId=\$\{identityClientId\};Authorization=AAD'/);
  });

  it('runs on Flex Consumption with Node 22 and no settings Flex Consumption deprecates', () => {
    const plan = onlyResource(fnText, 'Microsoft.Web/serverfarms');
    expect(propertyValue(block(plan.body, 'sku'), 'name')).toBe("'FC1'");
    expect(propertyValue(block(plan.body, 'sku'), 'tier')).toBe("'FlexConsumption'");
    expect(propertyValue(block(plan.body, 'properties'), 'reserved')).toBe('true');
    expect(propertyValue(site.body, 'kind')).toBe("'functionapp,linux'");
    expect(propertyValue(site.body, 'httpsOnly')).toBe('true');
    expect(propertyValue(site.body, 'minTlsVersion')).toBe("'1.2'");
    const config = block(site.body, 'functionAppConfig');
    const runtime = block(config, 'runtime');
    expect([propertyValue(runtime, 'name'), propertyValue(runtime, 'version')]).toEqual(["'node'", "'22'"]);
    expect(propertyValue(block(config, 'authentication'), 'type')).toBe("'UserAssignedIdentity'");
    expect(topLevelKeys(block(config, 'scaleAndConcurrency')).sort()).toEqual([
      'instanceMemoryMB',
      'maximumInstanceCount',
    ]);
    for (const deprecated of [
      'FUNCTIONS_WORKER_RUNTIME',
      'WEBSITE_NODE_DEFAULT_VERSION',
      'FUNCTIONS_EXTENSION_VERSION',
    ]) {
      expect(stripComments(fnText)).not.toContain(deprecated);
    }
  });
});

describe('alerts', () => {
  const alertsText = moduleText('alerts.bicep');
  const alerts = resources(alertsText).filter((r) => r.type === 'Microsoft.Insights/metricAlerts');
  const metric = (r: BicepResource) => ({
    namespace: stringLiteral(propertyValue(r.body, 'metricNamespace')),
    name: stringLiteral(propertyValue(r.body, 'metricName')),
    dimensions: propertyValues(r.body, 'name')
      .map((n) => stringLiteral(n))
      .filter((n) => n === 'EntityName' || n === 'StatusCode'),
  });

  it('alert on dead letters, backlog, failures and Cosmos DB throttling', () => {
    expect(alerts.map(metric)).toEqual(
      expect.arrayContaining([
        {
          namespace: 'Microsoft.ServiceBus/namespaces',
          name: 'DeadletteredMessages',
          dimensions: ['EntityName'],
        },
        { namespace: 'Microsoft.ServiceBus/namespaces', name: 'ActiveMessages', dimensions: ['EntityName'] },
        { namespace: 'microsoft.insights/components', name: 'requests/failed', dimensions: [] },
        {
          namespace: 'Microsoft.DocumentDB/databaseAccounts',
          name: 'TotalRequests',
          dimensions: ['StatusCode'],
        },
      ]),
    );
    const throttling = alerts.find((a) => metric(a).name === 'TotalRequests');
    expect(throttling?.body).toMatch(/values: \[\s*'429'\s*\]/);
  });

  it('the action group exists only when an e-mail address is given', () => {
    const group = onlyResource(alertsText, 'Microsoft.Insights/actionGroups');
    expect(group.condition).toBe('!empty(alertEmail)');
  });
});
