/**
 * What deployLocalStack() created from template.yaml, in the terms the rest of the local cloud
 * needs: every value here was read from the template (plus parameters), never configured again.
 */
import type { CustomResourceSpec } from './custom-resources.js';

export interface QueueRef {
  logicalId: string;
  name: string;
  arn: string;
  url: string;
}

/** Lambda's EventInvokeConfig (asynchronous invocations). */
export interface EventInvokeConfig {
  maximumRetryAttempts: number;
  maximumEventAgeInSeconds: number;
  onFailure?: QueueRef;
  onSuccess?: QueueRef;
}

export interface EsbuildProperties {
  format: 'esm' | 'cjs';
  outExtension: Record<string, string>;
  target: string;
  sourcemap: boolean;
  minify: boolean;
  entryPoints: string[];
  banner: Record<string, string>;
  external: string[];
}

export interface FunctionSpec {
  logicalId: string;
  name: string;
  arn: string;
  /** Source entry point from Metadata.BuildProperties.EntryPoints, relative to the template. */
  entryPoint: string;
  /** Handler "file.export": the bundle's file name (without extension) and export path. */
  handlerFile: string;
  handlerExport: string;
  runtime: string;
  /** Architectures as the template sets them (absent: Lambda's default, x86_64); locally the functions run on the machine's Node. */
  architectures?: string[];
  description?: string;
  memorySize: number;
  timeoutSeconds: number;
  reservedConcurrency?: number;
  environment: Record<string, string>;
  /** LoggingConfig: where Lambda would write the function's logs, and in which format. */
  logGroupName: string;
  logFormat: 'JSON' | 'Text';
  eventInvokeConfig: EventInvokeConfig;
  build: EsbuildProperties;
}

/** EventBridge's RetryPolicy of a rule target. */
export interface RetryPolicy {
  maximumRetryAttempts: number;
  maximumEventAgeInSeconds: number;
}

export interface RuleTarget {
  id: string;
  functionLogicalId: string;
  functionArn: string;
  retryPolicy: RetryPolicy;
  deadLetterQueue?: QueueRef;
}

export interface RuleSpec {
  logicalId: string;
  name: string;
  arn: string;
  bus: string;
  pattern: Record<string, unknown>;
  enabled: boolean;
  /** The queue moto delivers matching events to; event delivery turns them into invocations. */
  queue: QueueRef;
  targets: RuleTarget[];
}

export interface ScheduleSpec {
  logicalId: string;
  name: string;
  arn: string;
  expression: string;
  periodSeconds: number;
  targets: RuleTarget[];
}

export interface StreamMappingSpec {
  functionLogicalId: string;
  functionArn: string;
  eventId: string;
  streamArn: string;
  startingPosition: 'LATEST' | 'TRIM_HORIZON';
  batchSize: number;
  maximumBatchingWindowInSeconds: number;
  /** -1: until the record expires. */
  maximumRetryAttempts: number;
  /** -1: no limit. */
  maximumRecordAgeInSeconds: number;
  bisectBatchOnFunctionError: boolean;
  reportBatchItemFailures: boolean;
  filterPatterns: Array<Record<string, unknown>>;
  onFailure?: QueueRef;
}

export interface TableSpec {
  logicalId: string;
  name: string;
  arn: string;
  streamArn?: string;
}

export interface NamedArn {
  logicalId: string;
  name: string;
  arn: string;
}

export interface SkippedResource {
  logicalId: string;
  type: string;
  reason: string;
}

export interface LocalStack {
  stackName: string;
  region: string;
  accountId: string;
  /** The endpoint the stack was created through (resource URLs point at it). */
  endpoint: string;
  parameters: Record<string, string | string[]>;
  functions: Record<string, FunctionSpec>;
  tables: Record<string, TableSpec>;
  /** The registry: the template's only table (the first, were there more). */
  tableName: string;
  tableArn: string;
  streamArn: string | undefined;
  stateMachines: Record<string, NamedArn>;
  stateMachineArns: Record<string, string>;
  /** The template's only state machine (the first, were there more). */
  stateMachineArn: string;
  buses: Record<string, NamedArn>;
  queues: Record<string, QueueRef>;
  rules: Record<string, RuleSpec>;
  schedules: Record<string, ScheduleSpec>;
  /** Function logical id -> its DynamoDB event source mapping. */
  streamMappings: Record<string, StreamMappingSpec>;
  /** Custom resources by logical id: created and deleted by local-cloud.ts through their functions. */
  customResources: Record<string, CustomResourceSpec>;
  /** The stack's ARN, as custom resource requests carry it. */
  stackId: string;
  outputs: Record<string, unknown>;
  skipped: SkippedResource[];
}

/**
 * The name of the function operators invoke (drain / cancel / force-stop), as the stack's output
 * DrainControlFunctionName gives it: what `npm run local` shows for `aws lambda invoke`.
 */
export function drainControlFunctionName(stack: Pick<LocalStack, 'outputs' | 'functions'>): string {
  const name = stack.outputs.DrainControlFunctionName;
  if (typeof name === 'string' && name !== '') return name;
  const spec = stack.functions.DrainControlFunction;
  if (spec === undefined) throw new Error('the stack has no DrainControlFunction (template.yaml output DrainControlFunctionName)');
  return spec.name;
}

export function functionByNameOrArn(stack: Pick<LocalStack, 'functions'>, nameOrArn: string): FunctionSpec | undefined {
  return Object.values(stack.functions).find((spec) => spec.name === nameOrArn || spec.arn === nameOrArn || spec.logicalId === nameOrArn);
}
