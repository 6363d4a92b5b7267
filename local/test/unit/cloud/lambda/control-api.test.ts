import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetFunctionCommand, GetFunctionConfigurationCommand, LambdaClient, ListEventSourceMappingsCommand, ListFunctionsCommand } from '@aws-sdk/client-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import { Gateway } from '../../../../cloud/gateway.js';
import { IamAuthorizer } from '../../../../cloud/iam/authorizer.js';
import type { PolicyStatement } from '../../../../cloud/iam/policy.js';
import { isLambdaControlRequest, lambdaControlResponse } from '../../../../cloud/lambda/control-api.js';
import { drainControlFunctionName } from '../../../../cloud/stack/model.js';
import { fixtureFunction, fixtureStack } from '../../../integration/cloud/fixtures/fixture-stack.js';

/*
 * Lambda's reads of the stack's functions through the gateway, with the real SDK client (REST
 * JSON): ListFunctions pages the functions, GetFunction and GetFunctionConfiguration describe one,
 * as Lambda does for what `sam deploy` created; other Lambda paths still go to moto (a fake here).
 */

const DEPLOYED_AT = new Date('2026-12-07T05:00:00.123Z');
const CONTROL = fixtureFunction('DrainControlFunction', 'handler', {
  name: 'ecs-session-drain-drain-control',
  arn: 'arn:aws:lambda:us-east-1:123456789012:function:ecs-session-drain-drain-control',
  handlerFile: 'drain-control',
  architectures: ['arm64'],
  memorySize: 256,
  timeoutSeconds: 30,
  reservedConcurrency: 5,
  environment: { TABLE_NAME: 'registry', LOG_LEVEL: 'INFO' },
});
const RECONCILER = fixtureFunction('ReconcilerFunction', 'handler', { name: 'ecs-session-drain-reconciler', arn: 'arn:aws:lambda:us-east-1:123456789012:function:ecs-session-drain-reconciler' });
const STACK = fixtureStack([RECONCILER, CONTROL], { outputs: { DrainControlFunctionName: CONTROL.name } });

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function lambdaThroughGateway(options: { authorizer?: IamAuthorizer; accessKeyId?: string } = {}): Promise<{ lambda: LambdaClient; motoPaths: string[] }> {
  const motoPaths: string[] = [];
  const moto: Server = createServer((request, response) => {
    motoPaths.push(request.url ?? '');
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ EventSourceMappings: [] }));
  });
  await new Promise<void>((resolve) => moto.listen(0, '127.0.0.1', resolve));
  closers.push(() => new Promise<void>((resolve) => moto.close(() => resolve())));
  const gateway = await Gateway.start({
    motoEndpoint: `http://127.0.0.1:${(moto.address() as AddressInfo).port}`,
    functions: {
      invoke: () => Promise.reject(new Error('no invocations here')),
      control: (url) => Promise.resolve(isLambdaControlRequest('GET', url) ? lambdaControlResponse(STACK, DEPLOYED_AT, url) : undefined),
    },
    ...(options.authorizer === undefined ? {} : { authorizer: options.authorizer }),
  });
  closers.push(() => gateway.close());
  const lambda = new LambdaClient({ endpoint: gateway.url, region: 'us-east-1', credentials: { accessKeyId: options.accessKeyId ?? 'testing', secretAccessKey: 'testing' }, maxAttempts: 1 });
  closers.push(async () => lambda.destroy());
  return { lambda, motoPaths };
}

describe('Lambda reads of the stack functions', () => {
  it('lists every function with its template configuration, by name, and pages by MaxItems and Marker', async () => {
    const { lambda, motoPaths } = await lambdaThroughGateway();

    const all = await lambda.send(new ListFunctionsCommand({}));
    const first = await lambda.send(new ListFunctionsCommand({ MaxItems: 1 }));
    const second = await lambda.send(new ListFunctionsCommand({ MaxItems: 1, Marker: first.NextMarker }));

    expect(all.Functions?.map((fn) => fn.FunctionName)).toEqual(['ecs-session-drain-drain-control', 'ecs-session-drain-reconciler']);
    expect(all.NextMarker).toBeUndefined();
    expect(all.Functions?.[0]).toEqual({
      FunctionName: CONTROL.name,
      FunctionArn: CONTROL.arn,
      Runtime: 'nodejs22.x',
      Handler: 'drain-control.handler',
      Timeout: 30,
      MemorySize: 256,
      LastModified: '2026-12-07T05:00:00.123+0000',
      Version: '$LATEST',
      Environment: { Variables: { TABLE_NAME: 'registry', LOG_LEVEL: 'INFO' } },
      State: 'Active',
      LastUpdateStatus: 'Successful',
      PackageType: 'Zip',
      Architectures: ['arm64'],
      EphemeralStorage: { Size: 512 },
      LoggingConfig: { LogFormat: 'JSON', LogGroup: CONTROL.logGroupName },
    });
    expect(all.Functions?.[1]).toMatchObject({ FunctionName: RECONCILER.name, Architectures: ['x86_64'], Timeout: 10, MemorySize: 128 });
    expect(all.Functions?.[1]?.Environment).toBeUndefined();
    expect([first.Functions?.map((fn) => fn.FunctionName), second.Functions?.map((fn) => fn.FunctionName)]).toEqual([[CONTROL.name], [RECONCILER.name]]);
    expect(first.NextMarker).toEqual(expect.any(String));
    expect(second.NextMarker).toBeUndefined();
    expect(motoPaths).toEqual([]);
  });

  it('gets one function by name or ARN with its reserved concurrency, its configuration alone, and answers ResourceNotFoundException for others', async () => {
    const { lambda } = await lambdaThroughGateway();
    const failure = (call: Promise<unknown>) => call.then(() => undefined, (error: unknown) => error as Error & { $metadata: { httpStatusCode?: number } });

    const byName = await lambda.send(new GetFunctionCommand({ FunctionName: CONTROL.name }));
    const byArn = await lambda.send(new GetFunctionCommand({ FunctionName: CONTROL.arn, Qualifier: '$LATEST' }));
    const configuration = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: RECONCILER.name }));
    const unknown = await failure(lambda.send(new GetFunctionCommand({ FunctionName: 'nope' })));
    const version = await failure(lambda.send(new GetFunctionCommand({ FunctionName: CONTROL.name, Qualifier: '3' })));

    expect(byName.Configuration).toMatchObject({ FunctionName: CONTROL.name, Handler: 'drain-control.handler', Environment: { Variables: { TABLE_NAME: 'registry' } } });
    expect(byName.Concurrency).toEqual({ ReservedConcurrentExecutions: 5 });
    expect(byArn.Configuration?.FunctionArn).toBe(CONTROL.arn);
    expect(configuration).toMatchObject({ FunctionName: RECONCILER.name, Runtime: 'nodejs22.x', Timeout: 10 });
    expect(unknown).toMatchObject({ name: 'ResourceNotFoundException', message: 'Function not found: arn:aws:lambda:us-east-1:123456789012:function:nope' });
    expect(unknown?.$metadata.httpStatusCode).toBe(404);
    expect(version?.name).toBe('ResourceNotFoundException');
  });

  it('leaves other Lambda reads to moto, and refuses a role without lambda:ListFunctions as IAM does', async () => {
    const authorizer = new IamAuthorizer({ partition: 'aws', region: 'us-east-1', accountId: '123456789012' });
    const statements: PolicyStatement[] = [{ Effect: 'Allow', Action: 'lambda:GetFunction', Resource: CONTROL.arn }];
    authorizer.register('ASIAREADER', { arn: 'arn:aws:sts::123456789012:assumed-role/Reader/s', userId: 'AROAREADER:s', roleArn: 'arn:aws:iam::123456789012:role/Reader', accountId: '123456789012', statements: () => statements });
    const { lambda, motoPaths } = await lambdaThroughGateway({ authorizer, accessKeyId: 'ASIAREADER' });

    const listed = await lambda.send(new ListFunctionsCommand({})).then(() => undefined, (error: unknown) => error as Error);
    const got = await lambda.send(new GetFunctionCommand({ FunctionName: CONTROL.name }));
    await lambda.send(new ListEventSourceMappingsCommand({}));

    expect(listed?.name).toBe('AccessDeniedException');
    expect(got.Configuration?.FunctionName).toBe(CONTROL.name);
    expect(motoPaths).toEqual(['/2015-03-31/event-source-mappings']);
  });

  it('names the function operators invoke, as the stack output DrainControlFunctionName gives it', () => {
    expect(drainControlFunctionName(STACK)).toBe('ecs-session-drain-drain-control');
    expect(drainControlFunctionName({ ...STACK, outputs: {} })).toBe('ecs-session-drain-drain-control');
  });
});
