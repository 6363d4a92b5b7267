import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type _Record as StreamRecord,
} from '@aws-sdk/client-dynamodb-streams';
import { UpdateTaskProtectionCommand } from '@aws-sdk/client-ecs';
import { InvalidToken, SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { armDrainWait } from '../../functions/registry/tasks/drain.js';
import { storeDrainWait } from '../../functions/registry/tasks/waits.js';
import { handleStreamEvent } from '../../functions/handlers/registry-stream.js';
import { taskKey } from '../../functions/registry/model.js';
import { closeSession, openSession, readTask, registerTask, type RegistryWriter } from '@ecs-session-drain/agent/registry';
import type { Deps } from '../../functions/shared/deps.js';
import { motoClientConfig, uniqueName } from '../support/aws.js';
import { CLUSTER_ARN, grantEveryProtection, makeTestDeps, NOW, taskArn } from '../support/deps.js';
import { createRegistryTable } from '../support/registry-table.js';

/**
 * The registry's stream as Lambda would deliver it: real DynamoDB writes (registerTask,
 * openSession, closeSession) on moto, records read back through the DynamoDB Streams API, and the
 * stream handler fed with them. ECS and Step Functions are mocked (moto's ECS has no protection).
 */

const PROTECTED_UNTIL = new Date(NOW.getTime() + 48 * 3600_000);

async function createStreamedRegistryTable(): Promise<{ tableName: string; streamArn: string; ddb: DynamoDBDocumentClient }> {
  const table = await createRegistryTable('registry-stream');
  if (table.streamArn === undefined) throw new Error('moto created the registry table without a stream');
  return { tableName: table.tableName, streamArn: table.streamArn, ddb: table.ddb };
}

/**
 * Reads a stream from its start and, on every later call, only what was written since. Each call
 * asks for a fresh iterator after the last sequence number seen, rather than following
 * NextShardIterator: moto replaces its shard object when it rolls back a cancelled transaction,
 * which leaves an older iterator reading a shard nobody writes to any more.
 */
class StreamTail {
  private readonly client = new DynamoDBStreamsClient(motoClientConfig());
  private readonly lastSeen = new Map<string, string>();

  constructor(private readonly streamArn: string) {}

  async next(): Promise<DynamoDBStreamEvent> {
    const stream = await this.client.send(new DescribeStreamCommand({ StreamArn: this.streamArn }));
    const records: DynamoDBRecord[] = [];
    for (const shard of stream.StreamDescription?.Shards ?? []) {
      const shardId = shard.ShardId!;
      const after = this.lastSeen.get(shardId);
      const { ShardIterator } = await this.client.send(
        new GetShardIteratorCommand({
          StreamArn: this.streamArn,
          ShardId: shardId,
          ...(after === undefined
            ? { ShardIteratorType: 'TRIM_HORIZON' }
            : { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: after }),
        }),
      );
      const page = await this.client.send(new GetRecordsCommand({ ShardIterator: ShardIterator! }));
      for (const record of page.Records ?? []) {
        records.push(this.asLambdaRecord(record));
        this.lastSeen.set(shardId, record.dynamodb!.SequenceNumber!);
      }
    }
    return { Records: records };
  }

  /** What the Lambda event source mapping adds to a GetRecords record. */
  private asLambdaRecord(record: StreamRecord): DynamoDBRecord {
    const created = record.dynamodb?.ApproximateCreationDateTime;
    return {
      ...(record as DynamoDBRecord),
      eventSourceARN: this.streamArn,
      dynamodb: {
        ...(record.dynamodb as DynamoDBRecord['dynamodb']),
        ...(created === undefined ? {} : { ApproximateCreationDateTime: Math.floor(new Date(created).getTime() / 1000) }),
      },
    };
  }
}

describe('registry stream on moto DynamoDB', () => {
  let tableName: string;
  let streamArn: string;
  let ddb: DynamoDBDocumentClient;
  let writer: RegistryWriter;

  beforeAll(async () => {
    ({ tableName, streamArn, ddb } = await createStreamedRegistryTable());
    writer = { ddb, tableName, now: () => new Date() };
  });

  let deps: Deps;
  let mocks: ReturnType<typeof makeTestDeps>['mocks'];
  let tail: StreamTail;

  beforeEach(async () => {
    const made = makeTestDeps({ config: { tableName } });
    // Real DynamoDB for the protection records; mocked ECS and Step Functions.
    deps = { ...made.deps, ddb };
    mocks = made.mocks;
    grantEveryProtection(mocks.ecs, PROTECTED_UNTIL);
    mocks.sfn.on(SendTaskSuccessCommand).resolves({});
    tail = new StreamTail(streamArn);
    await tail.next(); // skip what earlier tests wrote
  });

  const protectionCalls = () => mocks.ecs.commandCalls(UpdateTaskProtectionCommand).map((call) => call.args[0].input);

  it('protects a service task at its first session, releases it at its last, and does not react to its own writes', async () => {
    // prepare: a task registers and two sessions open, one of them retried
    const task = taskArn(uniqueName('protect'));
    await registerTask(writer, { taskArn: task, clusterArn: CLUSTER_ARN, serviceName: 'web' });
    expect(await openSession(writer, task, 's1')).toBe('opened');
    expect(await openSession(writer, task, 's2')).toBe('opened');
    expect(await openSession(writer, task, 's1')).toBe('already-open');

    // act 1
    const opened = await handleStreamEvent(deps, await tail.next());

    // assert 1: one protect call, recorded on the item
    expect(opened.batchItemFailures).toEqual([]);
    expect(protectionCalls()).toEqual([{ cluster: CLUSTER_ARN, tasks: [task], protectionEnabled: true, expiresInMinutes: 2880 }]);
    expect(await readTask(writer, task)).toMatchObject({
      sessionCount: 2,
      protectionState: 'PROTECTED',
      protectedUntil: PROTECTED_UNTIL.getTime() / 1000,
    });

    // prepare 2: the sessions close, one close retried
    mocks.ecs.resetHistory();
    expect(await closeSession(writer, task, 's1')).toBe('closed');
    expect(await closeSession(writer, task, 's1')).toBe('not-open');
    expect(await closeSession(writer, task, 's2')).toBe('closed');

    // act 2: the batch also holds the stream record of the PROTECTED write
    const closed = await handleStreamEvent(deps, await tail.next());

    // assert 2
    expect(closed.batchItemFailures).toEqual([]);
    expect(protectionCalls()).toEqual([{ cluster: CLUSTER_ARN, tasks: [task], protectionEnabled: false }]);
    const released = await readTask(writer, task);
    expect(released).toMatchObject({ sessionCount: 0, protectionState: 'UNPROTECTED' });
    expect(released?.protectedUntil).toBeUndefined();

    // act 3: the UNPROTECTED write comes back through the stream and decides nothing
    mocks.ecs.resetHistory();
    const echo = await tail.next();
    expect(echo.Records).toHaveLength(1);
    await handleStreamEvent(deps, echo);
    expect(protectionCalls()).toEqual([]);
  });

  it('resumes the waiting drain once the last session closes, and tolerates redelivery', async () => {
    // prepare: a busy task whose drain waits with a token
    const task = taskArn(uniqueName('drain'));
    await registerTask(writer, { taskArn: task, clusterArn: CLUSTER_ARN, serviceName: 'web' });
    await openSession(writer, task, 'x');
    await handleStreamEvent(deps, await tail.next());
    mocks.ecs.resetHistory();
    const executionArn = `arn:aws:states:us-east-1:111122223333:execution:SessionDrain:drain-${task.slice(task.lastIndexOf('/') + 1)}-1`;
    await ddb.send(
      new UpdateCommand({
        TableName: tableName,
        Key: taskKey(task),
        UpdateExpression: 'SET #status = :draining, executionArn = :execution',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':draining': 'DRAINING', ':execution': executionArn },
      }),
    );
    // What ArmDrainWaitFunction does: the token into the execution's wait item, then the item marked armed.
    await storeDrainWait({ ddb, tableName }, { executionArn, taskArn: task, taskToken: 'token-x', expiresAt: 1_900_000_000 });
    expect((await armDrainWait({ ddb, tableName }, task, executionArn)).applied).toBe(true);

    // act
    expect(await openSession(writer, task, 'y')).toBe('refused-not-active');
    expect(await closeSession(writer, task, 'x')).toBe('closed');
    expect(await closeSession(writer, task, 'x')).toBe('not-open');
    const batch = await tail.next();
    const first = await handleStreamEvent(deps, batch);

    // assert
    expect(first.batchItemFailures).toEqual([]);
    expect(mocks.sfn.commandCalls(SendTaskSuccessCommand).map((call) => call.args[0].input)).toEqual([
      { taskToken: 'token-x', output: JSON.stringify({ sessionsRemaining: 0 }) },
    ]);
    expect(protectionCalls()).toEqual([]);
    expect(await readTask(writer, task)).toMatchObject({ status: 'DRAINING', sessionCount: 0 });

    // redelivery of the same batch: the used token is refused and that is fine
    mocks.sfn.on(SendTaskSuccessCommand).rejects(new InvalidToken({ message: 'Invalid token', $metadata: {} }));
    const again = await handleStreamEvent(deps, batch);
    expect(again.batchItemFailures).toEqual([]);
  });

  it('counts each session once under concurrent retries and never below zero', async () => {
    const task = taskArn(uniqueName('count'));
    await registerTask(writer, { taskArn: task, clusterArn: CLUSTER_ARN, serviceName: 'web' });

    const opens = await Promise.all(Array.from({ length: 5 }, () => openSession(writer, task, 'same')));
    expect(opens.filter((result) => result === 'opened')).toHaveLength(1);
    expect((await readTask(writer, task))?.sessionCount).toBe(1);

    const closes = await Promise.all(Array.from({ length: 5 }, () => closeSession(writer, task, 'same')));
    expect(closes.filter((result) => result === 'closed')).toHaveLength(1);
    expect(await closeSession(writer, task, 'never-opened')).toBe('not-open');
    expect((await readTask(writer, task))?.sessionCount).toBe(0);
    expect(await openSession(writer, taskArn(uniqueName('unknown')), 's')).toBe('unknown-task');
  });
});
