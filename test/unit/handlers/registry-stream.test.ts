import { UpdateTaskProtectionCommand } from '@aws-sdk/client-ecs';
import { SendTaskFailureCommand, SendTaskSuccessCommand, TaskTimedOut } from '@aws-sdk/client-sfn';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { describe, expect, it, vi } from 'vitest';
import { FLUSH_RESERVE_MS, RECORDS_RESERVE_MS } from '../../../functions/core/registry-stream/batch.js';
import { handleStreamEvent } from '../../../functions/handlers/registry-stream.js';
import { CLUSTER_ARN, grantEveryProtection, makeTestDeps, NOW, OTHER_CLUSTER_ARN, TABLE_NAME, taskArn } from '../../support/deps.js';

const TASK_A = taskArn('aaaa');
const TASK_B = taskArn('bbbb');
const TASK_C = taskArn('cccc');
const TOKEN = 'token-of-the-waiting-step';
const EXECUTION_A = 'arn:aws:states:us-east-1:111122223333:execution:SessionDrain:drain-aaaa-1';
const EXECUTION_B = 'arn:aws:states:us-east-1:111122223333:execution:SessionDrain:drain-bbbb-1';
/** Task A's drain has armed its wait: the token is in the execution's wait item, never on the task item. */
const ARMED = { waitArmed: true, executionArn: EXECUTION_A };
const PROTECTED_UNTIL = new Date('2026-11-23T10:00:00Z');

type Image = Record<string, unknown>;

function task(arn: string, overrides: Image = {}): Image {
  return {
    pk: arn,
    sk: 'TASK',
    taskArn: arn,
    clusterArn: CLUSTER_ARN,
    serviceName: 'web',
    serviceTask: `web#${arn}`,
    status: 'ACTIVE',
    sessionCount: 0,
    heartbeatAt: 1_700_000_000,
    ...overrides,
  };
}

function record(sequenceNumber: string, oldImage: Image | undefined, newImage: Image | undefined): DynamoDBRecord {
  const key = (newImage ?? oldImage)!;
  return {
    eventID: `event-${sequenceNumber}`,
    eventName: oldImage === undefined ? 'INSERT' : newImage === undefined ? 'REMOVE' : 'MODIFY',
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: 'us-east-1',
    eventSourceARN: 'arn:aws:dynamodb:us-east-1:111122223333:table/SessionRegistry/stream/2026-11-21T00:00:00.000',
    dynamodb: {
      ApproximateCreationDateTime: 1_763_719_200,
      Keys: marshall({ pk: key.pk, sk: key.sk }) as never,
      ...(oldImage === undefined ? {} : { OldImage: marshall(oldImage, { removeUndefinedValues: true }) as never }),
      ...(newImage === undefined ? {} : { NewImage: marshall(newImage, { removeUndefinedValues: true }) as never }),
      SequenceNumber: sequenceNumber,
      SizeBytes: 100,
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    },
  };
}

function event(...records: DynamoDBRecord[]): DynamoDBStreamEvent {
  return { Records: records };
}

function protectAll(mocks: ReturnType<typeof makeTestDeps>['mocks']) {
  grantEveryProtection(mocks.ecs, PROTECTED_UNTIL);
  mocks.ddb.on(UpdateCommand).resolves({});
  // Before a release the handler re-reads the count; by default every task is still empty.
  mocks.ddb.on(GetCommand).resolves({ Item: { sessionCount: 0 } });
}

/** The wait item of `executionArn`, as ArmDrainWaitFunction stored it for `owner`. */
function waitItem(mocks: ReturnType<typeof makeTestDeps>['mocks'], executionArn: string, owner: string, taskToken = TOKEN) {
  mocks.ddb
    .on(GetCommand, { Key: { pk: `WAIT#${executionArn}`, sk: 'WAIT' } })
    .resolves({ Item: { pk: `WAIT#${executionArn}`, sk: 'WAIT', executionArn, taskArn: owner, taskToken, expiresAt: 1_800_000_000 } });
}

function throttled(): Error {
  return Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } });
}

describe('RegistryStreamFunction: drain completion', () => {
  it('resumes the waiting drain when the last session of a draining task closes', async () => {
    // prepare
    const { deps, mocks } = makeTestDeps();
    waitItem(mocks, EXECUTION_A, TASK_A);
    mocks.sfn.on(SendTaskSuccessCommand).resolves({});
    const before = task(TASK_A, { status: 'DRAINING', sessionCount: 1, ...ARMED });
    const after = task(TASK_A, { status: 'DRAINING', sessionCount: 0, ...ARMED });

    // act
    const response = await handleStreamEvent(deps, event(record('100', before, after)));

    // assert
    expect(mocks.sfn.commandCalls(SendTaskSuccessCommand).map((call) => call.args[0].input)).toEqual([
      { taskToken: TOKEN, output: JSON.stringify({ sessionsRemaining: 0 }) },
    ]);
    expect(mocks.ecs.commandCalls(UpdateTaskProtectionCommand)).toHaveLength(0);
    expect(response).toEqual({ batchItemFailures: [] });
  });

  it('resumes the drain when the wait is armed on a task whose count reached zero meanwhile', async () => {
    const { deps, mocks } = makeTestDeps();
    waitItem(mocks, EXECUTION_A, TASK_A);
    mocks.sfn.on(SendTaskSuccessCommand).resolves({});
    const before = task(TASK_A, { status: 'DRAINING', sessionCount: 0, executionArn: EXECUTION_A });
    const after = task(TASK_A, { status: 'DRAINING', sessionCount: 0, ...ARMED });

    await handleStreamEvent(deps, event(record('100', before, after)));

    expect(mocks.sfn.commandCalls(SendTaskSuccessCommand)).toHaveLength(1);
  });

  it('does not signal again when a later write touches the finished draining item', async () => {
    const { deps, mocks } = makeTestDeps();
    const before = task(TASK_A, { status: 'DRAINING', sessionCount: 0, ...ARMED });
    const after = task(TASK_A, { status: 'DRAINING', sessionCount: 0, ...ARMED, heartbeatAt: 1_700_000_060 });

    const response = await handleStreamEvent(deps, event(record('100', before, after)));

    expect(mocks.sfn.commandCalls(SendTaskSuccessCommand)).toHaveLength(0);
    expect(response.batchItemFailures).toEqual([]);
  });

  it('treats a wait that already timed out as done rather than failing the record', async () => {
    const { deps, mocks } = makeTestDeps();
    waitItem(mocks, EXECUTION_A, TASK_A);
    mocks.sfn.on(SendTaskSuccessCommand).rejects(new TaskTimedOut({ message: 'Task Timed Out', $metadata: {} }));
    const before = task(TASK_A, { status: 'DRAINING', sessionCount: 1, ...ARMED });
    const after = task(TASK_A, { status: 'DRAINING', sessionCount: 0, ...ARMED });

    const response = await handleStreamEvent(deps, event(record('100', before, after)));

    expect(mocks.sfn.commandCalls(SendTaskSuccessCommand)).toHaveLength(1);
    expect(response.batchItemFailures).toEqual([]);
  });

  it('fails the wait with TaskGone when a task stops while its drain waits', async () => {
    const { deps, mocks } = makeTestDeps();
    waitItem(mocks, EXECUTION_A, TASK_A);
    mocks.sfn.on(SendTaskFailureCommand).resolves({});
    const before = task(TASK_A, { status: 'DRAINING', sessionCount: 3, ...ARMED });
    const after = task(TASK_A, { status: 'STOPPED', sessionCount: 3, ...ARMED, expiresAt: 1_800_000_000 });

    const response = await handleStreamEvent(deps, event(record('100', before, after)));

    expect(mocks.sfn.commandCalls(SendTaskFailureCommand).map((call) => call.args[0].input)).toEqual([
      { taskToken: TOKEN, error: 'TaskGone', cause: 'the task stopped while its drain waited for sessions' },
    ]);
    expect(response.batchItemFailures).toEqual([]);
  });
});

describe('RegistryStreamFunction: waits a task cannot end for another task', () => {
  it("ends nothing when a task's own item names another task's drain, its wait and all", async () => {
    // prepare: task B's drain waits; task A writes B's execution and an armed wait into its own idle DRAINING item
    const { deps, mocks } = makeTestDeps();
    waitItem(mocks, EXECUTION_B, TASK_B);
    const forged = { waitArmed: true, executionArn: EXECUTION_B };

    // act
    const response = await handleStreamEvent(
      deps,
      event(record('100', task(TASK_A, { status: 'DRAINING', sessionCount: 1, ...forged }), task(TASK_A, { status: 'DRAINING', ...forged }))),
    );

    // assert: B's wait is read (it is B's) and left alone
    expect(mocks.ddb.commandCalls(GetCommand).map((call) => call.args[0].input)).toEqual([
      { TableName: TABLE_NAME, Key: { pk: `WAIT#${EXECUTION_B}`, sk: 'WAIT' }, ConsistentRead: true },
    ]);
    expect(mocks.sfn.calls()).toEqual([]);
    expect(response).toEqual({ batchItemFailures: [] });
  });

  it('ends nothing with a token a task copied into its own item: tokens are read from wait items only', async () => {
    // prepare: the old attack, a foreign token on the task's own DRAINING, empty item
    const { deps, mocks } = makeTestDeps();
    const copied = { taskToken: 'token-of-another-task', executionArn: EXECUTION_A };

    // act
    await handleStreamEvent(deps, event(record('100', task(TASK_A, { status: 'DRAINING', sessionCount: 1, ...copied }), task(TASK_A, { status: 'DRAINING', ...copied }))));

    // assert
    expect(mocks.sfn.calls()).toEqual([]);
  });

  it('fails no wait when a task stops with an armed mark its drain never set', async () => {
    const { deps, mocks } = makeTestDeps();
    mocks.ddb.on(GetCommand).resolves({});

    await handleStreamEvent(deps, event(record('100', task(TASK_A, { status: 'DRAINING', sessionCount: 1, ...ARMED }), task(TASK_A, { status: 'STOPPED', sessionCount: 1, ...ARMED }))));

    expect(mocks.sfn.calls()).toEqual([]);
  });
});

describe('RegistryStreamFunction: scale-in protection', () => {
  it('protects every task whose first session opened with one call per cluster and records the expiry', async () => {
    // prepare
    const { deps, mocks } = makeTestDeps();
    protectAll(mocks);
    const records = [
      record('1', task(TASK_A), task(TASK_A, { sessionCount: 1 })),
      record('2', task(TASK_B), task(TASK_B, { sessionCount: 1 })),
      record('3', task(TASK_C, { sessionCount: 1 }), task(TASK_C, { sessionCount: 2 })),
    ];

    // act
    const response = await handleStreamEvent(deps, event(...records));

    // assert
    expect(mocks.ecs.commandCalls(UpdateTaskProtectionCommand).map((call) => call.args[0].input)).toEqual([
      { cluster: CLUSTER_ARN, tasks: [TASK_A, TASK_B], protectionEnabled: true, expiresInMinutes: 2880 },
    ]);
    const writes = mocks.ddb.commandCalls(UpdateCommand).map((call) => call.args[0].input);
    expect(writes).toHaveLength(2);
    expect(writes[0]).toEqual({
      TableName: TABLE_NAME,
      Key: { pk: TASK_A, sk: 'TASK' },
      UpdateExpression: 'SET protectionState = :state, protectedUntil = :until',
      ConditionExpression:
        'attribute_exists(pk) AND sessionCount >= :one AND (attribute_not_exists(protectedUntil) OR protectedUntil <= :until)',
      ExpressionAttributeValues: { ':state': 'PROTECTED', ':until': PROTECTED_UNTIL.getTime() / 1000, ':one': 1 },
    });
    expect(response.batchItemFailures).toEqual([]);
  });

  it('releases protection when the last session of an active task closes', async () => {
    const { deps, mocks } = makeTestDeps();
    protectAll(mocks);

    await handleStreamEvent(
      deps,
      event(record('1', task(TASK_A, { sessionCount: 1, protectionState: 'PROTECTED' }), task(TASK_A, { protectionState: 'PROTECTED' }))),
    );

    expect(mocks.ecs.commandCalls(UpdateTaskProtectionCommand)[0]?.args[0].input).toEqual({
      cluster: CLUSTER_ARN,
      tasks: [TASK_A],
      protectionEnabled: false,
    });
    expect(mocks.ddb.commandCalls(UpdateCommand)[0]?.args[0].input).toEqual({
      TableName: TABLE_NAME,
      Key: { pk: TASK_A, sk: 'TASK' },
      UpdateExpression: 'SET protectionState = :state REMOVE protectedUntil',
      ConditionExpression: 'attribute_exists(pk) AND sessionCount <= :zero',
      ExpressionAttributeValues: { ':state': 'UNPROTECTED', ':zero': 0 },
    });
  });

  it('keeps protection when a session opened after the count reached 0 and before the release went out', async () => {
    const { deps, mocks } = makeTestDeps();
    protectAll(mocks);
    mocks.ddb.on(GetCommand, { Key: { pk: TASK_A, sk: 'TASK' } }).resolves({ Item: task(TASK_A, { sessionCount: 1, protectionState: 'PROTECTED' }) });

    await handleStreamEvent(
      deps,
      event(record('1', task(TASK_A, { sessionCount: 1, protectionState: 'PROTECTED' }), task(TASK_A, { protectionState: 'PROTECTED' }))),
    );

    expect(mocks.ddb.commandCalls(GetCommand)[0]?.args[0].input).toEqual({ TableName: TABLE_NAME, Key: { pk: TASK_A, sk: 'TASK' }, ConsistentRead: true });
    expect(mocks.ecs.commandCalls(UpdateTaskProtectionCommand)).toEqual([]);
    expect(mocks.ddb.commandCalls(UpdateCommand)).toEqual([]);
  });

  it('keeps the protection of a task whose drain is claimed but not yet marked DRAINING: the drain owns it', async () => {
    // prepare
    const { deps, mocks } = makeTestDeps();
    protectAll(mocks);
    const claimed = { protectionState: 'PROTECTED', drainAttempt: 1, drainReason: 'DEPLOYMENT', executionArn: 'arn:aws:states:us-east-1:111122223333:execution:SessionDrain:drain-aaaa-1' };
    mocks.ddb.on(GetCommand, { Key: { pk: TASK_A, sk: 'TASK' } }).resolves({ Item: task(TASK_A, claimed) });

    // act
    await handleStreamEvent(deps, event(record('1', task(TASK_A, { ...claimed, sessionCount: 1 }), task(TASK_A, claimed))));

    // assert
    expect(mocks.ecs.commandCalls(UpdateTaskProtectionCommand)).toEqual([]);
    expect(mocks.ddb.commandCalls(UpdateCommand)).toEqual([]);
  });

  it('protects the task again when a session opened while its release was on its way to ECS', async () => {
    // prepare: empty when read before the release, one session when read after it
    const { deps, mocks } = makeTestDeps();
    protectAll(mocks);
    mocks.ddb
      .on(GetCommand, { Key: { pk: TASK_A, sk: 'TASK' } })
      .resolvesOnce({ Item: task(TASK_A, { protectionState: 'PROTECTED' }) })
      .resolves({ Item: task(TASK_A, { sessionCount: 1 }) });

    // act
    await handleStreamEvent(
      deps,
      event(record('1', task(TASK_A, { sessionCount: 1, protectionState: 'PROTECTED' }), task(TASK_A, { protectionState: 'PROTECTED' }))),
    );

    // assert
    expect(mocks.ecs.commandCalls(UpdateTaskProtectionCommand).map((call) => call.args[0].input)).toEqual([
      { cluster: CLUSTER_ARN, tasks: [TASK_A], protectionEnabled: false },
      expect.objectContaining({ cluster: CLUSTER_ARN, tasks: [TASK_A], protectionEnabled: true }),
    ]);
  });

  it('decides nothing from its own protection writes, so they cannot loop', async () => {
    const { deps, mocks } = makeTestDeps();
    protectAll(mocks);
    const before = task(TASK_A, { sessionCount: 1 });
    const after = task(TASK_A, { sessionCount: 1, protectionState: 'PROTECTED', protectedUntil: 1_763_892_000 });

    await handleStreamEvent(deps, event(record('1', before, after)));

    expect(mocks.ecs.commandCalls(UpdateTaskProtectionCommand)).toHaveLength(0);
    expect(mocks.ddb.commandCalls(UpdateCommand)).toHaveLength(0);
  });

  it('keeps the protection of a draining task whose sessions fall to zero', async () => {
    const { deps, mocks } = makeTestDeps();
    protectAll(mocks);

    await handleStreamEvent(deps, event(record('1', task(TASK_A, { status: 'DRAINING', sessionCount: 1 }), task(TASK_A, { status: 'DRAINING' }))));

    expect(mocks.ecs.commandCalls(UpdateTaskProtectionCommand)).toHaveLength(0);
  });

  it('sends one unprotect call for a task that gained and lost its only session within the batch', async () => {
    const { deps, mocks } = makeTestDeps();
    protectAll(mocks);

    await handleStreamEvent(
      deps,
      event(record('1', task(TASK_A), task(TASK_A, { sessionCount: 1 })), record('2', task(TASK_A, { sessionCount: 1 }), task(TASK_A))),
    );

    expect(mocks.ecs.commandCalls(UpdateTaskProtectionCommand).map((call) => call.args[0].input)).toEqual([
      { cluster: CLUSTER_ARN, tasks: [TASK_A], protectionEnabled: false },
    ]);
  });

  it('marks a task BLOCKED and counts it when ECS blocks protection, without failing the batch', async () => {
    const { deps, mocks } = makeTestDeps();
    mocks.ecs.on(UpdateTaskProtectionCommand).resolves({ protectedTasks: [], failures: [{ arn: TASK_A, reason: 'DEPLOYMENT_BLOCKED' }] });
    mocks.ddb.on(UpdateCommand).resolves({});
    const addMetric = vi.spyOn(deps.metrics, 'addMetric');

    const response = await handleStreamEvent(deps, event(record('1', task(TASK_A), task(TASK_A, { sessionCount: 1 }))));

    expect(mocks.ddb.commandCalls(UpdateCommand)[0]?.args[0].input).toEqual({
      TableName: TABLE_NAME,
      Key: { pk: TASK_A, sk: 'TASK' },
      UpdateExpression: 'SET protectionState = :state',
      ConditionExpression: 'attribute_exists(pk) AND sessionCount >= :one',
      ExpressionAttributeValues: { ':state': 'BLOCKED', ':one': 1 },
    });
    expect(addMetric).toHaveBeenCalledWith('ProtectionBlocked', 'Count', 1);
    expect(response.batchItemFailures).toEqual([]);
  });

  it('counts a finished drain by outcome with its duration', async () => {
    const { deps, mocks } = makeTestDeps();
    mocks.ddb.on(UpdateCommand).resolves({});
    const executionArn = 'arn:aws:states:us-east-1:111122223333:execution:SessionDrain:drain-aaaa-1';
    const single = deps.metrics.singleMetric();
    vi.spyOn(deps.metrics, 'singleMetric').mockReturnValue(single);
    const addDimension = vi.spyOn(single, 'addDimension');
    const addSingleMetric = vi.spyOn(single, 'addMetric');
    const addMetric = vi.spyOn(deps.metrics, 'addMetric');
    const startedAt = Math.floor(NOW.getTime() / 1000) - 95;

    await handleStreamEvent(
      deps,
      event(
        record(
          '1',
          task(TASK_A, { status: 'DRAINING', drainStartedAt: startedAt, executionArn }),
          task(TASK_A, { status: 'STOPPING', drainStartedAt: startedAt, drainOutcome: 'DEADLINE_FORCED', executionArn }),
        ),
      ),
    );

    expect(addDimension).toHaveBeenCalledWith('outcome', 'DEADLINE_FORCED');
    expect(addSingleMetric).toHaveBeenCalledWith('DrainsCompleted', 'Count', 1);
    expect(addMetric).toHaveBeenCalledWith('DrainSeconds', 'Seconds', 95);
  });

  it('leaves tasks of clusters out of scope alone', async () => {
    const { deps, mocks } = makeTestDeps();
    protectAll(mocks);
    const other = taskArn('dddd', 'batch');

    await handleStreamEvent(
      deps,
      event(record('1', task(other, { clusterArn: OTHER_CLUSTER_ARN }), task(other, { clusterArn: OTHER_CLUSTER_ARN, sessionCount: 1 }))),
    );

    expect(mocks.ecs.commandCalls(UpdateTaskProtectionCommand)).toHaveLength(0);
  });

  it('does not protect standalone tasks, which scale-in never stops', async () => {
    const { deps, mocks } = makeTestDeps();
    protectAll(mocks);
    const standalone = { serviceName: undefined, serviceTask: `-#${TASK_A}` };

    await handleStreamEvent(deps, event(record('1', task(TASK_A, standalone), task(TASK_A, { ...standalone, sessionCount: 1 }))));

    expect(mocks.ecs.commandCalls(UpdateTaskProtectionCommand)).toHaveLength(0);
  });
});

describe('RegistryStreamFunction: failures and ordering', () => {
  it('reports a failed record and the later records of the same task, while other tasks go on', async () => {
    // prepare
    const { deps, mocks } = makeTestDeps();
    protectAll(mocks);
    waitItem(mocks, EXECUTION_A, TASK_A);
    mocks.sfn.on(SendTaskSuccessCommand).rejects(throttled());
    const records = [
      record('1', task(TASK_A, { status: 'DRAINING', sessionCount: 1, ...ARMED }), task(TASK_A, { status: 'DRAINING', ...ARMED })),
      record('2', task(TASK_B), task(TASK_B, { sessionCount: 1 })),
      record('3', task(TASK_A, { status: 'DRAINING', ...ARMED }), task(TASK_A, { status: 'STOPPED', ...ARMED })),
    ];

    // act
    const response = await handleStreamEvent(deps, event(...records));

    // assert
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: '1' }, { itemIdentifier: '3' }] });
    expect(mocks.sfn.commandCalls(SendTaskFailureCommand)).toHaveLength(0);
    expect(mocks.ecs.commandCalls(UpdateTaskProtectionCommand)[0]?.args[0].input.tasks).toEqual([TASK_B]);
  });

  it('reports every record behind a throttled protection call so the change is retried', async () => {
    const { deps, mocks } = makeTestDeps();
    mocks.ecs.on(UpdateTaskProtectionCommand).rejects(throttled());
    const records = [
      record('1', task(TASK_A), task(TASK_A, { sessionCount: 1 })),
      record('2', task(TASK_A, { sessionCount: 1 }), task(TASK_A, { sessionCount: 2 })),
      record('3', task(TASK_B), task(TASK_B, { sessionCount: 1 })),
    ];

    const response = await handleStreamEvent(deps, event(...records));

    expect(response.batchItemFailures.map((failure) => failure.itemIdentifier)).toEqual(['1', '2', '3']);
  });

  it('retries a protection change whose result could not be recorded', async () => {
    const { deps, mocks } = makeTestDeps();
    protectAll(mocks);
    mocks.ddb.on(UpdateCommand).rejects(Object.assign(new Error('throughput exceeded'), { name: 'ProvisionedThroughputExceededException' }));

    const response = await handleStreamEvent(deps, event(record('7', task(TASK_A), task(TASK_A, { sessionCount: 1 }))));

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: '7' }]);
  });

  it('does not fail the batch over a protection call ECS refuses outright; the reconciler heals it', async () => {
    const { deps, mocks } = makeTestDeps();
    mocks.ecs.on(UpdateTaskProtectionCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException', $metadata: { httpStatusCode: 400 } }));

    const response = await handleStreamEvent(deps, event(record('1', task(TASK_A), task(TASK_A, { sessionCount: 1 }))));

    expect(response.batchItemFailures).toEqual([]);
  });

  it('stops taking records when the invocation runs short of time and reports the rest for delivery again', async () => {
    // prepare: the first record completes a drain, and the time left falls below the reserve after it
    const { deps, mocks } = makeTestDeps();
    protectAll(mocks);
    waitItem(mocks, EXECUTION_A, TASK_A);
    let timeLeftMs = RECORDS_RESERVE_MS + 1;
    mocks.sfn.on(SendTaskSuccessCommand).callsFake(() => {
      timeLeftMs = RECORDS_RESERVE_MS - 1;
      return {};
    });
    const records = [
      record('1', task(TASK_A, { status: 'DRAINING', sessionCount: 1, ...ARMED }), task(TASK_A, { status: 'DRAINING', ...ARMED })),
      record('2', task(TASK_B), task(TASK_B, { sessionCount: 1 })),
      record('3', task(TASK_C), task(TASK_C, { sessionCount: 1 })),
      record('4', task(TASK_A, { status: 'DRAINING', ...ARMED }), task(TASK_A, { status: 'STOPPED', ...ARMED })),
    ];

    // act
    const response = await handleStreamEvent(deps, event(...records), () => timeLeftMs);

    // assert: the drain was completed once, nothing after it was acted on, and all of it comes again
    expect(mocks.sfn.commandCalls(SendTaskSuccessCommand)).toHaveLength(1);
    expect(mocks.sfn.commandCalls(SendTaskFailureCommand)).toHaveLength(0);
    expect(mocks.ecs.commandCalls(UpdateTaskProtectionCommand)).toHaveLength(0);
    expect(response.batchItemFailures.map((failure) => failure.itemIdentifier)).toEqual(['2', '3', '4']);
  });

  it('sends no further protection batch once the invocation runs short of time, and has those records delivered again', async () => {
    // prepare: 25 tasks' first sessions; the time left falls below the flush reserve during the first ECS call
    const { deps, mocks } = makeTestDeps();
    protectAll(mocks);
    let timeLeftMs = RECORDS_RESERVE_MS + 1;
    mocks.ecs.on(UpdateTaskProtectionCommand).callsFake((input: { tasks: string[] }) => {
      timeLeftMs = FLUSH_RESERVE_MS - 1;
      return { protectedTasks: input.tasks.map((arn) => ({ taskArn: arn, protectionEnabled: true, expirationDate: PROTECTED_UNTIL })) };
    });
    const tasks = Array.from({ length: 25 }, (_, index) => taskArn(`t${index}`));
    const records = tasks.map((arn, index) => record(String(index + 1), task(arn), task(arn, { sessionCount: 1 })));

    // act
    const response = await handleStreamEvent(deps, event(...records), () => timeLeftMs);

    // assert: the first ten were protected and recorded; the other fifteen come again
    expect(mocks.ecs.commandCalls(UpdateTaskProtectionCommand).map((call) => call.args[0].input.tasks)).toEqual([tasks.slice(0, 10)]);
    expect(response.batchItemFailures.map((failure) => failure.itemIdentifier)).toEqual(records.slice(10).map((one) => one.dynamodb?.SequenceNumber));
  });

  it('ignores session items and skips unreadable records without failing them', async () => {
    const { deps, mocks } = makeTestDeps();
    const session = { pk: TASK_A, sk: 'SESSION#s1', sessionId: 's1', openedAt: 1, expiresAt: 2 };
    const broken = record('2', undefined, task(TASK_B, { status: 'SLEEPING' }));

    const response = await handleStreamEvent(deps, event(record('1', undefined, session), broken));

    expect(mocks.ecs.calls()).toHaveLength(0);
    expect(mocks.sfn.calls()).toHaveLength(0);
    expect(response.batchItemFailures).toEqual([]);
  });
});
