import { UnsupportedTemplateError } from '../errors.js';
import type { EsbuildProperties, EventInvokeConfig, FunctionSpec, QueueRef, StreamMappingSpec } from './model.js';
import type { StackNames } from './names.js';

/**
 * AWS::Serverless::Function resources read the way SAM deploys them: Globals.Function merged
 * under each function, the esbuild build properties, EventInvokeConfig and DynamoDB event sources.
 * Properties that would make the function behave differently from what the local cloud runs are
 * refused; properties that change nothing locally (tracing, architectures, IAM) are ignored.
 */

const UNSUPPORTED_FUNCTION_PROPERTIES = ['Layers', 'InlineCode', 'ImageUri', 'PackageType', 'FileSystemConfigs', 'DeadLetterQueue', 'SnapStart', 'RuntimeManagementConfig'];
const BUILD_PROPERTIES = new Set(['Format', 'OutExtension', 'Target', 'Sourcemap', 'Minify', 'EntryPoints', 'Banner', 'External']);
const STREAM_PROPERTIES = new Set([
  'Stream', 'StartingPosition', 'BatchSize', 'MaximumBatchingWindowInSeconds', 'BisectBatchOnFunctionError', 'MaximumRetryAttempts',
  'MaximumRecordAgeInSeconds', 'FunctionResponseTypes', 'FilterCriteria', 'DestinationConfig', 'Enabled', 'KmsKeyArn', 'MetricsConfig',
]);

type Properties = Record<string, unknown>;

function asObject(value: unknown): Properties {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Properties) : {};
}

function asList(value: unknown): unknown[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/** A function's properties with Globals.Function underneath, Environment variables merged. */
export function mergedFunctionProperties(names: StackNames, logicalId: string): Properties {
  const globals = asObject(names.template.Globals?.Function);
  const own = asObject(names.resolver.resource(logicalId).Properties);
  const merged: Properties = { ...globals, ...own };
  const variables = {
    ...asObject(asObject(globals.Environment).Variables),
    ...asObject(asObject(own.Environment).Variables),
  };
  merged.Environment = { Variables: variables };
  return merged;
}

/** "a=b" list items (esbuild's OutExtension and Banner in SAM's notation) as a map. */
function keyValueList(value: unknown, where: string): Record<string, string> {
  const map: Record<string, string> = {};
  for (const item of asList(value)) {
    const text = String(item);
    const equals = text.indexOf('=');
    if (equals < 1) throw new UnsupportedTemplateError(`${where}: "${text}" is not of the form key=value`);
    map[text.slice(0, equals)] = text.slice(equals + 1);
  }
  return map;
}

function buildProperties(names: StackNames, logicalId: string): EsbuildProperties {
  const metadata = asObject(names.resolver.resource(logicalId).Metadata);
  if (metadata.BuildMethod !== 'esbuild') {
    throw new UnsupportedTemplateError(`${logicalId}: BuildMethod ${String(metadata.BuildMethod)} (only esbuild builds are run)`);
  }
  const properties = asObject(names.resolver.resolve(metadata.BuildProperties));
  for (const key of Object.keys(properties)) {
    if (!BUILD_PROPERTIES.has(key)) throw new UnsupportedTemplateError(`${logicalId}: BuildProperties.${key}`);
  }
  const entryPoints = asList(properties.EntryPoints).map(String);
  if (entryPoints.length !== 1) throw new UnsupportedTemplateError(`${logicalId}: ${entryPoints.length} EntryPoints (one is run)`);
  const format = String(properties.Format ?? 'cjs');
  if (format !== 'esm' && format !== 'cjs') throw new UnsupportedTemplateError(`${logicalId}: Format ${format}`);
  return {
    format,
    outExtension: keyValueList(properties.OutExtension, `${logicalId} OutExtension`),
    target: String(properties.Target ?? 'es2020'),
    sourcemap: properties.Sourcemap === true || properties.Sourcemap === 'true',
    minify: properties.Minify === undefined ? true : properties.Minify === true || properties.Minify === 'true',
    entryPoints,
    banner: keyValueList(properties.Banner, `${logicalId} Banner`),
    external: asList(properties.External).map(String),
  };
}

/** An SQS destination (by ARN) as one of the stack's queues. */
export function destinationQueue(destination: unknown, queuesByArn: Map<string, QueueRef>, where: string): QueueRef | undefined {
  if (destination === undefined) return undefined;
  const config = asObject(destination);
  const type = config.Type === undefined ? 'SQS' : String(config.Type);
  const arn = config.Destination ?? config.Arn;
  if (type !== 'SQS' || typeof arn !== 'string') throw new UnsupportedTemplateError(`${where}: destination ${JSON.stringify(config)} (only SQS queues of the stack)`);
  const queue = queuesByArn.get(arn);
  if (queue === undefined) throw new UnsupportedTemplateError(`${where}: destination ${arn} is not a queue of this stack`);
  return queue;
}

function eventInvokeConfig(value: unknown, queuesByArn: Map<string, QueueRef>, logicalId: string): EventInvokeConfig {
  const config = asObject(value);
  const destinations = asObject(config.DestinationConfig);
  const onFailure = destinationQueue(destinations.OnFailure, queuesByArn, `${logicalId} EventInvokeConfig OnFailure`);
  const onSuccess = destinationQueue(destinations.OnSuccess, queuesByArn, `${logicalId} EventInvokeConfig OnSuccess`);
  return {
    maximumRetryAttempts: Number(config.MaximumRetryAttempts ?? 2),
    maximumEventAgeInSeconds: Number(config.MaximumEventAgeInSeconds ?? 21_600),
    ...(onFailure ? { onFailure } : {}),
    ...(onSuccess ? { onSuccess } : {}),
  };
}

export function describeFunction(names: StackNames, logicalId: string, queuesByArn: Map<string, QueueRef>): FunctionSpec {
  const properties = asObject(names.resolver.resolve(mergedFunctionProperties(names, logicalId)));
  for (const key of UNSUPPORTED_FUNCTION_PROPERTIES) {
    if (properties[key] !== undefined) throw new UnsupportedTemplateError(`${logicalId}: property ${key}`);
  }
  const runtime = String(properties.Runtime ?? '');
  if (!runtime.startsWith('nodejs')) throw new UnsupportedTemplateError(`${logicalId}: Runtime ${runtime} (only Node.js functions run)`);
  const handler = String(properties.Handler ?? '');
  const dot = handler.indexOf('.');
  if (dot < 1) throw new UnsupportedTemplateError(`${logicalId}: Handler "${handler}" is not "file.export"`);
  const environment: Record<string, string> = {};
  for (const [name, value] of Object.entries(asObject(asObject(properties.Environment).Variables))) {
    environment[name] = typeof value === 'string' ? value : JSON.stringify(value);
  }
  const reserved = properties.ReservedConcurrentExecutions;
  const logging = asObject(properties.LoggingConfig);
  const name = names.functionName(logicalId);
  return {
    logicalId,
    name,
    arn: names.functionArn(logicalId),
    entryPoint: buildProperties(names, logicalId).entryPoints[0] as string,
    handlerFile: handler.slice(0, dot),
    handlerExport: handler.slice(dot + 1),
    runtime,
    ...(Array.isArray(properties.Architectures) ? { architectures: properties.Architectures.map(String) } : {}),
    ...(typeof properties.Description === 'string' ? { description: properties.Description } : {}),
    memorySize: Number(properties.MemorySize ?? 128),
    timeoutSeconds: Number(properties.Timeout ?? 3),
    ...(reserved === undefined ? {} : { reservedConcurrency: Number(reserved) }),
    environment,
    logGroupName: typeof logging.LogGroup === 'string' ? logging.LogGroup : `/aws/lambda/${name}`,
    logFormat: logging.LogFormat === 'JSON' ? 'JSON' : 'Text',
    eventInvokeConfig: eventInvokeConfig(properties.EventInvokeConfig, queuesByArn, logicalId),
    build: buildProperties(names, logicalId),
  };
}

/** The function's DynamoDB event source, if it has one (SAM Events of Type DynamoDB). */
export function describeStreamMapping(names: StackNames, spec: FunctionSpec, queuesByArn: Map<string, QueueRef>): StreamMappingSpec | undefined {
  const events = asObject(names.resolver.resource(spec.logicalId).Properties?.Events);
  let mapping: StreamMappingSpec | undefined;
  for (const [eventId, definition] of Object.entries(events)) {
    const event = asObject(definition);
    const where = `${spec.logicalId} event ${eventId}`;
    // SAM turns these into AWS::Events::Rule resources, which the stack creates from its translation.
    if (event.Type === 'EventBridgeRule' || event.Type === 'Schedule') continue;
    if (event.Type !== 'DynamoDB') throw new UnsupportedTemplateError(`${where}: event source type ${String(event.Type)}`);
    const properties = asObject(names.resolver.resolve(event.Properties));
    for (const key of Object.keys(properties)) {
      if (!STREAM_PROPERTIES.has(key)) throw new UnsupportedTemplateError(`${where}: property ${key}`);
    }
    if (properties.Enabled === false) continue;
    if (mapping !== undefined) throw new UnsupportedTemplateError(`${where}: a second DynamoDB event source on one function`);
    const startingPosition = String(properties.StartingPosition);
    if (startingPosition !== 'LATEST' && startingPosition !== 'TRIM_HORIZON') throw new UnsupportedTemplateError(`${where}: StartingPosition ${startingPosition}`);
    const filters = asList(asObject(properties.FilterCriteria).Filters).map((filter) => {
      const pattern = asObject(filter).Pattern;
      return (typeof pattern === 'string' ? JSON.parse(pattern) : pattern) as Record<string, unknown>;
    });
    const onFailure = destinationQueue(asObject(properties.DestinationConfig).OnFailure, queuesByArn, `${where} OnFailure`);
    mapping = {
      functionLogicalId: spec.logicalId,
      functionArn: spec.arn,
      eventId,
      streamArn: String(properties.Stream),
      startingPosition,
      batchSize: Number(properties.BatchSize ?? 100),
      maximumBatchingWindowInSeconds: Number(properties.MaximumBatchingWindowInSeconds ?? 0),
      maximumRetryAttempts: Number(properties.MaximumRetryAttempts ?? -1),
      maximumRecordAgeInSeconds: Number(properties.MaximumRecordAgeInSeconds ?? -1),
      bisectBatchOnFunctionError: properties.BisectBatchOnFunctionError === true,
      reportBatchItemFailures: asList(properties.FunctionResponseTypes).includes('ReportBatchItemFailures'),
      filterPatterns: filters,
      ...(onFailure ? { onFailure } : {}),
    };
  }
  return mapping;
}
