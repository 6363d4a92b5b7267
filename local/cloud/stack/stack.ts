import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, resolve as resolvePath } from 'node:path';
import {
  type CreateTableCommandInput,
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceInUseException,
  UpdateContinuousBackupsCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { CreateEventBusCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { CreateStateMachineCommand, SFNClient } from '@aws-sdk/client-sfn';
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { StackExistsError, UnsupportedTemplateError } from '../errors.js';
import { describeFunction, describeStreamMapping } from './functions.js';
import type { FunctionSpec, LocalStack, NamedArn, QueueRef, SkippedResource, StreamMappingSpec, TableSpec } from './model.js';
import type { CustomResourceSpec } from './custom-resources.js';
import { HANDLED_TYPES, isCustomResourceType, SKIPPED_TYPES, StackNames } from './names.js';
import { createRules } from './rules.js';
import { type SamTranslation, translateTemplate } from './sam-translation.js';
import { loadTemplate, type Template, TEMPLATE_PATH, withTranslatedRules } from './template.js';

/**
 * stack/: reads template.yaml (as SAM translates it) and creates what it declares in moto; imports only
 * ../errors and ../moto (the Python that runs the translator).
 *
 * deployLocalStack(): what `sam deploy` does, against moto. Reads template.yaml, creates every
 * resource that matters at runtime (table, queues, buses, state machines, rules) and describes
 * the functions, schedules and stream mappings the rest of the local cloud runs.
 */

export interface DeployOptions {
  /** Where to create the resources (the gateway, or moto itself). */
  endpoint: string;
  parameters?: Record<string, string | string[]>;
  stackName?: string;
  region?: string;
  accountId?: string;
  templatePath?: string;
  /** The SAM translation, when already started (its rules are the ones created). */
  translation?: Promise<SamTranslation>;
}

const TABLE_CREATE_PROPERTIES = [
  'AttributeDefinitions', 'KeySchema', 'GlobalSecondaryIndexes', 'LocalSecondaryIndexes', 'BillingMode', 'ProvisionedThroughput',
  'SSESpecification', 'TableClass', 'DeletionProtectionEnabled', 'Tags', 'TableName',
];
const TABLE_SEPARATE_PROPERTIES = ['StreamSpecification', 'TimeToLiveSpecification', 'PointInTimeRecoverySpecification', 'ContributorInsightsSpecification'];
const QUEUE_ATTRIBUTES = [
  'DelaySeconds', 'MaximumMessageSize', 'MessageRetentionPeriod', 'ReceiveMessageWaitTimeSeconds', 'VisibilityTimeout', 'RedrivePolicy',
  'RedriveAllowPolicy', 'FifoQueue', 'ContentBasedDeduplication', 'SqsManagedSseEnabled', 'KmsMasterKeyId', 'KmsDataKeyReusePeriodSeconds',
  'DeduplicationScope', 'FifoThroughputLimit',
];

function logicalIdsOf(template: Template, type: string, names: StackNames): string[] {
  return Object.entries(template.Resources)
    .filter(([, resource]) => resource.Type === type && (resource.Condition === undefined || names.resolver.condition(resource.Condition)))
    .map(([logicalId]) => logicalId);
}

/** Every resource is either created, deliberately skipped, or the reason deployment stops. */
function classify(template: Template, names: StackNames): SkippedResource[] {
  const skipped: SkippedResource[] = [];
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    if (resource.Condition !== undefined && !names.resolver.condition(resource.Condition)) {
      skipped.push({ logicalId, type: resource.Type, reason: `condition ${resource.Condition} is false` });
    } else if (SKIPPED_TYPES[resource.Type] !== undefined) {
      skipped.push({ logicalId, type: resource.Type, reason: SKIPPED_TYPES[resource.Type] as string });
    } else if (!HANDLED_TYPES.has(resource.Type) && !isCustomResourceType(resource.Type)) {
      throw new UnsupportedTemplateError(`resource ${logicalId} of type ${resource.Type}`);
    }
  }
  return skipped;
}

async function createTable(names: StackNames, logicalId: string, ddb: DynamoDBClient): Promise<TableSpec> {
  const properties = names.resolver.resolve(names.resolver.resource(logicalId).Properties ?? {}) as Record<string, unknown>;
  for (const key of Object.keys(properties)) {
    if (!TABLE_CREATE_PROPERTIES.includes(key) && !TABLE_SEPARATE_PROPERTIES.includes(key)) {
      throw new UnsupportedTemplateError(`${logicalId}: table property ${key}`);
    }
  }
  const name = names.tableName(logicalId);
  const input: Record<string, unknown> = { TableName: name };
  for (const key of TABLE_CREATE_PROPERTIES) if (properties[key] !== undefined && key !== 'TableName') input[key] = properties[key];
  const stream = properties.StreamSpecification as { StreamViewType?: string } | undefined;
  if (stream !== undefined) input.StreamSpecification = { StreamEnabled: true, StreamViewType: stream.StreamViewType };
  try {
    await ddb.send(new CreateTableCommand(input as unknown as CreateTableCommandInput));
  } catch (error) {
    if (error instanceof ResourceInUseException) throw new StackExistsError(names.context.stackName, `table ${name}`, { cause: error });
    throw error;
  }
  const ttl = properties.TimeToLiveSpecification as { AttributeName: string; Enabled: boolean } | undefined;
  if (ttl !== undefined) await ddb.send(new UpdateTimeToLiveCommand({ TableName: name, TimeToLiveSpecification: ttl }));
  const pitr = properties.PointInTimeRecoverySpecification as { PointInTimeRecoveryEnabled?: boolean } | undefined;
  if (pitr?.PointInTimeRecoveryEnabled !== undefined) {
    await ddb.send(
      new UpdateContinuousBackupsCommand({ TableName: name, PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: pitr.PointInTimeRecoveryEnabled } }),
    );
  }
  const described = await ddb.send(new DescribeTableCommand({ TableName: name }));
  const streamArn = described.Table?.LatestStreamArn;
  if (streamArn !== undefined) names.streamArns.set(logicalId, streamArn);
  return { logicalId, name, arn: described.Table?.TableArn ?? names.tableArn(logicalId), ...(streamArn ? { streamArn } : {}) };
}

async function createQueue(names: StackNames, logicalId: string, sqs: SQSClient): Promise<QueueRef> {
  const properties = names.resolver.resolve(names.resolver.resource(logicalId).Properties ?? {}) as Record<string, unknown>;
  const attributes: Record<string, string> = {};
  for (const [key, value] of Object.entries(properties)) {
    if (key === 'QueueName' || key === 'Tags') continue;
    if (!QUEUE_ATTRIBUTES.includes(key)) throw new UnsupportedTemplateError(`${logicalId}: queue property ${key}`);
    attributes[key] = typeof value === 'string' ? value : JSON.stringify(value);
  }
  const name = names.queueName(logicalId);
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
  if (QueueUrl !== undefined) names.queueUrls.set(logicalId, QueueUrl);
  return { logicalId, name, arn: names.queueArn(logicalId), url: names.queueUrl(logicalId) };
}

async function createStateMachine(names: StackNames, logicalId: string, sfn: SFNClient, templateDir: string): Promise<NamedArn> {
  const properties = names.resolver.resource(logicalId).Properties ?? {};
  let definition: string;
  if (properties.DefinitionUri !== undefined) {
    const uri = names.resolver.resolve(properties.DefinitionUri);
    if (typeof uri !== 'string') throw new UnsupportedTemplateError(`${logicalId}: DefinitionUri that is not a local file`);
    definition = readFileSync(resolvePath(templateDir, uri), 'utf8');
  } else if (properties.Definition !== undefined) {
    definition = JSON.stringify(names.resolver.resolve(properties.Definition));
  } else {
    throw new UnsupportedTemplateError(`${logicalId}: a state machine without Definition or DefinitionUri`);
  }
  const substitutions = (names.resolver.resolve(properties.DefinitionSubstitutions ?? {}) ?? {}) as Record<string, unknown>;
  definition = definition.replace(/\$\{([A-Za-z0-9_]+)\}/g, (match, key: string) => (key in substitutions ? String(substitutions[key]) : match));
  const leftover = /\$\{([A-Za-z0-9_]+)\}/.exec(definition);
  if (leftover) throw new UnsupportedTemplateError(`${logicalId}: definition refers to \${${leftover[1]}}, which DefinitionSubstitutions does not define`);
  const name = names.stateMachineName(logicalId);
  const type = String(names.resolver.resolve(properties.Type) ?? 'STANDARD') as 'STANDARD' | 'EXPRESS';
  const roleArn = `arn:aws:iam::${names.context.accountId}:role/${names.context.stackName}-${logicalId}Role`.slice(0, 2048);
  const created = await sfn.send(new CreateStateMachineCommand({ name, definition, roleArn, type }));
  return { logicalId, name, arn: created.stateMachineArn ?? names.stateMachineArn(logicalId) };
}

/** CloudFormation's default ServiceTimeout of a custom resource (1 hour). */
const DEFAULT_SERVICE_TIMEOUT_SECONDS = 3600;

/**
 * The custom resources, in template order: what CloudFormation would send their functions. They are
 * created (their function invoked) once the functions run: local-cloud.ts does it.
 */
function describeCustomResources(template: Template, names: StackNames): Record<string, CustomResourceSpec> {
  const specs: Record<string, CustomResourceSpec> = {};
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    if (!isCustomResourceType(resource.Type)) continue;
    if (resource.Condition !== undefined && !names.resolver.condition(resource.Condition)) continue;
    const properties = names.resolver.resolve(resource.Properties ?? {}) as Record<string, unknown>;
    if (typeof properties.ServiceToken !== 'string') throw new UnsupportedTemplateError(`${logicalId}: a custom resource whose ServiceToken is not a function ARN`);
    const timeout = Number(properties.ServiceTimeout ?? DEFAULT_SERVICE_TIMEOUT_SECONDS);
    // CloudFormation passes every property on, ServiceToken and ServiceTimeout included, numbers as strings.
    const passed = Object.fromEntries(Object.entries(properties).map(([key, value]) => [key, typeof value === 'number' ? String(value) : value]));
    specs[logicalId] = { logicalId, type: resource.Type, serviceToken: properties.ServiceToken, properties: passed, serviceTimeoutSeconds: timeout };
  }
  return specs;
}

export async function deployLocalStack(options: DeployOptions): Promise<LocalStack> {
  const templatePath = options.templatePath ?? TEMPLATE_PATH;
  const region = options.region ?? 'us-east-1';
  // SAM generates the rules of function events; the translation says what they are.
  const translation = await (options.translation ?? translateTemplate(templatePath, region));
  const template = withTranslatedRules(loadTemplate(templatePath), translation.rules);
  const context = {
    stackName: options.stackName ?? 'ecs-session-drain',
    region,
    accountId: options.accountId ?? '123456789012',
    endpoint: options.endpoint.replace(/\/$/, ''),
    parameters: options.parameters ?? {},
  };
  const names = new StackNames(template, context);
  const skipped = classify(template, names);
  const clientConfig = { endpoint: context.endpoint, region: context.region, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } };
  const ddb = new DynamoDBClient(clientConfig);
  const sqs = new SQSClient(clientConfig);
  const eventBridge = new EventBridgeClient(clientConfig);
  const sfn = new SFNClient(clientConfig);
  try {
    const tables: Record<string, TableSpec> = {};
    for (const id of logicalIdsOf(template, 'AWS::DynamoDB::Table', names)) tables[id] = await createTable(names, id, ddb);
    const queues: Record<string, QueueRef> = {};
    for (const id of logicalIdsOf(template, 'AWS::SQS::Queue', names)) queues[id] = await createQueue(names, id, sqs);
    const queuesByArn = new Map(Object.values(queues).map((queue) => [queue.arn, queue]));
    const buses: Record<string, NamedArn> = {};
    for (const id of logicalIdsOf(template, 'AWS::Events::EventBus', names)) {
      const name = names.busName(id);
      const created = await eventBridge.send(new CreateEventBusCommand({ Name: name }));
      buses[id] = { logicalId: id, name, arn: created.EventBusArn ?? String(names.getAtt(id, 'Arn', names.resolver.resource(id))) };
    }
    const stateMachines: Record<string, NamedArn> = {};
    for (const id of logicalIdsOf(template, 'AWS::Serverless::StateMachine', names)) {
      stateMachines[id] = await createStateMachine(names, id, sfn, dirname(templatePath));
    }
    const functions: Record<string, FunctionSpec> = {};
    const streamMappings: Record<string, StreamMappingSpec> = {};
    for (const id of logicalIdsOf(template, 'AWS::Serverless::Function', names)) {
      const spec = describeFunction(names, id, queuesByArn);
      functions[id] = spec;
      const mapping = describeStreamMapping(names, spec, queuesByArn);
      if (mapping !== undefined) streamMappings[id] = mapping;
    }
    const functionsByArn = new Map(Object.values(functions).map((spec) => [spec.arn, spec]));
    const { rules, schedules } = await createRules(names, logicalIdsOf(template, 'AWS::Events::Rule', names), { eventBridge, sqs }, functionsByArn, queuesByArn);
    const customResources = describeCustomResources(template, names);
    const outputs: Record<string, unknown> = {};
    for (const [name, output] of Object.entries(template.Outputs ?? {})) outputs[name] = names.resolver.resolve(output.Value);

    const firstTable = Object.values(tables)[0];
    const firstMachine = Object.values(stateMachines)[0];
    return {
      ...context,
      functions,
      tables,
      tableName: firstTable?.name ?? '',
      tableArn: firstTable?.arn ?? '',
      streamArn: firstTable?.streamArn,
      stateMachines,
      stateMachineArns: Object.fromEntries(Object.entries(stateMachines).map(([id, machine]) => [id, machine.arn])),
      stateMachineArn: firstMachine?.arn ?? '',
      buses,
      queues,
      rules,
      schedules,
      streamMappings,
      customResources,
      stackId: `arn:aws:cloudformation:${context.region}:${context.accountId}:stack/${context.stackName}/${randomUUID()}`,
      outputs,
      skipped,
    };
  } finally {
    for (const client of [ddb, sqs, eventBridge, sfn]) client.destroy();
  }
}
