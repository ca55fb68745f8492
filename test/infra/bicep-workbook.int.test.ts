/**
 * The operations workbook as the real Bicep compiler deploys it: infra/main.bicep built to ARM, the one
 * Microsoft.Insights/workbooks resource found among the module deployments, its serializedData evaluated
 * (placeholders replaced) and read as a workbook. Removing the module from main.bicep, breaking the JSON,
 * dropping an instrument from the queries or pointing the workbook at another resource fails here.
 */
import { join } from 'node:path';
import { z } from 'zod';

import {
  allResources,
  buildTemplate,
  evaluate,
  type ArmValue,
  type FoundResource,
} from '../support/bicep-arm';
import { requireBicep } from '../support/bicep-cli';
import { INFRA_DIR } from './bicep-text';

/** The app's OpenTelemetry instruments (issue 12); each must be read by some customMetrics query. */
const INSTRUMENTS = [
  'inventory.commands.decided',
  'inventory.etag.conflicts',
  'inventory.duplicates.absorbed',
  'inventory.redeliveries',
  'inventory.dead_letters',
  'inventory.accept.duration',
  'inventory.decision.latency',
  'inventory.batch.size',
  'inventory.queue.backlog',
];

const item: z.ZodType<WorkbookItem> = z.lazy(() =>
  z.looseObject({ type: z.number(), name: z.string(), content: z.record(z.string(), z.unknown()) }),
);
interface WorkbookItem {
  type: number;
  name: string;
  content: Record<string, unknown>;
}
const workbookSchema = z.looseObject({ version: z.literal('Notebook/1.0'), items: z.array(item).min(1) });
const groupContent = z.looseObject({ items: z.array(item) });
const kqlContent = z.looseObject({
  version: z.literal('KqlItem/1.0'),
  query: z.string().min(1),
  queryType: z.literal(0),
  resourceType: z.literal('microsoft.insights/components'),
  crossComponentResources: z.array(z.string()),
  timeContextFromParameter: z.literal('TimeRange'),
});
const metricsContent = z.looseObject({
  version: z.literal('MetricsItem/2.0'),
  resourceType: z.literal('microsoft.servicebus/namespaces'),
  resourceIds: z.array(z.string()),
  timeContextFromParameter: z.literal('TimeRange'),
  metrics: z.array(z.looseObject({ namespace: z.string(), metric: z.string(), aggregation: z.number() })),
  filters: z.array(z.looseObject({ key: z.string(), operator: z.number(), values: z.array(z.string()) })),
});

/** Items at any depth (groups, type 12, hold items of their own). */
function flatten(items: WorkbookItem[]): WorkbookItem[] {
  return items.flatMap((i) => (i.type === 12 ? flatten(groupContent.parse(i.content).items) : [i]));
}

const cli = requireBicep('Operations workbook (compiled by Bicep)');
if (cli) {
  describe(`Operations workbook, compiled by Bicep (${cli.source})`, () => {
    let all: FoundResource[];
    let found: FoundResource;
    let properties: Record<string, ArmValue>;

    beforeAll(() => {
      all = allResources(buildTemplate(cli, join(INFRA_DIR, 'main.bicep')));
      const workbooks = all.filter((r) => r.resource.type === 'Microsoft.Insights/workbooks');
      expect(workbooks.map((w) => w.path.join('/'))).toEqual(['workbook']);
      const [only] = workbooks;
      if (!only) throw new Error('unreachable');
      found = only;
      const evaluated = evaluate(only.resource.properties ?? {}, only.template);
      properties = z.record(z.string(), z.custom<ArmValue>()).parse(evaluated);
    }, 180_000);

    const workbook = () => workbookSchema.parse(JSON.parse(z.string().parse(properties.serializedData)));
    const kqlItems = () =>
      flatten(workbook().items)
        .filter((i) => i.type === 3)
        .map((i) => ({ name: i.name, ...kqlContent.parse(i.content) }));
    const metricItems = () =>
      flatten(workbook().items)
        .filter((i) => i.type === 10)
        .map((i) => metricsContent.parse(i.content));
    /** What main.bicep passes to a module parameter, as an expression of main's template. */
    const parameterOf = (deployment: string, parameter: string) => {
      const module = all.find((r) => r.path.length === 0 && r.resource.name === deployment);
      const passed = z
        .record(z.string(), z.looseObject({ value: z.custom<ArmValue>() }))
        .parse(module?.resource.properties?.parameters);
      return passed[parameter]?.value;
    };

    it('is a shared workbook with a GUID name derived from the component, in category "workbook"', () => {
      expect(found.resource.type).toBe('Microsoft.Insights/workbooks');
      expect(found.resource).toMatchObject({ kind: 'shared' });
      expect(evaluate(found.resource.name, found.template)).toBe(
        'guid(resourceId(Microsoft.Insights/components,{applicationInsightsName}),operations-workbook)',
      );
      expect(properties).toMatchObject({ category: 'workbook', version: 'Notebook/1.0' });
    });

    it("belongs to the service's Application Insights component (sourceId), the one monitoring.bicep creates", () => {
      expect(properties.sourceId).toBe('resourceId(Microsoft.Insights/components,{applicationInsightsName})');
      const given = parameterOf('workbook', 'applicationInsightsName');
      expect(given).toBeDefined();
      expect(given).toEqual(parameterOf('monitoring', 'applicationInsightsName'));
    });

    it('serializedData is a workbook (Notebook/1.0, items) with every placeholder replaced', () => {
      const data = z.string().parse(properties.serializedData);
      expect(data).not.toMatch(/__[A-Z_]+__/);
      expect(workbook().items.length).toBeGreaterThan(3);
      const names = flatten(workbook().items).map((i) => i.name);
      expect(new Set(names).size).toBe(names.length);
    });

    it('its KQL queries read customMetrics for every instrument the app emits, and name no other', () => {
      const queries = kqlItems().map((q) => q.query);
      for (const instrument of INSTRUMENTS) {
        const reading = queries.filter((q) => q.includes('customMetrics') && q.includes(`'${instrument}'`));
        expect([instrument, reading.length > 0]).toEqual([instrument, true]);
      }
      const named = new Set(
        queries.flatMap((q) => [...q.matchAll(/'(inventory\.[\w.]+)'/g)].map((m) => m[1])),
      );
      expect([...named].sort()).toEqual([...INSTRUMENTS].sort());
    });

    it('every query runs against the component; accept p99 comes from request telemetry', () => {
      for (const q of kqlItems())
        expect([q.name, q.crossComponentResources]).toEqual([q.name, [properties.sourceId]]);
      const p99 = kqlItems().filter(
        (q) => /^requests\b/m.test(q.query) && q.query.includes('percentile(duration, 99)'),
      );
      expect(p99).toHaveLength(1);
      expect(kqlItems().some((q) => /customDimensions\['outcome'\]/.test(q.query))).toBe(true);
    });

    it('queue backlog and dead letters are Service Bus metrics of the namespace, filtered to the queue', () => {
      const items = metricItems();
      expect(
        items
          .map((m) => m.metrics.map((x) => x.metric))
          .flat()
          .sort(),
      ).toEqual([
        'microsoft.servicebus/namespaces--ActiveMessages',
        'microsoft.servicebus/namespaces--DeadletteredMessages',
      ]);
      for (const m of items) {
        expect(m.resourceIds).toEqual([
          'resourceId(Microsoft.ServiceBus/namespaces,{serviceBusNamespaceName})',
        ]);
        expect(m.filters).toEqual([
          expect.objectContaining({ key: 'EntityName', operator: 0, values: ['{serviceBusQueueName}'] }),
        ]);
        // 4 is Average, as in Microsoft's Service Bus insights workbook (Workbooks/ServiceBus/AtResource).
        expect(m.metrics.map((x) => [x.namespace, x.aggregation])).toEqual([
          ['microsoft.servicebus/namespaces', 4],
        ]);
      }
      expect(parameterOf('workbook', 'serviceBusNamespaceName')).toEqual(parameterOf('servicebus', 'name'));
      expect(z.string().parse(parameterOf('workbook', 'serviceBusQueueName'))).toMatch(
        /'Microsoft\.Resources\/deployments', 'servicebus'\).*\.outputs\.queueName\.value\]$/,
      );
    });
  });
}
