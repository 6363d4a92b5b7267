import type { FunctionSpec, LocalStack } from '../stack/model.js';

/*
 * The read side of Lambda's control plane for the stack's functions, so that `aws lambda
 * list-functions` and `get-function` show what the local cloud runs (moto's Lambda holds none of
 * them). REST paths and shapes as the Lambda API reference gives them:
 * ListFunctions   GET /2015-03-31/functions/?Marker=&MaxItems=  -> { Functions, NextMarker? }
 *                 https://docs.aws.amazon.com/lambda/latest/api/API_ListFunctions.html
 * GetFunction     GET /2015-03-31/functions/{name}?Qualifier=  -> { Configuration, Concurrency? }
 *                 https://docs.aws.amazon.com/lambda/latest/api/API_GetFunction.html
 * GetFunctionConfiguration GET /2015-03-31/functions/{name}/configuration -> FunctionConfiguration
 *                 https://docs.aws.amazon.com/lambda/latest/api/API_FunctionConfiguration.html
 * GetFunction's Code (a presigned S3 URL of the package) is left out: the functions run from local
 * bundles, which no URL serves. Errors are Lambda's REST JSON errors: the type in header
 * x-amzn-errortype, the body {"Type": "User", "message"}.
 */

export interface ControlAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const LIST_PATH = /^\/2015-03-31\/functions\/?$/;
const FUNCTION_PATH = /^\/2015-03-31\/functions\/([^/]+)(\/configuration)?$/;
const MAX_ITEMS = 10_000;
const DEFAULT_ITEMS = 50;

/** Whether a request is one this module answers (the gateway sends other Lambda paths to moto). */
export function isLambdaControlRequest(method: string, url: string): boolean {
  const path = url.split('?')[0] ?? '';
  return method === 'GET' && (LIST_PATH.test(path) || FUNCTION_PATH.test(path));
}

function json(status: number, body: unknown, errorType?: string): ControlAnswer {
  return {
    status,
    headers: { 'content-type': 'application/json', ...(errorType === undefined ? {} : { 'x-amzn-errortype': errorType }) },
    body: JSON.stringify(body),
  };
}

function userError(status: number, type: string, message: string): ControlAnswer {
  return json(status, { Type: 'User', message }, type);
}

/** FunctionConfiguration of the $LATEST version, from the template as `sam deploy` would have created it. */
export function functionConfiguration(spec: FunctionSpec, deployedAt: Date): Record<string, unknown> {
  return {
    FunctionName: spec.name,
    FunctionArn: spec.arn,
    Runtime: spec.runtime,
    Handler: `${spec.handlerFile}.${spec.handlerExport}`,
    ...(spec.description === undefined ? {} : { Description: spec.description }),
    Timeout: spec.timeoutSeconds,
    MemorySize: spec.memorySize,
    // Lambda's own format for LastModified: ISO 8601 with milliseconds and a +0000 offset.
    LastModified: deployedAt.toISOString().replace('Z', '+0000'),
    Version: '$LATEST',
    ...(Object.keys(spec.environment).length === 0 ? {} : { Environment: { Variables: { ...spec.environment } } }),
    State: 'Active',
    LastUpdateStatus: 'Successful',
    PackageType: 'Zip',
    Architectures: spec.architectures ?? ['x86_64'],
    EphemeralStorage: { Size: 512 },
    LoggingConfig: { LogFormat: spec.logFormat, LogGroup: spec.logGroupName },
  };
}

/** The function a path segment names: name, full or partial ARN, with an optional ":qualifier" ($LATEST only). */
function findFunction(stack: Pick<LocalStack, 'functions'>, rawName: string, qualifier: string | null): { spec?: FunctionSpec; qualifier?: string } {
  const parts = rawName.split(':');
  const name = rawName.startsWith('arn:') ? parts.slice(0, 7).join(':') : parts[1] === 'function' ? (parts[2] ?? '') : (parts[0] ?? '');
  const given = qualifier ?? (rawName.startsWith('arn:') ? parts[7] : parts[1] === 'function' ? parts[3] : parts[1]);
  const spec = Object.values(stack.functions).find((candidate) => candidate.name === name || candidate.arn === name);
  return { ...(spec === undefined ? {} : { spec }), ...(given === undefined || given === '' ? {} : { qualifier: given }) };
}

export function lambdaControlResponse(stack: Pick<LocalStack, 'functions' | 'region' | 'accountId'>, deployedAt: Date, url: string): ControlAnswer {
  const [path = '', search = ''] = url.split('?');
  const query = new URLSearchParams(search);
  if (LIST_PATH.test(path)) {
    const maxItems = query.get('MaxItems') === null ? DEFAULT_ITEMS : Number(query.get('MaxItems'));
    if (!Number.isInteger(maxItems) || maxItems < 1 || maxItems > MAX_ITEMS) return userError(400, 'InvalidParameterValueException', `MaxItems must be between 1 and ${MAX_ITEMS}.`);
    const specs = Object.values(stack.functions).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    // The marker is the name the next page starts at: opaque to callers, stable while the stack is.
    const marker = query.get('Marker');
    const start = marker === null ? 0 : specs.findIndex((spec) => spec.name === Buffer.from(marker, 'base64url').toString('utf8'));
    if (start < 0) return userError(400, 'InvalidParameterValueException', 'Invalid Marker.');
    const page = specs.slice(start, start + maxItems);
    const next = specs[start + maxItems];
    return json(200, { Functions: page.map((spec) => functionConfiguration(spec, deployedAt)), ...(next === undefined ? {} : { NextMarker: Buffer.from(next.name, 'utf8').toString('base64url') }) });
  }
  const match = FUNCTION_PATH.exec(path);
  const rawName = decodeURIComponent(match?.[1] ?? '');
  const { spec, qualifier } = findFunction(stack, rawName, query.get('Qualifier'));
  const arn = rawName.startsWith('arn:') ? rawName : `arn:aws:lambda:${stack.region}:${stack.accountId}:function:${rawName}`;
  if (spec === undefined) return userError(404, 'ResourceNotFoundException', `Function not found: ${arn}`);
  if (qualifier !== undefined && qualifier !== '$LATEST') return userError(404, 'ResourceNotFoundException', `Function not found: ${spec.arn}:${qualifier} (the local cloud runs $LATEST only)`);
  const configuration = functionConfiguration(spec, deployedAt);
  if (match?.[2] !== undefined) return json(200, configuration);
  return json(200, { Configuration: configuration, ...(spec.reservedConcurrency === undefined ? {} : { Concurrency: { ReservedConcurrentExecutions: spec.reservedConcurrency } }) });
}
