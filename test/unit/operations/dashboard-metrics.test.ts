import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { DrainOutcome } from '../../../functions/registry/model.js';
import { MetricName } from '../../../functions/shared/powertools.js';
import { loadCfnYaml } from '../../support/cfn-yaml.js';

/*
 * The stack's dashboard and alarms (template.yaml, README "Dashboard and alarms") name only metrics
 * that exist: each one of namespace EcsSessionDrain is one the code emits, with the same dimensions
 * (Powertools adds `service` to every metric); each AWS one is a metric the service documents, with
 * the dimension that names one of this stack's resources. What the code emits is read from its
 * source: every addMetric call, and the addDimension calls on the single metric it is made on.
 */

type Template = ReturnType<typeof loadCfnYaml>;
const template: Template = loadCfnYaml('template.yaml');
const globals = template.Globals.Function.Environment.Variables as Record<string, unknown>;
const NAMESPACE = globals.POWERTOOLS_METRICS_NAMESPACE as string;
const SERVICE = globals.POWERTOOLS_SERVICE_NAME as string;

/** A metric as CloudWatch keys it; a dimension value naming a resource of the stack reads `<Ref:Id>` or `<GetAtt:Id.Attribute>`. */
interface NamedMetric {
  where: string;
  namespace: string;
  name: string;
  dimensions: Record<string, string>;
}

// ------------------------------------------------------------------ what the code emits

function tsFilesUnder(folder: string): string[] {
  return readdirSync(folder).flatMap((name) => {
    const path = join(folder, name);
    if (statSync(path).isDirectory()) return tsFilesUnder(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

/** The metric name of `MetricName.X`, or undefined for anything else (a literal, a variable). */
function metricNameOf(node: ts.Expression | undefined): string | undefined {
  if (node === undefined || !ts.isPropertyAccessExpression(node) || node.expression.getText() !== 'MetricName') return undefined;
  return (MetricName as Record<string, string>)[node.name.text];
}

function callsIn(node: ts.Node, method: string, found: ts.CallExpression[] = []): ts.CallExpression[] {
  if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && node.expression.name.text === method) found.push(node);
  node.forEachChild((child) => void callsIn(child, method, found));
  return found;
}

function enclosingFunction(node: ts.Node): ts.Node {
  let at: ts.Node = node;
  while (at.parent !== undefined && !ts.isFunctionLike(at)) at = at.parent;
  return at;
}

/**
 * Every metric functions/ emits: name and dimension names (values vary), where. A metric added on
 * `x = ....singleMetric()` carries the dimensions added on x in the same function; any other
 * receiver is the function's Metrics, whose only dimension is Powertools' `service`.
 */
function emittedMetrics(sources: readonly { path: string; text: string }[]): { name: string; dimensions: string[]; where: string }[] {
  const emitted: { name: string; dimensions: string[]; where: string }[] = [];
  for (const { path, text } of sources) {
    const file = ts.createSourceFile(path, text, ts.ScriptTarget.ES2022, true);
    for (const call of callsIn(file, 'addMetric')) {
      const where = `${path}:${file.getLineAndCharacterOfPosition(call.getStart()).line + 1}`;
      const name = metricNameOf(call.arguments[0]);
      if (name === undefined) throw new Error(`${where}: addMetric names its metric through MetricName (functions/shared/powertools.ts)`);
      const receiver = (call.expression as ts.PropertyAccessExpression).expression;
      const dimensions = ['service'];
      if (ts.isIdentifier(receiver)) {
        const scope = enclosingFunction(call);
        const isSingle = callsIn(scope, 'singleMetric').some((made) => ts.isVariableDeclaration(made.parent) && made.parent.name.getText() === receiver.text);
        if (isSingle) {
          for (const added of callsIn(scope, 'addDimension')) {
            const target = (added.expression as ts.PropertyAccessExpression).expression;
            const [key] = added.arguments;
            if (target.getText() !== receiver.text) continue;
            if (key === undefined || !ts.isStringLiteral(key)) throw new Error(`${where}: a dimension name is a string literal`);
            dimensions.push(key.text);
          }
        }
      }
      emitted.push({ name, dimensions: dimensions.sort(), where });
    }
  }
  return emitted;
}

const codeSources = tsFilesUnder('functions').map((path) => ({ path, text: readFileSync(path, 'utf8') }));
const emitted = emittedMetrics(codeSources);

/** The values a dimension the code sets can take. A dimension the code adds must be listed here. */
const DIMENSION_VALUES: Record<string, readonly string[]> = {
  service: [SERVICE],
  outcome: Object.values(DrainOutcome),
};

// ------------------------------------------------------------------ what the template names

/** AWS metrics the dashboard and alarms may name, each with the one dimension that names a resource of the stack. */
const AWS_METRICS: Record<string, { names: readonly string[]; dimension: string; ownResource: (value: string) => boolean }> = {
  // Lambda, "Types of metrics for Lambda functions" (monitoring-metrics-types.html): Errors counts timeouts too.
  'AWS/Lambda': { names: ['Invocations', 'Errors', 'Throttles', 'Duration'], dimension: 'FunctionName', ownResource: (value) => refTo(value, 'AWS::Serverless::Function') },
  // SQS, "Available CloudWatch metrics for Amazon SQS" (sqs-available-cloudwatch-metrics.html).
  'AWS/SQS': { names: ['ApproximateNumberOfMessagesVisible', 'ApproximateAgeOfOldestMessage'], dimension: 'QueueName', ownResource: (value) => attOf(value, 'AWS::SQS::Queue', 'QueueName') },
  // Step Functions, "Metrics that report a time interval / count" (execution metrics, dimension StateMachineArn).
  'AWS/States': {
    names: ['ExecutionsStarted', 'ExecutionsSucceeded', 'ExecutionsFailed', 'ExecutionsTimedOut', 'ExecutionsAborted'],
    dimension: 'StateMachineArn',
    ownResource: (value) => refTo(value, 'AWS::Serverless::StateMachine'),
  },
};

function typeOf(logicalId: string): string | undefined {
  return template.Resources[logicalId]?.Type as string | undefined;
}

function refTo(value: string, type: string): boolean {
  const match = /^<Ref:(\w+)>$/.exec(value);
  return match !== null && typeOf(match[1] as string) === type;
}

function attOf(value: string, type: string, attribute: string): boolean {
  const match = /^<GetAtt:(\w+)\.(\w+)>$/.exec(value);
  return match !== null && typeOf(match[1] as string) === type && match[2] === attribute;
}

/** A dimension value as written in an alarm: a string, !Ref or !GetAtt, as the token the dashboard's Fn::Sub gives. */
function token(value: unknown): string {
  if (typeof value === 'string') return value;
  const object = value as { Ref?: string; 'Fn::GetAtt'?: string | string[] };
  if (object.Ref !== undefined) return `<Ref:${object.Ref}>`;
  const att = object['Fn::GetAtt'];
  if (att !== undefined) return `<GetAtt:${Array.isArray(att) ? att.join('.') : att}>`;
  throw new Error(`unexpected dimension value ${JSON.stringify(value)}`);
}

function resourcesOf(type: string): string[] {
  return Object.entries(template.Resources as Record<string, { Type: string }>)
    .filter(([, resource]) => resource.Type === type)
    .map(([logicalId]) => logicalId);
}

/** The dashboard's body with its Fn::Sub variables turned into tokens (`${X}` -> `<Ref:X>`, `${X.Y}` -> `<GetAtt:X.Y>`), parsed. */
function dashboardBody(logicalId: string) {
  const sub = template.Resources[logicalId].Properties.DashboardBody['Fn::Sub'] as string;
  const text = sub.replace(/\$\{([\w:]+)(?:\.(\w+))?\}/g, (_, id: string, attribute?: string) => {
    if (id.startsWith('AWS::')) return `<${id}>`;
    return attribute === undefined ? `<Ref:${id}>` : `<GetAtt:${id}.${attribute}>`;
  });
  return JSON.parse(text) as { widgets: { type: string; properties: { title?: string; metrics?: unknown[][]; alarms?: string[] } }[] };
}

function metricOf(entry: readonly unknown[], where: string): NamedMetric {
  const fields = entry.filter((field) => typeof field === 'string') as string[];
  const [namespace, name, ...pairs] = fields;
  if (namespace === undefined || name === undefined || pairs.length % 2 !== 0) throw new Error(`${where}: not a metric: ${JSON.stringify(entry)}`);
  const dimensions: Record<string, string> = {};
  for (let at = 0; at < pairs.length; at += 2) dimensions[pairs[at] as string] = pairs[at + 1] as string;
  return { where, namespace, name, dimensions };
}

function namedByDashboards(): NamedMetric[] {
  return resourcesOf('AWS::CloudWatch::Dashboard').flatMap((dashboard) =>
    dashboardBody(dashboard).widgets.flatMap((widget) =>
      (widget.properties.metrics ?? []).map((entry) => metricOf(entry, `${dashboard} widget "${widget.properties.title ?? ''}"`)),
    ),
  );
}

function namedByAlarms(): NamedMetric[] {
  return resourcesOf('AWS::CloudWatch::Alarm').flatMap((alarm) => {
    const properties = template.Resources[alarm].Properties;
    const stats = (properties.Metrics ?? []).flatMap((query: { MetricStat?: { Metric: unknown } }) => (query.MetricStat === undefined ? [] : [query.MetricStat.Metric]));
    const metrics = properties.MetricName === undefined ? stats : [properties, ...stats];
    return metrics.map((metric: { Namespace: string; MetricName: string; Dimensions?: { Name: string; Value: unknown }[] }) => ({
      where: alarm,
      namespace: metric.Namespace,
      name: metric.MetricName,
      dimensions: Object.fromEntries((metric.Dimensions ?? []).map((dimension) => [dimension.Name, token(dimension.Value)])),
    }));
  });
}

/** What is wrong with a named metric: it is nobody's, or its dimensions are not the ones it is emitted with. */
function problemsOf(metric: NamedMetric): string[] {
  const label = `${metric.where}: ${metric.namespace} ${metric.name} ${JSON.stringify(metric.dimensions)}`;
  const keys = Object.keys(metric.dimensions).sort();
  if (metric.namespace === NAMESPACE) {
    const emissions = emitted.filter((emission) => emission.name === metric.name);
    if (emissions.length === 0) return [`${label}: no code emits ${metric.name}`];
    if (!emissions.some((emission) => emission.dimensions.join() === keys.join())) {
      return [`${label}: emitted with dimensions ${emissions.map((emission) => `[${emission.dimensions.join(', ')}] (${emission.where})`).join(', ')}`];
    }
    return Object.entries(metric.dimensions)
      .filter(([key, value]) => !(DIMENSION_VALUES[key] ?? []).includes(value))
      .map(([key, value]) => `${label}: ${key}=${value} is not a value the code gives that dimension`);
  }
  const service = AWS_METRICS[metric.namespace];
  if (service === undefined) return [`${label}: namespace ${metric.namespace} is neither ${NAMESPACE} nor a service listed in this test`];
  if (!service.names.includes(metric.name)) return [`${label}: ${metric.namespace} has no metric ${metric.name} listed in this test`];
  if (keys.join() !== service.dimension || !service.ownResource(metric.dimensions[service.dimension] as string)) {
    return [`${label}: must have exactly the dimension ${service.dimension}, naming a resource of this stack`];
  }
  return [];
}

describe('dashboard and alarms of template.yaml', () => {
  it('publish every function metric under the namespace and service the template gives all functions', () => {
    const overriding = resourcesOf('AWS::Serverless::Function').filter((id) => {
      const variables = template.Resources[id].Properties.Environment?.Variables ?? {};
      return 'POWERTOOLS_METRICS_NAMESPACE' in variables || 'POWERTOOLS_SERVICE_NAME' in variables;
    });

    expect(NAMESPACE).toBe('EcsSessionDrain');
    expect(SERVICE).toBe('ecs-session-drain');
    expect(overriding).toEqual([]);
  });

  it('name only metrics the code emits, with its dimensions, or AWS metrics of the stack’s own resources', () => {
    const named = [...namedByDashboards(), ...namedByAlarms()];

    expect(named.length).toBeGreaterThan(40);
    expect(named.flatMap(problemsOf)).toEqual([]);
  });

  it('show every metric the code emits, and the errors and throttles of every function', () => {
    const shown = namedByDashboards();
    const shownNames = new Set(shown.filter((metric) => metric.namespace === NAMESPACE).map((metric) => metric.name));
    const lambda = (name: string) => new Set(shown.filter((metric) => metric.namespace === 'AWS/Lambda' && metric.name === name).map((metric) => metric.dimensions.FunctionName));
    const functions = resourcesOf('AWS::Serverless::Function').map((id) => `<Ref:${id}>`);

    expect([...new Set(emitted.map((emission) => emission.name))].filter((name) => !shownNames.has(name))).toEqual([]);
    expect(functions.filter((fn) => !lambda('Errors').has(fn))).toEqual([]);
    expect(functions.filter((fn) => !lambda('Throttles').has(fn))).toEqual([]);
    expect(shown.filter((metric) => metric.name === 'DrainsCompleted').map((metric) => metric.dimensions.outcome).sort()).toEqual(Object.values(DrainOutcome).sort());
  });

  it('put every alarm on the dashboard, each notifying AlarmTopicArn only when one is given', () => {
    const alarms = resourcesOf('AWS::CloudWatch::Alarm');
    const onDashboard = dashboardBody('OperationsDashboard').widgets.flatMap((widget) => widget.properties.alarms ?? []);
    const notify = { 'Fn::If': ['HasAlarmTopic', [{ Ref: 'AlarmTopicArn' }], { Ref: 'AWS::NoValue' }] };

    expect(alarms.length).toBe(8);
    expect(onDashboard.sort()).toEqual(alarms.map((alarm) => `<GetAtt:${alarm}.Arn>`).sort());
    for (const alarm of alarms) {
      expect(template.Resources[alarm].Properties, alarm).toMatchObject({ AlarmActions: notify, OKActions: notify });
    }
    expect(template.Conditions.HasAlarmTopic).toEqual({ 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'AlarmTopicArn' }, ''] }] });
  });
});

describe('emittedMetrics', () => {
  it('reads a single metric’s own dimensions, and refuses a metric not named through MetricName', () => {
    const single = `function f(deps) { const one = deps.metrics.singleMetric(); one.addDimension('outcome', o); one.addMetric(MetricName.DrainsCompleted, 'Count', 1); deps.metrics.addMetric(MetricName.DrainSeconds, 'Seconds', 1); }`;
    const literal = `function f(deps) { deps.metrics.addMetric('Nobody', 'Count', 1); }`;

    expect(emittedMetrics([{ path: 'single.ts', text: single }])).toEqual([
      { name: 'DrainsCompleted', dimensions: ['outcome', 'service'], where: 'single.ts:1' },
      { name: 'DrainSeconds', dimensions: ['service'], where: 'single.ts:1' },
    ]);
    expect(() => emittedMetrics([{ path: 'literal.ts', text: literal }])).toThrow(/names its metric through MetricName/);
  });
});
