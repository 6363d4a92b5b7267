import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeTableCommand, DescribeTimeToLiveCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeRuleCommand, EventBridgeClient, ListRulesCommand, ListTargetsByRuleCommand } from '@aws-sdk/client-eventbridge';
import { DescribeStateMachineCommand, SFNClient } from '@aws-sdk/client-sfn';
import { beforeAll, describe, expect, it } from 'vitest';
import { StackExistsError, UnsupportedTemplateError } from '../../../cloud/errors.js';
import { deployLocalStack } from '../../../cloud/stack/stack.js';
import type { LocalStack } from '../../../cloud/stack/model.js';
import { translateTemplate } from '../../../cloud/stack/sam-translation.js';
import { loadTemplate, resolvedEventPattern, resourcesOfType, TEMPLATE_PATH, TemplateResolver, withTranslatedRules } from '../../../cloud/stack/template.js';
import { motoClientConfig, uniqueName } from '../../../../test/support/aws.js';

/*
 * deployLocalStack() against the run's moto server: what template.yaml declares is what exists,
 * with the local names and ARNs, and the function specs carry the template's values.
 */

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const CLUSTERS = ['sessions', 'blue'];
const CLUSTER_ARNS = CLUSTERS.map((name) => `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/${name}`);
// With the rules SAM generates from the functions' events, as CloudFormation receives it.
const template = withTranslatedRules(loadTemplate(), (await translateTemplate(TEMPLATE_PATH, REGION)).rules);

function definedIn<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`${what} is missing`);
  return value;
}

/** Every value of a key anywhere in a JSON document. */
function valuesOf(document: unknown, key: string, found: unknown[] = []): unknown[] {
  if (Array.isArray(document)) for (const item of document) valuesOf(item, key, found);
  else if (document !== null && typeof document === 'object') {
    for (const [name, value] of Object.entries(document)) {
      if (name === key) found.push(value);
      valuesOf(value, key, found);
    }
  }
  return found;
}

describe('the stack deployed from template.yaml', () => {
  let stack: LocalStack;
  let stackName: string;
  const config = motoClientConfig();

  beforeAll(async () => {
    stackName = uniqueName('stack');
    stack = await deployLocalStack({ endpoint: config.endpoint, stackName, parameters: { ClusterArns: CLUSTER_ARNS } });
  });

  it('creates the registry table with its keys, GSI, stream and TTL exactly as declared', async () => {
    const ddb = new DynamoDBClient(config);
    const declared = definedIn(template.Resources.RegistryTable?.Properties, 'RegistryTable') as Record<string, unknown>;

    const table = definedIn((await ddb.send(new DescribeTableCommand({ TableName: stack.tableName }))).Table, 'table');
    const ttl = await ddb.send(new DescribeTimeToLiveCommand({ TableName: stack.tableName }));

    expect(stack.tableName).toBe(`${stackName}-RegistryTable`);
    expect(table.KeySchema).toEqual(declared.KeySchema);
    expect(table.AttributeDefinitions).toEqual(expect.arrayContaining(declared.AttributeDefinitions as unknown[]));
    expect(table.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
    const declaredIndex = (declared.GlobalSecondaryIndexes as Array<{ IndexName: string; KeySchema: unknown; Projection: unknown }>)[0];
    const index = table.GlobalSecondaryIndexes?.find((candidate) => candidate.IndexName === declaredIndex?.IndexName);
    expect(index?.KeySchema).toEqual(declaredIndex?.KeySchema);
    expect(index?.Projection).toEqual(declaredIndex?.Projection);
    expect(table.StreamSpecification).toEqual({ StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' });
    expect(stack.streamArn).toBe(table.LatestStreamArn);
    expect(ttl.TimeToLiveDescription).toMatchObject({ AttributeName: 'expiresAt', TimeToLiveStatus: 'ENABLED' });
  });

  it('creates the drain state machine with every substitution resolved to the local function ARNs and table', async () => {
    const sfn = new SFNClient(config);

    const machine = await sfn.send(new DescribeStateMachineCommand({ stateMachineArn: stack.stateMachineArn }));

    expect(stack.stateMachineArn).toBe(`arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${stackName}-drain`);
    expect(machine.definition).not.toContain('${');
    const definition = JSON.parse(machine.definition ?? '{}') as unknown;
    const workflowSteps = ['RecordDrainFunction', 'LaunchReplacementFunction', 'ArmDrainWaitFunction', 'StopDrainedTaskFunction', 'ReleaseReplacementFunction'];
    expect(new Set(valuesOf(definition, 'FunctionName'))).toEqual(
      new Set(workflowSteps.map((id) => `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${stackName}-${id}`)),
    );
    expect(new Set(valuesOf(definition, 'TableName'))).toEqual(new Set([stack.tableName]));
  });

  it('creates one moto rule per template rule, with the template pattern and a queue as its only target', async () => {
    const events = new EventBridgeClient(config);
    const resolver = new TemplateResolver(template, {
      parameters: { ClusterArns: CLUSTER_ARNS },
      region: REGION,
      accountId: ACCOUNT,
      stackName,
      // Ref of a state machine is its ARN (the execution-ended rule matches on it); its name is <stack>-drain.
      ref: (logicalId, resource) =>
        resource.Type === 'AWS::Serverless::StateMachine' ? `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${stackName}-drain` : `<${logicalId}>`,
    });
    const patternRules = resourcesOfType(template, 'AWS::Events::Rule').filter((id) => template.Resources[id]?.Properties?.EventPattern !== undefined);

    const listed = await events.send(new ListRulesCommand({ NamePrefix: stackName }));

    const ruleName = (id: string) => `${stackName}-${id}`.slice(0, 64);
    expect(listed.Rules?.map((rule) => rule.Name).sort()).toEqual(resourcesOfType(template, 'AWS::Events::Rule').map(ruleName).sort());
    expect(Object.keys(stack.rules).sort()).toEqual([...patternRules].sort());
    expect(patternRules).toHaveLength(11);
    for (const id of patternRules) {
      const rule = await events.send(new DescribeRuleCommand({ Name: ruleName(id) }));
      const targets = await events.send(new ListTargetsByRuleCommand({ Rule: ruleName(id) }));
      expect(JSON.parse(rule.EventPattern ?? '{}'), id).toEqual(resolvedEventPattern(resolver, id));
      expect(targets.Targets?.map((target) => target.Arn), id).toEqual([stack.rules[id]?.queue.arn]);
    }
    expect(stack.rules.TaskStoppedFunctionTaskStopped?.targets).toEqual([
      expect.objectContaining({ functionLogicalId: 'TaskStoppedFunction', retryPolicy: { maximumRetryAttempts: 8, maximumEventAgeInSeconds: 3600 } }),
    ]);
    expect(stack.rules.TaskStoppedFunctionTaskStopped?.targets[0]?.deadLetterQueue?.logicalId).toBe('EventsDeadLetterQueue');
  });

  it('gives each function its template environment, with STATE_MACHINE_ARN only where the template sets it', () => {
    const functionIds = resourcesOfType(template, 'AWS::Serverless::Function');
    const declaresStateMachine = (id: string) =>
      (template.Resources[id]?.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables?.STATE_MACHINE_ARN !== undefined;

    expect(Object.keys(stack.functions).sort()).toEqual([...functionIds].sort());
    for (const id of functionIds) {
      const spec = definedIn(stack.functions[id], id);
      expect(spec.environment.CLUSTER_ARNS, id).toBe(CLUSTER_ARNS.join(','));
      expect(spec.environment.TABLE_NAME, id).toBe(stack.tableName);
      expect(spec.environment.EVENT_BUS_NAME, id).toBe(`${stackName}-drain-notices`);
      expect(spec.environment.STATE_MACHINE_ARN, id).toBe(declaresStateMachine(id) ? stack.stateMachineArn : undefined);
    }
    expect(functionIds.filter(declaresStateMachine).length).toBeGreaterThan(0);
    expect(functionIds.filter((id) => !declaresStateMachine(id)).length).toBeGreaterThan(0);
    expect(stack.functions.ReconcilerFunction).toMatchObject({
      name: `${stackName}-ReconcilerFunction`,
      entryPoint: 'functions/handlers/reconciler.ts',
      handlerFile: 'reconciler',
      handlerExport: 'handler',
      timeoutSeconds: 120,
      reservedConcurrency: 1,
      eventInvokeConfig: { maximumRetryAttempts: 0, maximumEventAgeInSeconds: 60, onFailure: expect.objectContaining({ logicalId: 'EventHandlerFailureQueue' }) },
    });
  });

  it('describes the registry stream mapping and the reconciler schedule as the template declares them', () => {
    expect(stack.streamMappings.RegistryStreamFunction).toMatchObject({
      streamArn: stack.streamArn,
      startingPosition: 'LATEST',
      batchSize: 100,
      maximumBatchingWindowInSeconds: 1,
      maximumRetryAttempts: 10,
      bisectBatchOnFunctionError: true,
      reportBatchItemFailures: true,
      filterPatterns: [{ dynamodb: { Keys: { sk: { S: ['TASK'] } } } }],
      onFailure: expect.objectContaining({ logicalId: 'StreamFailureQueue' }),
    });
    expect(stack.schedules.ReconcilerFunctionEveryMinute).toMatchObject({
      expression: 'rate(1 minute)',
      periodSeconds: 60,
      targets: [expect.objectContaining({ functionLogicalId: 'ReconcilerFunction', retryPolicy: { maximumRetryAttempts: 2, maximumEventAgeInSeconds: 60 } })],
    });
    expect(stack.outputs.ClusterArns).toBe(stack.functions.ReconcilerFunction?.environment.CLUSTER_ARNS);
    expect(new Set(stack.skipped.map((resource) => resource.type))).toEqual(
      // AWS::IAM::Role: the rollback hook's invoke role (ECS assumes it); IAM is local/cloud/iam/iam.ts's, not the stack's.
      new Set(['AWS::IAM::ManagedPolicy', 'AWS::IAM::Role', 'AWS::SQS::QueuePolicy', 'AWS::Logs::LogGroup', 'AWS::CloudWatch::Alarm', 'AWS::CloudWatch::Dashboard']),
    );
  });

  it('refuses to deploy the same stack twice on one moto server', async () => {
    await expect(deployLocalStack({ endpoint: config.endpoint, stackName, parameters: { ClusterArns: CLUSTER_ARNS } })).rejects.toThrow(StackExistsError);
  });

  it('refuses a template with a resource the local cloud cannot emulate, before creating anything', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'local-cloud-template-'));
    const path = join(directory, 'template.yaml');
    writeFileSync(path, readFileSync(TEMPLATE_PATH, 'utf8').replace('\nResources:\n', '\nResources:\n  AlarmTopic:\n    Type: AWS::SNS::Topic\n'));
    const otherStack = uniqueName('unsupported');

    await expect(deployLocalStack({ endpoint: config.endpoint, stackName: otherStack, templatePath: path })).rejects.toThrow(
      /AlarmTopic of type AWS::SNS::Topic/,
    );
    await expect(deployLocalStack({ endpoint: config.endpoint, stackName: otherStack, templatePath: path })).rejects.toThrow(UnsupportedTemplateError);
    const tables = await new DynamoDBClient(config).send(new DescribeTableCommand({ TableName: `${otherStack}-RegistryTable` })).catch((error: Error) => error.name);
    expect(tables).toBe('ResourceNotFoundException');
  });
});
