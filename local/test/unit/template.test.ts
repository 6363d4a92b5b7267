import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { build, type BuildOptions, type Metafile, type OutputFile } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { BY_CLUSTER_INDEX, type SessionItem, TASK_SORT_KEY, type TaskItem, taskKey } from '../../../functions/registry/model.js';
import { loadConfig } from '../../../functions/shared/config.js';
import {
  loadTemplate,
  type Resource,
  resourcesOfType,
  TEMPLATE_PATH,
  type Template,
  TemplateResolver,
} from '../../cloud/stack/template.js';
import { translateTemplate } from '../../cloud/stack/sam-translation.js';

/*
 * template.yaml checked against the code it deploys: the handlers it builds, the calls their
 * code makes, the workflow definition, the registry's key contract and the configuration the
 * functions parse.
 */

const ROOT = dirname(TEMPLATE_PATH);
const ACCOUNT = '111122223333';
const REGION = 'us-east-1';
const CLUSTERS = ['sessions', 'other'];
const CLUSTER_ARNS = CLUSTERS.map((name) => `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/${name}`);

/** One name per function: DeploymentPacerFunction is built from functions/handlers/deployment-pacer.ts. */
function handlerFileOf(logicalId: string): string {
  return logicalId.replace(/Function$/, '').replace(/(?<=[a-z])(?=[A-Z])/g, '-').toLowerCase();
}

const BANNER = "js=import { createRequire } from 'module'; const require = createRequire(import.meta.url);";

const template: Template = loadTemplate();
const resolver = new TemplateResolver(template, {
  parameters: { ClusterArns: CLUSTER_ARNS },
  region: REGION,
  accountId: ACCOUNT,
  ref: (logicalId) => `<${logicalId}>`,
});
const functionIds = resourcesOfType(template, 'AWS::Serverless::Function');
/** What CloudFormation receives after SAM's transform: the rules and permissions SAM generates from function events. */
const translation = await translateTemplate(TEMPLATE_PATH, REGION);

function fn(logicalId: string): Resource {
  return resolver.resource(logicalId);
}

function entryPoint(logicalId: string): string {
  const properties = fn(logicalId).Metadata?.BuildProperties as { EntryPoints: string[] };
  return properties.EntryPoints[0] as string;
}

function asList<T>(value: T | T[] | undefined): T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

// ------------------------------------------------------------------ IAM helpers

interface Statement {
  Effect: string;
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
  [key: string]: unknown;
}

/** Every IAM statement the template writes, wherever it is (policies, roles, SAM Policies). */
function allStatements(value: unknown, found: Statement[] = []): Statement[] {
  if (Array.isArray(value)) {
    for (const item of value) allStatements(item, found);
  } else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      if (key === 'Statement' && Array.isArray(item)) found.push(...(item as Statement[]));
      allStatements(item, found);
    }
  }
  return found;
}

/** The statements a function's role gets from its SAM Policies, resolved. */
function functionStatements(logicalId: string): Statement[] {
  const policies = asList(fn(logicalId).Properties?.Policies as unknown[] | undefined);
  return policies.flatMap((policy): Statement[] => {
    if (typeof policy === 'string') throw new Error(`${logicalId}: AWS managed policy ${policy} is broader than its job`);
    const entry = policy as Record<string, unknown>;
    if ('Ref' in entry) {
      const managed = resolver.resource(String(entry.Ref));
      expect(managed.Type).toBe('AWS::IAM::ManagedPolicy');
      return resolver.resolve((managed.Properties?.PolicyDocument as { Statement: unknown }).Statement) as Statement[];
    }
    if ('Statement' in entry) return resolver.resolve(entry.Statement) as Statement[];
    if ('EventBridgePutEventsPolicy' in entry) {
      const busName = resolver.resolve((entry.EventBridgePutEventsPolicy as { EventBusName: unknown }).EventBusName);
      return [{ Effect: 'Allow', Action: 'events:PutEvents', Resource: `event-bus/${String(busName)}` }];
    }
    if ('SQSSendMessagePolicy' in entry) return [{ Effect: 'Allow', Action: 'sqs:SendMessage*', Resource: 'queue' }];
    throw new Error(`${logicalId}: policy ${JSON.stringify(entry)} is not understood by this test`);
  });
}

const CHECKED_SERVICES = ['dynamodb', 'ecs', 'states', 'events', 'elasticloadbalancing', 'autoscaling'];

function grantedActions(statements: Statement[]): string[] {
  return [...new Set(statements.flatMap((statement) => asList(statement.Action)))]
    .filter((action) => CHECKED_SERVICES.includes(action.split(':')[0] as string))
    .sort();
}

// ------------------------------------------------------------------ code analysis

const SDK_NAMESPACES: Array<[RegExp, string]> = [
  [/^import_client_ecs\d*$/, 'ecs'],
  [/^import_client_sfn\d*$/, 'states'],
  [/^import_(lib|client)_dynamodb\d*$/, 'dynamodb'],
  [/^import_client_eventbridge\d*$/, 'events'],
  [/^import_client_elastic_load_balancing_v2\d*$/, 'elasticloadbalancing'],
  [/^import_client_auto_scaling\d*$/, 'autoscaling'],
];
const DOCUMENT_CLIENT_ACTIONS: Record<string, string> = {
  Get: 'GetItem',
  Put: 'PutItem',
  Update: 'UpdateItem',
  Delete: 'DeleteItem',
  Query: 'Query',
  Scan: 'Scan',
  BatchGet: 'BatchGetItem',
  BatchWrite: 'BatchWriteItem',
  // IAM authorises a transaction per item action; the orchestrator's transactions hold Updates only (deployments/pace-claims.ts).
  TransactWrite: 'UpdateItem',
};

/**
 * The IAM actions a bundled handler's own code can call: `new <sdk>.XCommand(`, or `<sdk>.paginateX(`
 * (the SDK's paginator makes the XCommand), in the parts of the (unminified, tree-shaken) bundle
 * that come from functions/**.
 */
function actionsCalledBy(bundle: string): string[] {
  const actions = new Set<string>();
  for (const segment of bundle.split(/^\/\/ (?=\S+\.(?:ts|js|mjs|cjs|json)$)/m)) {
    // The task-side registry code (the agent package's dist) is bundled into the functions that read task items.
    if (!segment.startsWith('functions/') && !segment.startsWith('agent/dist/')) continue;
    for (const match of segment.matchAll(/(?:new ([\w$]+)\.(\w+?)Command\d*|\b([\w$]+)\.paginate(\w+)\)?)\(/g)) {
      const namespace = (match[1] ?? match[3]) as string;
      const command = (match[2] ?? match[4]) as string;
      const service = SDK_NAMESPACES.find(([pattern]) => pattern.test(namespace))?.[1];
      if (service === undefined) throw new Error(`unknown SDK namespace ${namespace} (command ${command})`);
      const action = service === 'dynamodb' && namespace.includes('lib_') ? DOCUMENT_CLIENT_ACTIONS[command] : command;
      if (action === undefined) throw new Error(`no IAM mapping for DynamoDB document command ${command}`);
      actions.add(`${service}:${action}`);
    }
  }
  return [...actions].sort();
}

// ------------------------------------------------------------------ bundles

function buildOptionsFromMetadata(metadata: Record<string, unknown>): BuildOptions {
  const properties = metadata.BuildProperties as {
    Format: 'esm';
    OutExtension: string[];
    Target: string;
    Sourcemap: boolean;
    Minify: boolean;
    Banner: string[];
  };
  const pairs = (list: string[]) =>
    Object.fromEntries(list.map((item) => [item.slice(0, item.indexOf('=')), item.slice(item.indexOf('=') + 1)]));
  return {
    bundle: true,
    platform: 'node',
    format: properties.Format,
    outExtension: pairs(properties.OutExtension),
    target: properties.Target,
    sourcemap: properties.Sourcemap,
    minify: properties.Minify,
    banner: pairs(properties.Banner),
  };
}

interface Bundles {
  metafile: Metafile;
  analysis: Map<string, string>;
  errors: number;
}

async function bundleAll(): Promise<Bundles> {
  const entryPoints = functionIds.map((id) => join(ROOT, entryPoint(id)));
  const options = buildOptionsFromMetadata(fn(functionIds[0] as string).Metadata as Record<string, unknown>);
  const outdir = join(ROOT, '.aws-sam', 'template-test');
  // One call for the deployed form and one unminified call for reading, side by side.
  const [deployed, readable] = await Promise.all([
    build({ ...options, entryPoints, outdir, write: false, metafile: true, logLevel: 'silent' }),
    build({ ...options, entryPoints, outdir, write: false, minify: false, sourcemap: false, logLevel: 'silent' }),
  ]);
  const analysis = new Map<string, string>();
  for (const file of readable.outputFiles as OutputFile[]) analysis.set(basename(file.path).replace(/\.mjs$/, ''), file.text);
  return { metafile: deployed.metafile, analysis, errors: deployed.errors.length + readable.errors.length };
}

// ------------------------------------------------------------------ tests

describe('template.yaml', () => {
  it('passes cfn-lint with nothing to report', () => {
    const lint = spawnSync('cfn-lint', [TEMPLATE_PATH], { encoding: 'utf8', timeout: 120_000 });
    if (lint.error !== undefined) {
      throw new Error(`cfn-lint could not run (${lint.error.message}); install it with: pip install cfn-lint`);
    }

    expect(`${lint.stdout}${lint.stderr}`.trim()).toBe('');
    expect(lint.status).toBe(0);
  }, 120_000);

  it('declares one function per handler file, each file named after its function', () => {
    const handlerFiles = readdirSync(join(ROOT, 'functions/handlers')).filter((file) => file.endsWith('.ts'));

    expect(functionIds.map((id) => `${handlerFileOf(id)}.ts`).sort()).toEqual(handlerFiles.sort());
    expect(functionIds.map((id) => basename(entryPoint(id))).sort()).toEqual(handlerFiles.sort());
  });

  it.each(functionIds.map((id) => [id, handlerFileOf(id)]))('builds %s from functions/handlers/%s.ts with esbuild as ESM', (logicalId, file) => {
    const resource = fn(logicalId);

    expect(resource.Properties?.Handler).toBe(`${file}.handler`);
    expect(resource.Properties?.CodeUri ?? template.Globals?.Function?.CodeUri).toBe('./');
    expect(resource.Metadata).toEqual({
      BuildMethod: 'esbuild',
      BuildProperties: {
        Format: 'esm',
        OutExtension: ['.js=.mjs'],
        Target: 'es2022',
        Sourcemap: true,
        Minify: true,
        EntryPoints: [`functions/handlers/${file}.ts`],
        Banner: [BANNER],
      },
    });
    expect(existsSync(join(ROOT, entryPoint(logicalId)))).toBe(true);
  });

  it('runs every function on nodejs22.x, arm64, traced, with its own log group', () => {
    const globals = template.Globals?.Function ?? {};
    expect(globals.Runtime).toBe('nodejs22.x');
    expect(globals.Architectures).toEqual(['arm64']);
    expect(globals.Tracing).toBe('Active');
    for (const id of functionIds) {
      const logGroup = (fn(id).Properties?.LoggingConfig as { LogGroup?: { Ref?: string } } | undefined)?.LogGroup?.Ref;
      expect(logGroup, id).toBeDefined();
      const group = resolver.resource(logGroup as string);
      expect(group.Type).toBe('AWS::Logs::LogGroup');
      expect(group.Properties?.RetentionInDays).toEqual({ Ref: 'LogRetentionDays' });
    }
  });

  describe('bundles', () => {
    let bundles: Bundles;
    beforeAll(async () => {
      bundles = await bundleAll();
    }, 120_000);

    it('bundles every handler with the Metadata options, each exporting handler', () => {
      expect(bundles.errors).toBe(0);
      const exportsByEntry = new Map(
        Object.values(bundles.metafile.outputs)
          .filter((output) => output.entryPoint !== undefined)
          .map((output) => [basename(output.entryPoint as string), output.exports]),
      );
      for (const id of functionIds) {
        expect(exportsByEntry.get(basename(entryPoint(id))), id).toContain('handler');
      }
    });

    it.each(functionIds)('grants %s exactly the DynamoDB, ECS, Step Functions and EventBridge calls its code makes', (id) => {
      const bundle = bundles.analysis.get(basename(entryPoint(id), '.ts'));
      expect(bundle, id).toBeDefined();

      expect(grantedActions(functionStatements(id))).toEqual(actionsCalledBy(bundle as string));
    });
  });

  it('grants no wildcard action anywhere', () => {
    const statements = allStatements(template);

    expect(statements.length).toBeGreaterThan(20);
    for (const statement of statements) {
      expect(statement.NotAction, JSON.stringify(statement)).toBeUndefined();
      for (const action of asList(statement.Action)) expect(action, JSON.stringify(statement)).not.toContain('*');
    }
  });

  it('scopes every DynamoDB, Step Functions and ECS permission to this stack and the listed clusters', () => {
    const stateMachineName = resolver.resolve(resolver.resource('DrainStateMachine').Properties?.Name);
    const stateMachineByName = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${String(stateMachineName)}`;
    const ecsResource = new RegExp(
      `^arn:aws:ecs:${REGION}:${ACCOUNT}:(cluster/(${CLUSTERS.join('|')})|(service|service-deployment|task|container-instance)/(${CLUSTERS.join('|')})/\\*)$`,
    );
    for (const id of functionIds) {
      for (const statement of functionStatements(id)) {
        const services = new Set(asList(statement.Action).map((action) => action.split(':')[0]));
        expect(services.size, JSON.stringify(statement)).toBe(1);
        const resources = asList(statement.Resource) as string[];
        if (services.has('dynamodb')) {
          for (const resource of resources) expect(['<RegistryTable.Arn>', '<RegistryTable.Arn>/index/*']).toContain(resource);
        }
        if (services.has('states')) {
          for (const resource of resources) {
            expect(['<DrainStateMachine>', stateMachineByName, `arn:aws:states:${REGION}:${ACCOUNT}:execution:${String(stateMachineName)}:*`]).toContain(resource);
          }
        }
        if (services.has('elasticloadbalancing')) {
          // DescribeTargetHealth supports no resource-level permission (Service Authorization Reference); it only reads.
          expect(asList(statement.Action)).toEqual(['elasticloadbalancing:DescribeTargetHealth']);
          expect(resources).toEqual(['*']);
        }
        if (services.has('autoscaling')) {
          // Describe calls support no resource-level permission; the lifecycle actions' only
          // resource is the group, and the stack knows no group: those of its account and Region.
          if (asList(statement.Action).includes('autoscaling:DescribeLifecycleHooks')) {
            expect(asList(statement.Action)).toEqual(['autoscaling:DescribeLifecycleHooks']);
            expect(resources).toEqual(['*']);
          } else {
            expect(resources).toEqual([`arn:aws:autoscaling:${REGION}:${ACCOUNT}:autoScalingGroup:*:autoScalingGroupName/*`]);
          }
        }
        if (services.has('ecs')) {
          if (id === 'ReleaseOnRemovalFunction' && statement.Sid === 'EcsTaskProtectionOfAnyCluster') {
            // The one exception: on an update that removes a cluster, the role already has the new
            // ClusterArns when the release of the removed cluster runs; it may only unprotect tasks.
            expect(asList(statement.Action)).toEqual(['ecs:UpdateTaskProtection']);
            expect(resources).toEqual([`arn:aws:ecs:${REGION}:${ACCOUNT}:task/*`]);
            continue;
          }
          if (resources.length === 1 && resources[0] === '*') {
            expect(statement.Condition).toEqual({ ArnEquals: { 'ecs:cluster': CLUSTER_ARNS } });
          } else {
            expect(resources.length).toBe(CLUSTERS.length);
            for (const resource of resources) expect(resource).toMatch(ecsResource);
          }
        }
      }
    }
  });

  it("keeps every role within IAM's default quota of 10 managed policies, SAM's own included", () => {
    for (const [role, properties] of Object.entries(translation.roles)) {
      expect((properties.ManagedPolicyArns as unknown[] | undefined)?.length ?? 0, role).toBeLessThanOrEqual(10);
    }
  });

  it('lets application tasks make only their registry writes', () => {
    const policy = resolver.resource('TaskRegistryPolicy');
    const statements = resolver.resolve((policy.Properties?.PolicyDocument as { Statement: unknown }).Statement) as Statement[];

    expect(policy.Type).toBe('AWS::IAM::ManagedPolicy');
    expect(statements).toEqual([
      {
        Sid: 'RegistryTaskWrites',
        Effect: 'Allow',
        Action: ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem'],
        Resource: '<RegistryTable.Arn>',
        // Items of tasks in the in-scope clusters only (local/test/unit/iam/task-policy.test.ts).
        Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': CLUSTER_ARNS.map((arn) => `${arn.replace(':cluster/', ':task/')}/*`) } },
      },
    ]);
  });

  it('gives every rule a retry policy, a dead-letter queue that accepts its events and an invoke permission', () => {
    const rules = Object.keys(translation.rules);
    const permissions = Object.values(translation.permissions);
    const queuePolicies = resourcesOfType(template, 'AWS::SQS::QueuePolicy').map((id) => resolver.resource(id).Properties ?? {});

    expect(rules.length).toBe(12);
    for (const rule of rules) {
      const targets = translation.rules[rule]?.Targets as Array<Record<string, unknown>>;
      expect(targets, rule).toHaveLength(1);
      const target = targets[0] as {
        Arn: { 'Fn::GetAtt': [string, string] };
        RetryPolicy?: { MaximumRetryAttempts?: number; MaximumEventAgeInSeconds?: number };
        DeadLetterConfig?: { Arn?: { 'Fn::GetAtt': [string, string] } };
        Input?: unknown;
        InputPath?: unknown;
      };
      expect(target.RetryPolicy?.MaximumRetryAttempts, rule).toBeGreaterThanOrEqual(0);
      expect(target.RetryPolicy?.MaximumRetryAttempts, rule).toBeLessThanOrEqual(185);
      expect(target.RetryPolicy?.MaximumEventAgeInSeconds, rule).toBeGreaterThanOrEqual(60);
      expect(target.RetryPolicy?.MaximumEventAgeInSeconds, rule).toBeLessThanOrEqual(86_400);
      // The function receives the event itself.
      expect(target.Input, rule).toBeUndefined();
      expect(target.InputPath, rule).toBeUndefined();

      const queueId = target.DeadLetterConfig?.Arn?.['Fn::GetAtt'][0] as string;
      expect(resolver.resource(queueId).Type, rule).toBe('AWS::SQS::Queue');
      const allowsRule = queuePolicies.some((policy) => {
        const queues = policy.Queues as Array<{ Ref: string }>;
        const statements = (policy.PolicyDocument as { Statement: Statement[] }).Statement;
        return (
          queues.some((queue) => queue.Ref === queueId) &&
          statements.some(
            (statement) =>
              (statement.Principal as { Service?: string }).Service === 'events.amazonaws.com' &&
              asList(statement.Action).includes('sqs:SendMessage') &&
              JSON.stringify(statement.Condition?.ArnEquals?.['aws:SourceArn']).includes(`"${rule}"`),
          )
        );
      });
      expect(allowsRule, `${rule}: its dead-letter queue must accept messages from it`).toBe(true);

      const functionId = target.Arn['Fn::GetAtt'][0];
      expect(resolver.resource(functionId).Type).toBe('AWS::Serverless::Function');
      const permitted = permissions.some(
        (permission) =>
          JSON.stringify(permission.SourceArn) === JSON.stringify({ 'Fn::GetAtt': [rule, 'Arn'] }) &&
          JSON.stringify(permission.FunctionName) === JSON.stringify({ Ref: functionId }) &&
          permission.Principal === 'events.amazonaws.com',
      );
      expect(permitted, `${rule}: ${functionId} must allow EventBridge to invoke it for this rule`).toBe(true);
      // EventBridge's dead-letter queue holds undeliverable events only; the function's own
      // failures after Lambda's retries go to an on-failure destination.
      const invokeConfig = resolver.resource(functionId).Properties?.EventInvokeConfig as
        | { MaximumRetryAttempts?: number; DestinationConfig?: { OnFailure?: { Type?: string; Destination?: unknown } } }
        | undefined;
      expect(invokeConfig?.MaximumRetryAttempts, functionId).toBeDefined();
      expect(invokeConfig?.DestinationConfig?.OnFailure, functionId).toEqual({
        Type: 'SQS',
        Destination: { 'Fn::GetAtt': ['EventHandlerFailureQueue', 'Arn'] },
      });
    }
    expect(translation.rules.ReconcilerFunctionEveryMinute?.ScheduleExpression).toBe('rate(1 minute)');
  });

  it('keys the registry table as functions/registry/model.ts does', () => {
    const table = resolver.resource('RegistryTable').Properties as Record<string, unknown>;
    const [hashKey, rangeKey] = Object.keys(taskKey('arn:aws:ecs:us-east-1:111122223333:task/sessions/abc'));
    const gsiHash: keyof TaskItem = 'clusterArn';
    const gsiRange: keyof TaskItem = 'serviceTask';
    const ttl: keyof SessionItem & keyof TaskItem = 'expiresAt';

    expect(table.KeySchema).toEqual([
      { AttributeName: hashKey, KeyType: 'HASH' },
      { AttributeName: rangeKey, KeyType: 'RANGE' },
    ]);
    expect(table.GlobalSecondaryIndexes).toEqual([
      {
        IndexName: BY_CLUSTER_INDEX,
        KeySchema: [
          { AttributeName: gsiHash, KeyType: 'HASH' },
          { AttributeName: gsiRange, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
    ]);
    expect(new Set(table.AttributeDefinitions as unknown[])).toEqual(
      new Set([hashKey, rangeKey, gsiHash, gsiRange].map((name) => ({ AttributeName: name, AttributeType: 'S' }))),
    );
    expect(table.BillingMode).toBe('PAY_PER_REQUEST');
    expect(table.TimeToLiveSpecification).toEqual({ AttributeName: ttl, Enabled: true });
    expect(table.StreamSpecification).toEqual({ StreamViewType: 'NEW_AND_OLD_IMAGES' });
    expect(table.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    expect(table.SSESpecification).toEqual({ SSEEnabled: true });
  });

  it('feeds the registry stream function task items only, with partial batch failures and a failure queue', () => {
    const events = fn('RegistryStreamFunction').Properties?.Events as Record<string, { Type: string; Properties: Record<string, unknown> }>;
    const stream = Object.values(events).find((event) => event.Type === 'DynamoDB');
    const properties = stream?.Properties ?? {};
    const filters = (properties.FilterCriteria as { Filters: Array<{ Pattern: string }> }).Filters;

    expect(properties.Stream).toEqual({ 'Fn::GetAtt': ['RegistryTable', 'StreamArn'] });
    expect(properties.StartingPosition).toBe('LATEST');
    expect(properties.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
    expect(properties.BisectBatchOnFunctionError).toBe(true);
    expect(properties.MaximumRetryAttempts).toBeGreaterThan(0);
    expect(properties.DestinationConfig).toEqual({
      OnFailure: { Type: 'SQS', Destination: { 'Fn::GetAtt': ['StreamFailureQueue', 'Arn'] } },
    });
    expect(filters.map((filter) => JSON.parse(filter.Pattern))).toEqual([{ dynamodb: { Keys: { sk: { S: [TASK_SORT_KEY] } } } }]);
  });

  it('substitutes every placeholder of every workflow definition, and nothing else', () => {
    const machines = resourcesOfType(template, 'AWS::Serverless::StateMachine');
    const definitions = readdirSync(join(ROOT, 'statemachines')).filter((file) => file.endsWith('.asl.json'));

    expect(machines.map((id) => resolver.resource(id).Properties?.DefinitionUri).sort()).toEqual(
      definitions.map((file) => `statemachines/${file}`).sort(),
    );
    for (const id of machines) {
      const properties = resolver.resource(id).Properties ?? {};
      const text = readFileSync(join(ROOT, String(properties.DefinitionUri)), 'utf8');
      const placeholders = [...new Set([...text.matchAll(/\$\{([^}]+)\}/g)].map((match) => match[1] as string))].sort();

      expect(Object.keys(properties.DefinitionSubstitutions as object).sort()).toEqual(placeholders);
      expect(properties.Type).toBe('STANDARD');
      expect(properties.Tracing).toEqual({ Enabled: true });
      expect((properties.Logging as { IncludeExecutionData?: boolean }).IncludeExecutionData).toBe(true);
    }
  });

  it('lets the workflow invoke its step functions and update the registry, nothing more', () => {
    const properties = resolver.resource('DrainStateMachine').Properties ?? {};
    const substitutions = properties.DefinitionSubstitutions as Record<string, unknown>;
    const stepFunctions = Object.values(substitutions)
      .map((value) => (value as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt']?.[0])
      .filter((value): value is string => value !== undefined)
      .sort();
    const policies = properties.Policies as Array<Record<string, unknown>>;
    const invoked = policies
      .filter((policy) => 'LambdaInvokePolicy' in policy)
      .map((policy) => (policy.LambdaInvokePolicy as { FunctionName: { Ref: string } }).FunctionName.Ref)
      .sort();
    const statements = resolver.resolve(policies.filter((policy) => 'Statement' in policy).flatMap((policy) => policy.Statement)) as Statement[];
    const registry = statements.filter((statement) => asList(statement.Action).some((action) => action.startsWith('dynamodb:')));

    expect(stepFunctions).toEqual(['ArmDrainWaitFunction', 'LaunchReplacementFunction', 'RecordDrainFunction', 'ReleaseReplacementFunction', 'StopDrainedTaskFunction']);
    expect(invoked).toEqual(stepFunctions);
    expect(registry).toEqual([
      { Sid: 'RegistryStateWrites', Effect: 'Allow', Action: ['dynamodb:UpdateItem'], Resource: '<RegistryTable.Arn>' },
    ]);
  });

  describe('environment', () => {
    const globals = (template.Globals?.Function?.Environment as { Variables: Record<string, unknown> }).Variables;
    const stepFunctions = new Set(['RecordDrainFunction', 'LaunchReplacementFunction', 'ArmDrainWaitFunction', 'StopDrainedTaskFunction', 'ReleaseReplacementFunction']);

    function environmentOf(id: string): Record<string, string> {
      const own = (fn(id).Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
      return resolver.resolve({ ...globals, ...own }) as Record<string, string>;
    }

    it.each(functionIds)('gives %s a configuration that functions/shared/config.ts accepts', (id) => {
      const environment = environmentOf(id);
      const config = loadConfig(environment);

      expect(config.clusterArns).toEqual(CLUSTER_ARNS);
      expect(config.protectionMinutes).toBe(240);
      expect(environment.POWERTOOLS_SERVICE_NAME).toBe('ecs-session-drain');
      expect(environment.POWERTOOLS_METRICS_NAMESPACE).toBeTruthy();
      expect(environment.POWERTOOLS_LOG_LEVEL).toBe('INFO');
      expect(environment.TABLE_NAME).toBe('<RegistryTable>');
      expect(environment.EVENT_BUS_NAME).toBe('<DrainNoticeBus>');
    });

    it('names the state machine to the functions that start or steer drains, and never to its own steps', () => {
      for (const id of functionIds) {
        const environment = environmentOf(id);
        if (stepFunctions.has(id)) {
          expect(environment.STATE_MACHINE_ARN, id).toBeUndefined();
          expect(JSON.stringify(fn(id)), `${id} must not reference the state machine (cycle)`).not.toContain('"DrainStateMachine"');
        } else {
          expect(environment.STATE_MACHINE_ARN, id).toBe('<DrainStateMachine>');
        }
      }
    });

    // No cap on the number of clusters: seven here (the template once spelled out five).
    it.each([[['sessions']], [['a', 'b', 'c']], [['c1', 'c2', 'c3', 'c4', 'c5', 'c6', 'c7']]])('builds CLUSTER_ARNS from ClusterArns of %j', (names) => {
      const arns = names.map((name) => `arn:aws:ecs:eu-west-1:444455556666:cluster/${name}`);
      const scoped = new TemplateResolver(template, { parameters: { ClusterArns: arns }, region: 'eu-west-1', accountId: '444455556666' });

      expect(scoped.resolve(globals.CLUSTER_ARNS)).toBe(names.map((name) => `arn:aws:ecs:eu-west-1:444455556666:cluster/${name}`).join(','));
    });
  });

  it('exposes the values operators and applications need', () => {
    expect(Object.keys(template.Outputs ?? {})).toEqual(
      expect.arrayContaining(['RegistryTableName', 'DrainStateMachineArn', 'DrainEventBusName', 'TaskRegistryPolicyArn', 'DrainControlFunctionName']),
    );
    expect(template.Parameters?.ProtectionMinutes).toMatchObject({ MinValue: 1, MaxValue: 2880 });
    expect(template.Parameters?.ClusterArns?.Type).toBe('CommaDelimitedList');
  });
});
