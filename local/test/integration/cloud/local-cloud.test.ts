import { readFileSync } from 'node:fs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { InvokeCommand, LambdaClient, TooManyRequestsException } from '@aws-sdk/client-lambda';
import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { DeleteMessageCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EcsResponse } from '../../../cloud/gateway.js';
import type { InvocationRecord } from '../../../cloud/lambda/host.js';
import { LOCAL_ACCOUNT_ID, type LocalCloud, startLocalCloud } from '../../../cloud/local-cloud.js';
import { temporaryDirectory } from './fixtures/fixture-stack.js';

/*
 * The whole local cloud from template.yaml: real handler bundles invoked through the gateway with
 * the AWS SDK, events routed by moto's rules, registry writes through the stream poller, Lambda's
 * async retries and destinations, the schedule, moto's interpreter calling the functions back, and
 * a stop that leaves nothing running. ECS is answered by a fixed stub (the twin is tested on its own).
 */

const ACCOUNT = LOCAL_ACCOUNT_ID;
const CLUSTER = `arn:aws:ecs:us-east-1:${ACCOUNT}:cluster/sessions`;

/** An events/ sample, moved to the local account (the samples carry AWS's example account). */
function sample(file: string): Record<string, unknown> {
  return JSON.parse(readFileSync(new URL(`../../../../events/${file}`, import.meta.url), 'utf8')) as Record<string, unknown>;
}

/** The ECS stub: DescribeServices is refused (so the deployment handler fails), everything else succeeds empty. */
async function ecs(target: string): Promise<EcsResponse> {
  const headers = { 'content-type': 'application/x-amz-json-1.1' };
  if (target.endsWith('.DescribeServices')) {
    return { status: 400, headers: { ...headers, 'x-amzn-errortype': 'AccessDeniedException' }, body: JSON.stringify({ __type: 'AccessDeniedException', message: 'denied by the test' }) };
  }
  return { status: 200, headers, body: JSON.stringify(target.endsWith('.UpdateTaskProtection') ? { protectedTasks: [], failures: [] } : {}) };
}

describe('the local cloud', () => {
  let cloud: LocalCloud;
  let lambda: LambdaClient;
  const signalListeners = () => process.listenerCount('SIGINT') + process.listenerCount('SIGTERM') + process.listenerCount('exit');
  const listenersBefore = signalListeners();
  const records: InvocationRecord[] = [];
  const invocationsOf = (logicalId: string) => records.filter((record) => record.logicalId === logicalId);

  beforeAll(async () => {
    cloud = await startLocalCloud({
      ecs,
      logDir: temporaryDirectory('logs'),
      // rate(1 minute) every 0.6 s; Lambda's async retries after 0.1 s.
      schedulePeriodFactor: 0.01,
      asyncRetryDelaysMs: [100, 100],
    });
    cloud.functions.onInvocation((record) => records.push(record));
    lambda = new LambdaClient(cloud.clientConfig);
  });

  afterAll(async () => {
    await cloud?.stop();
  });

  it('answers an SDK Invoke through the gateway with the real handler: a refused drain-control request', async () => {
    const response = await lambda.send(
      new InvokeCommand({ FunctionName: cloud.stack.functions.DrainControlFunction?.name, Payload: JSON.stringify({ action: 'evacuate', taskArn: 'x' }) }),
    );

    expect(response.StatusCode).toBe(200);
    expect(response.FunctionError).toBeUndefined();
    expect(JSON.parse(Buffer.from(response.Payload ?? []).toString())).toEqual({ ok: false, error: expect.stringMatching(/^invalid request: /) });
  });

  it('reports a handler error as FunctionError Unhandled with the error object, and accepts Event invocations at once', async () => {
    const failed = await lambda.send(new InvokeCommand({ FunctionName: cloud.stack.functions.RecordDrainFunction?.arn, Payload: JSON.stringify({ unexpected: true }) }));
    const queued = await lambda.send(new InvokeCommand({ FunctionName: cloud.stack.functions.RecordDrainFunction?.name, InvocationType: 'Event', Payload: '{}' }));
    const missing = lambda.send(new InvokeCommand({ FunctionName: 'no-such-function', Payload: '{}' }));

    expect(failed.StatusCode).toBe(200);
    expect(failed.FunctionError).toBe('Unhandled');
    expect(JSON.parse(Buffer.from(failed.Payload ?? []).toString())).toMatchObject({ errorType: 'InvalidInputError', errorMessage: expect.any(String), trace: expect.any(Array) });
    expect(queued.StatusCode).toBe(202);
    await expect(missing).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });

  it('throttles a synchronous invoke beyond the reserved concurrency of the reconciler', async () => {
    // The SDK retries throttling by itself; one attempt shows what the gateway answered.
    const once = new LambdaClient({ ...cloud.clientConfig, maxAttempts: 1 });
    const reconciler = cloud.stack.functions.ReconcilerFunction?.name;
    const calls = [0, 1, 2, 3, 4].map(() => once.send(new InvokeCommand({ FunctionName: reconciler, Payload: '{}' })));

    const outcomes = await Promise.allSettled(calls);

    const throttled = outcomes.flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason as Error] : []));
    expect(throttled.length).toBeGreaterThan(0);
    expect(throttled[0]).toBeInstanceOf(TooManyRequestsException);
    expect(throttled[0]).toMatchObject({ Reason: 'ReservedFunctionConcurrentInvocationLimitExceeded', $metadata: { httpStatusCode: 429 } });
  });

  it('forwards every other request to moto, handing out URLs that point at the gateway', async () => {
    const sqs = new SQSClient(cloud.clientConfig);
    const before = cloud.gateway.counts().moto['sqs.GetQueueAttributes'] ?? 0;
    const queue = cloud.stack.queues.EventsDeadLetterQueue;

    const attributes = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queue?.url, AttributeNames: ['QueueArn', 'MessageRetentionPeriod'] }));

    expect(queue?.url.startsWith(`${cloud.endpoint}/`)).toBe(true);
    expect(attributes.Attributes).toEqual({ QueueArn: queue?.arn, MessageRetentionPeriod: '1209600' });
    expect(cloud.gateway.counts().moto['sqs.GetQueueAttributes']).toBe(before + 1);
  });

  it('delivers an events/ sample published to the default bus to exactly its rule function', async () => {
    const eventId = await cloud.publish(sample('task-stopped.json'));

    await expect.poll(() => records.filter((record) => (record.event as { id?: string }).id === eventId).length, { timeout: 10_000 }).toBe(1);
    const delivered = records.find((record) => (record.event as { id?: string }).id === eventId);
    expect(delivered?.logicalId).toBe('TaskStoppedFunction');
    expect(delivered?.invocationType).toBe('Event');
    expect(delivered?.event).toMatchObject({
      version: '0',
      'detail-type': 'ECS Task State Change',
      source: 'aws.ecs',
      account: ACCOUNT,
      time: '2026-03-02T11:22:53Z',
      region: 'us-east-1',
      resources: [`arn:aws:ecs:us-east-1:${ACCOUNT}:task/sessions/0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c`],
      detail: { lastStatus: 'STOPPED', clusterArn: CLUSTER },
    });
    expect(delivered?.execution).toMatchObject({ ok: true });
  });

  it('passes registry writes through the stream poller to RegistryStreamFunction: task items only, in order', async () => {
    const ddb = DynamoDBDocumentClient.from(new DynamoDBClient(cloud.clientConfig));
    const task = `arn:aws:ecs:us-east-1:${ACCOUNT}:task/sessions/5f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c`;
    const table = cloud.stack.tableName;
    await ddb.send(new PutCommand({ TableName: table, Item: { pk: task, sk: 'TASK', taskArn: task, clusterArn: CLUSTER, serviceTask: `-#${task}`, status: 'ACTIVE', sessionCount: 0 } }));
    for (let count = 1; count <= 3; count += 1) {
      await ddb.send(new PutCommand({ TableName: table, Item: { pk: task, sk: `SESSION#${count}` } }));
      await ddb.send(new UpdateCommand({ TableName: table, Key: { pk: task, sk: 'TASK' }, UpdateExpression: 'SET sessionCount = :count', ExpressionAttributeValues: { ':count': count } }));
    }

    const delivered = () =>
      invocationsOf('RegistryStreamFunction')
        .flatMap((record) => (record.event as DynamoDBStreamEvent).Records)
        .filter((record) => record.dynamodb?.Keys?.pk?.S === task);
    await expect.poll(() => delivered().length, { timeout: 10_000 }).toBe(4);

    expect(delivered().map((record) => record.dynamodb?.Keys?.sk?.S)).toEqual(['TASK', 'TASK', 'TASK', 'TASK']);
    expect(delivered().map((record) => record.dynamodb?.NewImage?.sessionCount?.N)).toEqual(['0', '1', '2', '3']);
    expect(delivered().map((record) => record.eventName)).toEqual(['INSERT', 'MODIFY', 'MODIFY', 'MODIFY']);
    expect(delivered()[1]).toMatchObject({ eventVersion: '1.1', eventSource: 'aws:dynamodb', eventSourceARN: cloud.stack.streamArn, dynamodb: { OldImage: { sessionCount: { N: '0' } } } });
    expect(cloud.streams.counters.filteredOut).toBeGreaterThanOrEqual(3);
  });

  it('retries a failing asynchronous invocation per EventInvokeConfig, then sends Lambda destination record to OnFailure', async () => {
    const sqs = new SQSClient(cloud.clientConfig);
    const failureQueue = cloud.stack.functions.DeploymentEventFunction?.eventInvokeConfig.onFailure;

    const eventId = await cloud.publish(sample('deployment-in-progress.json'));

    let record: Record<string, unknown> | undefined;
    for (let attempt = 0; attempt < 15 && record === undefined; attempt += 1) {
      const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: failureQueue?.url, WaitTimeSeconds: 1, MaxNumberOfMessages: 10 }));
      for (const message of Messages) {
        await sqs.send(new DeleteMessageCommand({ QueueUrl: failureQueue?.url, ReceiptHandle: message.ReceiptHandle }));
        const body = JSON.parse(message.Body ?? '{}') as { requestPayload?: { id?: string } };
        if (body.requestPayload?.id === eventId) record = body;
      }
    }
    const runs = invocationsOf('DeploymentEventFunction').filter((run) => (run.event as { id?: string }).id === eventId);
    expect(runs.map((run) => run.attempt)).toEqual([1, 2, 3]);
    expect(runs.every((run) => !run.execution.ok)).toBe(true);
    expect(record).toMatchObject({
      version: '1.0',
      requestContext: { functionArn: `${cloud.stack.functions.DeploymentEventFunction?.arn}:$LATEST`, condition: 'RetriesExhausted', approximateInvokeCount: 3 },
      requestPayload: { id: eventId, 'detail-type': 'ECS Deployment State Change' },
      responseContext: { statusCode: 200, functionError: 'Unhandled' },
      responsePayload: { errorType: 'AccessDeniedException' },
    });
  });

  it('invokes ReconcilerFunction on its schedule with the Scheduled Event envelope', async () => {
    const scheduled = () => invocationsOf('ReconcilerFunction').filter((record) => (record.event as { 'detail-type'?: string })['detail-type'] === 'Scheduled Event');

    await expect.poll(() => scheduled().length, { timeout: 10_000 }).toBeGreaterThanOrEqual(2);

    expect(scheduled()[0]?.event).toMatchObject({ source: 'aws.events', account: ACCOUNT, resources: [cloud.stack.schedules.ReconcilerFunctionEveryMinute?.arn], detail: {} });
    expect(scheduled()[0]?.execution).toMatchObject({ ok: true });
  });

  it('runs the drain workflow in moto, whose interpreter invokes the local functions through the gateway', async () => {
    const sfn = new SFNClient(cloud.clientConfig);
    const task = `arn:aws:ecs:us-east-1:${ACCOUNT}:task/sessions/6f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c`;
    const input = { cluster: CLUSTER, taskArn: task, reason: 'MANUAL', deadline: new Date(Date.now() + 60_000).toISOString() };

    const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: cloud.stack.stateMachineArn, name: 'drain-unregistered-1', input: JSON.stringify(input) }));

    await expect.poll(async () => (await sfn.send(new DescribeExecutionCommand({ executionArn }))).status, { timeout: 15_000, interval: 200 }).toBe('SUCCEEDED');
    const execution = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    expect(JSON.parse(execution.output ?? '{}')).toMatchObject({ outcome: 'TASK_GONE', taskArn: task });
    expect(cloud.gateway.counts().lambda[cloud.stack.functions.RecordDrainFunction?.name ?? '']).toBeGreaterThanOrEqual(1);
  });

  it('stops moto, the gateway and every worker', async () => {
    const { pid } = cloud.moto;
    expect(cloud.functions.workerCount()).toBeGreaterThan(0);

    await cloud.stop();

    expect(() => process.kill(pid, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
    expect(cloud.functions.workerCount()).toBe(0);
    await expect(fetch(`${cloud.endpoint}/`)).rejects.toThrow();
    expect(signalListeners()).toBe(listenersBefore);
  });
});
