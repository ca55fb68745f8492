/**
 * Guards the access the Bicep in infra/ grants: no key-based access anywhere, and role assignments to
 * documented built-in roles, least privilege. The rest of the infra checks: bicep-resources.unit.test.ts.
 * The files are read as text; see bicep-text.ts.
 */
import { basename, relative } from 'node:path';

import { mainText, moduleText, onlyResource } from '../support/bicep-files';
import {
  INFRA_DIR,
  REPO_ROOT,
  block,
  listFiles,
  modules,
  outputs,
  propertyValue,
  propertyValues,
  readText,
  roleAssignments,
  type RoleAssignment,
} from './bicep-text';

const bicepFiles = listFiles(INFRA_DIR, '.bicep');

/** Built-in role definition ids, as documented in "Azure built-in roles" and the Cosmos DB data-plane role reference. */
const BUILT_IN_ROLES = {
  'Azure Service Bus Data Sender': '69a216fc-b8fb-44d8-bc22-1f3c2cd27a39',
  'Azure Service Bus Data Receiver': '4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0',
  'Storage Blob Data Owner': 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b',
  'Monitoring Metrics Publisher': '3913510d-42f4-4e42-8a64-420c390055eb',
  'Cosmos DB Built-in Data Contributor': '00000000-0000-0000-0000-000000000002',
} as const;
type RoleName = keyof typeof BUILT_IN_ROLES;
const roleNameById = new Map<string, RoleName>(
  Object.entries(BUILT_IN_ROLES).map(([name, id]) => [id, name as RoleName]),
);

describe('no key-based access anywhere', () => {
  const allInfra = bicepFiles.map((file) => ({ file: relative(REPO_ROOT, file), text: readText(file) }));

  it('local auth is disabled on Service Bus, Cosmos DB and Application Insights; shared keys on storage', () => {
    const checks: [string, string, string][] = [
      ['servicebus.bicep', 'Microsoft.ServiceBus/namespaces', 'disableLocalAuth'],
      ['cosmos.bicep', 'Microsoft.DocumentDB/databaseAccounts', 'disableLocalAuth'],
      ['monitoring.bicep', 'Microsoft.Insights/components', 'DisableLocalAuth'],
    ];
    for (const [file, type, key] of checks) {
      const props = block(onlyResource(moduleText(file), type).body, 'properties');
      expect([type, propertyValues(props, key)]).toEqual([type, ['true']]);
    }
    const storage = block(
      onlyResource(moduleText('storage.bicep'), 'Microsoft.Storage/storageAccounts').body,
      'properties',
    );
    expect(propertyValue(storage, 'allowSharedKeyAccess')).toBe('false');
    expect(propertyValue(storage, 'allowBlobPublicAccess')).toBe('false');
    expect(propertyValue(storage, 'minimumTlsVersion')).toBe("'TLS1_2'");
  });

  it('nothing reads keys or connection strings, or creates SAS rules', () => {
    const forbidden = /listKeys|listConnectionStrings|AccountKey=|SharedAccessKey|authorizationRules/i;
    for (const { file, text } of allInfra)
      expect([file, forbidden.exec(text)?.[0]]).toEqual([file, undefined]);
  });

  it('no output looks like a secret', () => {
    const secretish = /key|connectionstring|password|secret|sas|token/i;
    for (const { file, text } of allInfra) {
      for (const o of outputs(text)) {
        expect([file, o.name, secretish.test(o.name) || secretish.test(o.value)]).toEqual([
          file,
          o.name,
          false,
        ]);
      }
    }
  });
});

describe('role assignments: documented built-in roles, least privilege', () => {
  const assignments: RoleAssignment[] = bicepFiles.flatMap((file) =>
    roleAssignments(relative(REPO_ROOT, file), readText(file)),
  );

  it('every role definition id is a documented built-in role', () => {
    expect(assignments.length).toBeGreaterThan(0);
    for (const a of assignments) {
      expect([a.symbol, a.roleDefinitionExpr, a.roleId !== undefined && roleNameById.has(a.roleId)]).toEqual([
        a.symbol,
        a.roleDefinitionExpr,
        true,
      ]);
    }
  });

  it('Azure RBAC assignments are named guid(scope, principal, role) and set principalType', () => {
    for (const a of assignments.filter((x) => x.kind === 'azure-rbac')) {
      const roleVar = /,\s*(\w+)\)$/.exec(a.roleDefinitionExpr)?.[1];
      // The app's identity is named by its (deploy-time) name, so what-if can predict the assignment.
      const principalName = a.principal === 'appPrincipalId' ? 'appIdentityName' : a.principal;
      expect([a.symbol, a.name]).toEqual([
        a.symbol,
        `guid(${a.scope ?? '?'}.id, ${principalName}, ${roleVar ?? '?'})`,
      ]);
      expect([a.symbol, a.principalType]).toEqual([
        a.symbol,
        expect.stringMatching(/^('ServicePrincipal'|\w+PrincipalType)$/),
      ]);
    }
  });

  /** The logical principal behind each module parameter, checked against what main.bicep passes. */
  const PRINCIPALS: Record<string, { param: string; passedFromMain: string }> = {
    app: { param: 'appPrincipalId', passedFromMain: 'identity.outputs.principalId' },
    developer: { param: 'developerPrincipalId', passedFromMain: 'principalId' },
  };

  it('module principal parameters are wired to the app identity and to principalId', () => {
    for (const m of modules(mainText)) {
      const passed = block(m.body, 'params');
      for (const { param, passedFromMain } of Object.values(PRINCIPALS)) {
        for (const value of propertyValues(passed, param))
          expect([m.symbol, param, value]).toEqual([m.symbol, param, passedFromMain]);
      }
    }
  });

  it('each principal gets exactly the expected roles, at the expected scopes', () => {
    const granted = (who: string) =>
      assignments
        .filter((a) => a.principal === PRINCIPALS[who]?.param)
        .map((a) => `${roleNameById.get(a.roleId ?? '') ?? a.roleId} @ ${basename(a.file)}:${a.scope ?? ''}`)
        .sort();
    expect(granted('app')).toEqual(
      [
        'Azure Service Bus Data Receiver @ servicebus.bicep:queue',
        'Azure Service Bus Data Sender @ servicebus.bicep:queue',
        'Cosmos DB Built-in Data Contributor @ cosmos.bicep:account.id',
        'Monitoring Metrics Publisher @ monitoring.bicep:applicationInsights',
        'Storage Blob Data Owner @ storage.bicep:storage',
      ].sort(),
    );
    expect(granted('developer')).toEqual(
      [
        'Azure Service Bus Data Receiver @ servicebus.bicep:queue',
        'Azure Service Bus Data Sender @ servicebus.bicep:queue',
        'Cosmos DB Built-in Data Contributor @ cosmos.bicep:account.id',
      ].sort(),
    );
    const known = new Set(Object.values(PRINCIPALS).map((p) => p.param));
    expect(assignments.filter((a) => !known.has(a.principal)).map((a) => a.symbol)).toEqual([]);
  });

  it("the developer's assignments exist only when principalId is given", () => {
    for (const a of assignments.filter((x) => x.principal === 'developerPrincipalId')) {
      expect([a.symbol, a.condition]).toEqual([a.symbol, '!empty(developerPrincipalId)']);
    }
  });
});
