import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { CreateQueueCommand, DeleteMessageCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UnsupportedFilterError } from '../../../cloud/errors.js';
import { FunctionHost, type InvocationRecord } from '../../../cloud/lambda/host.js';
import type { QueueRef, StreamMappingSpec } from '../../../cloud/stack/model.js';
import { StreamPoller } from '../../../cloud/dynamodb-streams/poller.js';
import { motoClientConfig, uniqueName } from '../../../../test/support/aws.js';
import { createRegistryTable, type RegistryTable } from '../../../../test/support/registry-table.js';
import { fixtureFunction, fixtureStack, temporaryDirectory } from './fixtures/fixture-stack.js';

/*
 * The event source mapping emulation on moto's DynamoDB Streams, with fixture functions whose
 * failures the test decides: filtering, batching, ReportBatchItemFailures, bisection, retries and
 * the OnFailure destination.
 */

const config = motoClientConfig();

async function queue(sqs: SQSClient, prefix: string): Promise<QueueRef> {
  const name = uniqueName(prefix);
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name }));
  return { logicalId: prefix, name, arn: `arn:aws:sqs:us-east-1:123456789012:${name}`, url: QueueUrl as string };
}

async function nextMessage(sqs: SQSClient, destination: QueueRef): Promise<Record<string, unknown>> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: destination.url, WaitTimeSeconds: 1, MaxNumberOfMessages: 1 }));
    const message = Messages[0];
    if (message) {
      await sqs.send(new DeleteMessageCommand({ QueueUrl: destination.url, ReceiptHandle: message.ReceiptHandle }));
      return JSON.parse(message.Body ?? '{}') as Record<string, unknown>;
    }
  }
  throw new Error(`nothing arrived in ${destination.name}`);
}

function mapping(functionLogicalId: string, table: RegistryTable, overrides: Partial<StreamMappingSpec>): StreamMappingSpec {
  return {
    functionLogicalId,
    functionArn: `arn:aws:lambda:us-east-1:123456789012:function:fixture-${functionLogicalId}`,
    eventId: 'Changes',
    streamArn: table.streamArn as string,
    startingPosition: 'LATEST',
    batchSize: 10,
    maximumBatchingWindowInSeconds: 1,
    maximumRetryAttempts: 2,
    maximumRecordAgeInSeconds: -1,
    bisectBatchOnFunctionError: false,
    reportBatchItemFailures: false,
    filterPatterns: [],
    ...overrides,
  };
}

/** Whether the function handled the whole batch (no error, no batch item failures). */
function succeeded(execution: InvocationRecord['execution']): boolean {
  if (!execution.ok) return false;
  const failures = (JSON.parse(execution.payload) as { batchItemFailures?: unknown[] } | null)?.batchItemFailures ?? [];
  return failures.length === 0;
}

/** The items (pk) of each batch the function received, in order, and whether it succeeded. */
function batches(records: InvocationRecord[], logicalId: string): Array<{ items: string[]; ok: boolean }> {
  return records
    .filter((record) => record.logicalId === logicalId)
    .map((record) => ({
      items: (record.event as DynamoDBStreamEvent).Records.map((item) => item.dynamodb?.Keys?.pk?.S ?? ''),
      ok: succeeded(record.execution),
    }));
}

describe('the registry stream poller', () => {
  let table: RegistryTable;
  let host: FunctionHost;
  let poller: StreamPoller;
  let sqs: SQSClient;
  let reportQueue: QueueRef;
  let bisectQueue: QueueRef;
  let checkpointQueue: QueueRef;
  const records: InvocationRecord[] = [];

  beforeAll(async () => {
    sqs = new SQSClient(config);
    table = await createRegistryTable('stream-poller');
    reportQueue = await queue(sqs, 'report-failures');
    bisectQueue = await queue(sqs, 'bisect-failures');
    checkpointQueue = await queue(sqs, 'checkpoint-failures');
    const functions = [fixtureFunction('Report', 'streamHandler'), fixtureFunction('Bisect', 'throwingStreamHandler'), fixtureFunction('Checkpoint', 'streamHandler')];
    const stack = fixtureStack(functions, {
      streamMappings: {
        Report: mapping('Report', table, {
          reportBatchItemFailures: true,
          filterPatterns: [{ dynamodb: { Keys: { sk: { S: ['TASK'] } }, NewImage: { kind: { S: ['report'] } } } }],
          onFailure: reportQueue,
        }),
        Bisect: mapping('Bisect', table, {
          bisectBatchOnFunctionError: true,
          maximumRetryAttempts: 1,
          filterPatterns: [{ dynamodb: { NewImage: { kind: { S: ['bisect'] } } } }],
          onFailure: bisectQueue,
        }),
        Checkpoint: mapping('Checkpoint', table, {
          batchSize: 2,
          reportBatchItemFailures: true,
          filterPatterns: [{ dynamodb: { NewImage: { kind: { S: ['checkpoint'] } } } }],
          onFailure: checkpointQueue,
        }),
      },
    });
    host = await FunctionHost.start({ stack, endpoint: config.endpoint, sqsEndpoint: config.endpoint, buildDir: temporaryDirectory('build'), logDir: temporaryDirectory('logs') });
    host.onInvocation((record) => records.push(record));
    poller = new StreamPoller({ stack, streams: new DynamoDBStreamsClient(config), sqs, functions: host, retryDelayMs: 20 });
    await poller.start();
  });

  afterAll(async () => {
    await poller?.stop();
    await host?.stop();
  });

  it('retries a batch from its first failed record, then describes what still fails to OnFailure and moves on', async () => {
    const put = (pk: string, sk: string, outcome: string) => ({ Put: { TableName: table.tableName, Item: { pk, sk, kind: 'report', outcome } } });
    await table.ddb.send(
      new TransactWriteCommand({ TransactItems: [put('r1', 'TASK', 'ok'), put('r1', 'SESSION#1', 'fail'), put('r2', 'TASK', 'fail'), put('r3', 'TASK', 'ok')] }),
    );

    const failure = await nextMessage(sqs, reportQueue);
    await table.ddb.send(new TransactWriteCommand({ TransactItems: [put('r4', 'TASK', 'ok')] }));
    await expect.poll(() => batches(records, 'Report').at(-1)?.items, { timeout: 10_000 }).toEqual(['r4']);

    expect(batches(records, 'Report')).toEqual([
      { items: ['r1', 'r2', 'r3'], ok: false },
      { items: ['r2', 'r3'], ok: false },
      { items: ['r2', 'r3'], ok: false },
      { items: ['r4'], ok: true },
    ]);
    const first = (records.find((record) => record.logicalId === 'Report')?.event as DynamoDBStreamEvent).Records;
    expect(failure).toMatchObject({
      requestContext: { functionArn: 'arn:aws:lambda:us-east-1:123456789012:function:fixture-Report', condition: 'RetryAttemptsExhausted', approximateInvokeCount: 3 },
      version: '1.0',
      DDBStreamBatchInfo: {
        startSequenceNumber: first[1]?.dynamodb?.SequenceNumber,
        endSequenceNumber: first[2]?.dynamodb?.SequenceNumber,
        batchSize: 2,
        streamArn: table.streamArn,
      },
    });
    expect(first[0]).toMatchObject({
      eventName: 'INSERT',
      eventVersion: '1.1',
      eventSource: 'aws:dynamodb',
      awsRegion: 'us-east-1',
      eventSourceARN: table.streamArn,
      dynamodb: { Keys: { pk: { S: 'r1' }, sk: { S: 'TASK' } }, NewImage: { outcome: { S: 'ok' } }, StreamViewType: 'NEW_AND_OLD_IMAGES', ApproximateCreationDateTime: expect.any(Number) },
    });
  });

  it("delivers again, after a partial failure, the batch's records from the lowest failed one, other items' included, and none beyond the batch", async () => {
    // prepare: four records buffered together; the mapping takes two at a time
    const put = (pk: string, outcome: string) => ({ Put: { TableName: table.tableName, Item: { pk, sk: 'TASK', kind: 'checkpoint', outcome } } });
    await table.ddb.send(new TransactWriteCommand({ TransactItems: [put('c1', 'ok'), put('c2', 'fail'), put('c3', 'ok'), put('c4', 'ok')] }));

    // act
    const failure = await nextMessage(sqs, checkpointQueue);
    await expect.poll(() => batches(records, 'Checkpoint').at(-1)?.items, { timeout: 10_000 }).toEqual(['c3', 'c4']);

    // assert: c2 alone is retried and given up; c3 never rides along with it, so it is not given up with it
    expect(batches(records, 'Checkpoint')).toEqual([
      { items: ['c1', 'c2'], ok: false },
      { items: ['c2'], ok: false },
      { items: ['c2'], ok: false },
      { items: ['c3', 'c4'], ok: true },
    ]);
    const second = (records.filter((record) => record.logicalId === 'Checkpoint')[0]?.event as DynamoDBStreamEvent).Records[1];
    expect(failure).toMatchObject({
      requestContext: { condition: 'RetryAttemptsExhausted', approximateInvokeCount: 3 },
      DDBStreamBatchInfo: { startSequenceNumber: second?.dynamodb?.SequenceNumber, endSequenceNumber: second?.dynamodb?.SequenceNumber, batchSize: 1 },
    });
  });

  it('counts retries per batch: a failure that moves on at each delivery still ends after MaximumRetryAttempts', async () => {
    // prepare: each "fail-unless-first" record fails unless it heads the batch, so the checkpoint moves by one each time
    const before = records.filter((record) => record.logicalId === 'Report').length;
    const put = (pk: string, outcome: string) => ({ Put: { TableName: table.tableName, Item: { pk, sk: 'TASK', kind: 'report', outcome } } });
    await table.ddb.send(
      new TransactWriteCommand({ TransactItems: [put('m1', 'ok'), put('m2', 'fail-unless-first'), put('m3', 'fail-unless-first'), put('m4', 'fail-unless-first')] }),
    );

    // act
    const failure = await nextMessage(sqs, reportQueue);
    await table.ddb.send(new TransactWriteCommand({ TransactItems: [put('m5', 'ok')] }));
    await expect.poll(() => batches(records, 'Report').at(-1)?.items, { timeout: 10_000 }).toEqual(['m5']);

    // assert: the first delivery and MaximumRetryAttempts (2) retries, then the rest to OnFailure
    expect(batches(records, 'Report').slice(before)).toEqual([
      { items: ['m1', 'm2', 'm3', 'm4'], ok: false },
      { items: ['m2', 'm3', 'm4'], ok: false },
      { items: ['m3', 'm4'], ok: false },
      { items: ['m5'], ok: true },
    ]);
    expect(failure).toMatchObject({ requestContext: { condition: 'RetryAttemptsExhausted', approximateInvokeCount: 3 }, DDBStreamBatchInfo: { batchSize: 1 } });
  });

  it('splits a batch that fails as a whole until the failing record stands alone, and skips only that one', async () => {
    const put = (pk: string, outcome: string) => ({ Put: { TableName: table.tableName, Item: { pk, sk: 'TASK', kind: 'bisect', outcome } } });
    await table.ddb.send(new TransactWriteCommand({ TransactItems: [put('b1', 'ok'), put('b2', 'throw'), put('b3', 'ok'), put('b4', 'ok')] }));

    const failure = await nextMessage(sqs, bisectQueue);
    await expect.poll(() => batches(records, 'Bisect').some((batch) => batch.ok && batch.items.includes('b4')), { timeout: 10_000 }).toBe(true);

    const handled = batches(records, 'Bisect');
    expect(handled.filter((batch) => batch.ok).flatMap((batch) => batch.items)).toEqual(['b1', 'b3', 'b4']);
    expect(handled.filter((batch) => !batch.ok && batch.items.length === 1)).toEqual([
      { items: ['b2'], ok: false },
      { items: ['b2'], ok: false },
    ]);
    expect(failure).toMatchObject({ requestContext: { condition: 'RetryAttemptsExhausted' }, DDBStreamBatchInfo: { batchSize: 1 } });
  });

  it('refuses at start a filter operator it does not implement', () => {
    const stack = fixtureStack([fixtureFunction('Report', 'streamHandler')], {
      streamMappings: { Report: mapping('Report', table, { filterPatterns: [{ dynamodb: { Keys: { sk: { S: [{ prefix: 'TASK' }] } } } }] }) },
    });

    expect(() => new StreamPoller({ stack, streams: new DynamoDBStreamsClient(config), sqs, functions: host })).toThrow(UnsupportedFilterError);
    expect(() => new StreamPoller({ stack, streams: new DynamoDBStreamsClient(config), sqs, functions: host })).toThrow(/"prefix" at dynamodb\.Keys\.sk\.S/);
  });
});
