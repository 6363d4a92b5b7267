import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { DescribeExecutionCommand, ExecutionAlreadyExists, ExecutionDoesNotExist, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { executionArnFor, resolveDeadline, startClaimedDrain, startDrain } from '../../../../functions/core/drain/start.js';
import type { TaskItem } from '../../../../functions/registry/model.js';
import { CLUSTER_ARN, makeTestDeps, NOW, STATE_MACHINE_ARN, TABLE_NAME, taskArn } from '../../../support/deps.js';

const TASK = taskArn('0123456789abcdef0123456789abcdef');
const EXECUTION_1 = `arn:aws:states:us-east-1:111122223333:execution:SessionDrain:drain-0123456789abcdef0123456789abcdef-1`;
const EXECUTION_2 = `arn:aws:states:us-east-1:111122223333:execution:SessionDrain:drain-0123456789abcdef0123456789abcdef-2`;

function activeTask(overrides: Partial<TaskItem> = {}): TaskItem {
  return {
    pk: TASK,
    sk: 'TASK',
    taskArn: TASK,
    clusterArn: CLUSTER_ARN,
    serviceTask: `web#${TASK}`,
    serviceName: 'web',
    sessionCount: 3,
    status: 'ACTIVE',
    ...overrides,
  };
}

describe('startDrain', () => {
  it('claims the first attempt and starts an execution named after the task and attempt', async () => {
    // prepare
    const { deps, mocks } = makeTestDeps();
    mocks.ddb.on(GetCommand).resolves({ Item: activeTask() });
    mocks.ddb.on(UpdateCommand).resolves({});
    mocks.sfn.on(StartExecutionCommand).resolves({ executionArn: EXECUTION_1, startDate: NOW });

    // act
    const result = await startDrain(deps, { clusterArn: CLUSTER_ARN, taskArn: TASK, reason: 'DEPLOYMENT' });

    // assert
    expect(result).toEqual({ status: 'started', executionArn: EXECUTION_1, attempt: 1 });
    expect(mocks.ddb.commandCalls(UpdateCommand)[0]?.args[0].input).toEqual({
      TableName: TABLE_NAME,
      Key: { pk: TASK, sk: 'TASK' },
      // The reason and the cleared outcome make the claim an open drain at once (hasUnfinishedDrain).
      UpdateExpression: 'SET drainAttempt = :attempt, executionArn = :executionArn, drainReason = :reason REMOVE drainOutcome, cancelledBy',
      ConditionExpression: '(attribute_not_exists(drainAttempt) OR drainAttempt = :previous) AND #status IN (:active, :draining)',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':attempt': 1,
        ':previous': 0,
        ':executionArn': EXECUTION_1,
        ':reason': 'DEPLOYMENT',
        ':active': 'ACTIVE',
        ':draining': 'DRAINING',
      },
    });
    expect(mocks.sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input).toEqual({
      stateMachineArn: STATE_MACHINE_ARN,
      name: 'drain-0123456789abcdef0123456789abcdef-1',
      input: JSON.stringify({
        cluster: CLUSTER_ARN,
        taskArn: TASK,
        service: 'web',
        reason: 'DEPLOYMENT',
        deadline: '2026-11-21T11:00:00.000Z',
      }),
    });
  });

  it('does nothing for a duplicate event while the first drain is still running', async () => {
    const { deps, mocks } = makeTestDeps();
    mocks.ddb.on(GetCommand).resolves({ Item: activeTask({ status: 'DRAINING', drainAttempt: 1, executionArn: EXECUTION_1 }) });
    mocks.sfn.on(DescribeExecutionCommand).resolves({ status: 'RUNNING' });

    const result = await startDrain(deps, { clusterArn: CLUSTER_ARN, taskArn: TASK, reason: 'DEPLOYMENT' });

    expect(result).toEqual({ status: 'already-draining', executionArn: EXECUTION_1 });
    expect(mocks.ddb.commandCalls(UpdateCommand)).toHaveLength(0);
    expect(mocks.sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('starts the claimed attempt again when the invocation that claimed it died before StartExecution', async () => {
    const { deps, mocks } = makeTestDeps();
    mocks.ddb.on(GetCommand).resolves({ Item: activeTask({ drainAttempt: 1, executionArn: EXECUTION_1 }) });
    mocks.sfn.on(DescribeExecutionCommand).rejects(new ExecutionDoesNotExist({ message: 'missing', $metadata: {} }));
    mocks.sfn.on(StartExecutionCommand).resolves({ executionArn: EXECUTION_1, startDate: NOW });

    const result = await startDrain(deps, { clusterArn: CLUSTER_ARN, taskArn: TASK, reason: 'SPOT' });

    expect(result).toEqual({ status: 'started', executionArn: EXECUTION_1, attempt: 1 });
    expect(mocks.ddb.commandCalls(UpdateCommand)).toHaveLength(0);
    expect(mocks.sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input.name).toBe('drain-0123456789abcdef0123456789abcdef-1');
  });

  it('opens a new attempt once the previous drain of the task has closed', async () => {
    const { deps, mocks } = makeTestDeps();
    mocks.ddb.on(GetCommand).resolves({ Item: activeTask({ drainAttempt: 1, executionArn: EXECUTION_1 }) });
    mocks.sfn.on(DescribeExecutionCommand).resolves({ status: 'SUCCEEDED' });
    mocks.ddb.on(UpdateCommand).resolves({});
    mocks.sfn.on(StartExecutionCommand).resolves({ executionArn: EXECUTION_2, startDate: NOW });

    const result = await startDrain(deps, { clusterArn: CLUSTER_ARN, taskArn: TASK, reason: 'MANUAL' });

    expect(result).toEqual({ status: 'started', executionArn: EXECUTION_2, attempt: 2 });
    expect(mocks.ddb.commandCalls(UpdateCommand)[0]?.args[0].input.ExpressionAttributeValues).toMatchObject({
      ':attempt': 2,
      ':previous': 1,
      ':executionArn': EXECUTION_2,
      ':reason': 'MANUAL',
    });
  });

  it('treats a lost race for the claim as a drain someone else started', async () => {
    const { deps, mocks } = makeTestDeps();
    mocks.ddb.on(GetCommand).resolves({ Item: activeTask() });
    mocks.ddb.on(UpdateCommand).rejects(new ConditionalCheckFailedException({ message: 'lost', $metadata: {} }));

    const result = await startDrain(deps, { clusterArn: CLUSTER_ARN, taskArn: TASK, reason: 'DEPLOYMENT' });

    expect(result).toEqual({ status: 'already-draining' });
    expect(mocks.sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('treats ExecutionAlreadyExists as the same drain started by a duplicate', async () => {
    const { deps, mocks } = makeTestDeps();
    mocks.ddb.on(GetCommand).resolves({ Item: activeTask() });
    mocks.ddb.on(UpdateCommand).resolves({});
    mocks.sfn.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'exists', $metadata: {} }));

    const result = await startDrain(deps, { clusterArn: CLUSTER_ARN, taskArn: TASK, reason: 'DEPLOYMENT' });

    expect(result).toEqual({ status: 'already-draining', executionArn: EXECUTION_1 });
  });

  it('refuses tasks the registry does not know or that already stopped', async () => {
    const { deps, mocks } = makeTestDeps();
    mocks.ddb.on(GetCommand).resolvesOnce({}).resolvesOnce({ Item: activeTask({ status: 'STOPPED' }) });

    const unknown = await startDrain(deps, { clusterArn: CLUSTER_ARN, taskArn: TASK, reason: 'DEPLOYMENT' });
    const stopped = await startDrain(deps, { clusterArn: CLUSTER_ARN, taskArn: TASK, reason: 'DEPLOYMENT' });

    expect(unknown).toEqual({ status: 'not-registered' });
    expect(stopped).toEqual({ status: 'task-stopped' });
    expect(mocks.ddb.commandCalls(UpdateCommand)).toHaveLength(0);
    expect(mocks.sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('propagates throttling from Step Functions so that the event is retried', async () => {
    const { deps, mocks } = makeTestDeps();
    mocks.ddb.on(GetCommand).resolves({ Item: activeTask() });
    mocks.ddb.on(UpdateCommand).resolves({});
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    mocks.sfn.on(StartExecutionCommand).rejects(throttled);

    await expect(startDrain(deps, { clusterArn: CLUSTER_ARN, taskArn: TASK, reason: 'DEPLOYMENT' })).rejects.toThrow('Rate exceeded');
  });
});

describe('startClaimedDrain', () => {
  it('starts the execution of a drain the caller claimed already, reading and writing nothing in the registry', async () => {
    // prepare
    const { deps, mocks } = makeTestDeps();
    mocks.sfn.on(StartExecutionCommand).resolves({ executionArn: EXECUTION_2, startDate: NOW });

    // act
    const result = await startClaimedDrain(
      deps,
      { clusterArn: CLUSTER_ARN, taskArn: TASK, serviceName: 'web', reason: 'DEPLOYMENT' },
      { executionName: 'drain-0123456789abcdef0123456789abcdef-2', executionArn: EXECUTION_2, attempt: 2 },
    );

    // assert
    expect(result).toEqual({ status: 'started', executionArn: EXECUTION_2, attempt: 2 });
    expect(mocks.ddb.calls()).toHaveLength(0);
    expect(mocks.sfn.calls().map((call) => call.args[0].input)).toEqual([
      {
        stateMachineArn: STATE_MACHINE_ARN,
        name: 'drain-0123456789abcdef0123456789abcdef-2',
        input: JSON.stringify({ cluster: CLUSTER_ARN, taskArn: TASK, service: 'web', reason: 'DEPLOYMENT', deadline: '2026-11-21T11:00:00.000Z' }),
      },
    ]);
  });

  it('answers already-draining when a duplicate started the same claimed execution first', async () => {
    const { deps, mocks } = makeTestDeps();
    mocks.sfn.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'exists', $metadata: {} }));

    const result = await startClaimedDrain(
      deps,
      { clusterArn: CLUSTER_ARN, taskArn: TASK, reason: 'DEPLOYMENT' },
      { executionName: 'drain-0123456789abcdef0123456789abcdef-1', executionArn: EXECUTION_1, attempt: 1 },
    );

    expect(result).toEqual({ status: 'already-draining', executionArn: EXECUTION_1 });
  });
});

describe('resolveDeadline', () => {
  it('uses the default drain time, never exceeds the maximum and never lies in the past', () => {
    const { deps } = makeTestDeps({ config: { defaultDrainSeconds: 600, maxDrainSeconds: 3600 } });

    expect(resolveDeadline(deps).toISOString()).toBe('2026-11-21T10:10:00.000Z');
    expect(resolveDeadline(deps, new Date('2026-11-22T00:00:00Z')).toISOString()).toBe('2026-11-21T11:00:00.000Z');
    expect(resolveDeadline(deps, new Date('2026-11-20T00:00:00Z')).toISOString()).toBe(NOW.toISOString());
  });
});

describe('executionArnFor', () => {
  it('derives the execution ARN Step Functions will assign', () => {
    expect(executionArnFor(STATE_MACHINE_ARN, 'drain-x-1')).toBe('arn:aws:states:us-east-1:111122223333:execution:SessionDrain:drain-x-1');
  });

  it('rejects a misconfigured state machine ARN with a clear message', () => {
    expect(() => executionArnFor('not-an-arn', 'drain-x-1')).toThrow(/STATE_MACHINE_ARN is not a state machine ARN/);
  });
});
