import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DescribeExecutionCommand, ExecutionDoesNotExist } from '@aws-sdk/client-sfn';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { needsReplacement, recordDrain, type RecordDrainInput } from '../../../../functions/core/workflow/record-drain.js';
import { CLUSTER_ARN, makeTestDeps, NOW, TABLE_NAME, taskArn } from '../../../support/deps.js';

const TASK = taskArn('abc123');
const ME = 'arn:aws:states:us-east-1:111122223333:execution:SessionDrain:drain-abc123-1';
const OTHER = 'arn:aws:states:us-east-1:111122223333:execution:SessionDrain:by-hand';
const NOW_SECONDS = Math.floor(NOW.getTime() / 1000);

function input(request: Partial<RecordDrainInput['request']> = {}): RecordDrainInput {
  return { executionArn: ME, request: { cluster: CLUSTER_ARN, taskArn: TASK, service: 'chat', reason: 'SPOT', ...request } };
}

function item(overrides: Record<string, unknown> = {}) {
  return { pk: TASK, sk: 'TASK', taskArn: TASK, clusterArn: CLUSTER_ARN, serviceName: 'chat', sessionCount: 4, status: 'ACTIVE', executionArn: ME, ...overrides };
}

describe('recordDrain', () => {
  it('records the drain claimed for this execution and caps the deadline at MAX_DRAIN_SECONDS', async () => {
    const { deps, mocks } = makeTestDeps({ config: { maxDrainSeconds: 600 } });
    mocks.ddb.on(GetCommand).resolves({ Item: item() });
    mocks.ddb.on(UpdateCommand).resolves({});

    const result = await recordDrain(deps, input({ deadline: '2026-11-21T12:00:00Z' }));

    expect(result).toEqual({
      cluster: CLUSTER_ARN,
      taskArn: TASK,
      service: 'chat',
      reason: 'SPOT',
      deadline: '2026-11-21T10:10:00.000Z',
      waitSeconds: 600,
      sessionsAtStart: 4,
      replacementNeeded: true,
      // Only a blue/green drain leaves the stop to ECS.
      ecsStopsTask: false,
      drainStartedAt: NOW_SECONDS,
    });
    expect(mocks.ddb.commandCalls(UpdateCommand)[0]?.args[0].input).toEqual({
      TableName: TABLE_NAME,
      Key: { pk: TASK, sk: 'TASK' },
      UpdateExpression:
        'SET executionArn = :me, drainReason = :reason, drainDeadline = :deadline, drainStartedAt = :startedAt, ' +
        'sessionsAtDrainStart = if_not_exists(sessionCount, :zero) REMOVE drainOutcome',
      ConditionExpression: '#status IN (:active, :draining) AND executionArn = :previous',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':me': ME,
        ':reason': 'SPOT',
        ':deadline': '2026-11-21T10:10:00.000Z',
        ':startedAt': NOW_SECONDS,
        ':zero': 0,
        ':active': 'ACTIVE',
        ':draining': 'DRAINING',
        ':previous': ME,
      },
    });
    expect(mocks.sfn.commandCalls(DescribeExecutionCommand)).toHaveLength(0);
  });

  it('asks for no replacement where ECS starts one itself (a task on a DRAINING container instance), and for one where it does not (a rebalance recommendation)', async () => {
    // prepare
    const { deps, mocks } = makeTestDeps();
    mocks.ddb.on(GetCommand).resolves({ Item: item() });
    mocks.ddb.on(UpdateCommand).resolves({});

    // act
    const instanceDraining = await recordDrain(deps, input({ reason: 'INSTANCE', ecsReplacesTask: true }));
    const rebalance = await recordDrain(deps, input({ reason: 'INSTANCE' }));

    // assert
    expect(instanceDraining.replacementNeeded).toBe(false);
    expect(rebalance.replacementNeeded).toBe(true);
  });

  it('defaults the deadline and never waits less than one second', async () => {
    const { deps, mocks } = makeTestDeps({ config: { defaultDrainSeconds: 90 } });
    mocks.ddb.on(GetCommand).resolves({ Item: item({ serviceName: undefined }) });
    mocks.ddb.on(UpdateCommand).resolves({});

    const byDefault = await recordDrain(deps, input({ service: undefined, reason: 'DEPLOYMENT' }));
    const past = await recordDrain(deps, input({ deadline: '2020-01-01T00:00:00Z' }));

    expect(byDefault).toMatchObject({ deadline: '2026-11-21T10:01:30.000Z', waitSeconds: 90, replacementNeeded: false });
    expect(byDefault).not.toHaveProperty('service');
    expect(past.waitSeconds).toBe(1);
  });

  it('takes over a task whose previous drain execution has closed (started by hand from the console)', async () => {
    const { deps, mocks } = makeTestDeps();
    mocks.ddb.on(GetCommand).resolves({ Item: item({ executionArn: OTHER, drainControl: 'CANCEL' }) });
    mocks.sfn.on(DescribeExecutionCommand).resolves({ status: 'ABORTED' });
    mocks.ddb.on(UpdateCommand).resolves({});

    await recordDrain(deps, input());

    expect(mocks.sfn.commandCalls(DescribeExecutionCommand)[0]?.args[0].input).toEqual({ executionArn: OTHER });
    const update = mocks.ddb.commandCalls(UpdateCommand)[0]?.args[0].input;
    expect(update?.UpdateExpression).toMatch(/REMOVE drainOutcome, drainControl, waitArmed$/);
    expect(update?.ConditionExpression).toBe('#status IN (:active, :draining) AND executionArn = :previous');
    expect(update?.ExpressionAttributeValues?.[':previous']).toBe(OTHER);
  });

  it('takes over when the recorded execution does not exist', async () => {
    const { deps, mocks } = makeTestDeps();
    mocks.ddb.on(GetCommand).resolves({ Item: item({ executionArn: OTHER }) });
    mocks.sfn.on(DescribeExecutionCommand).rejects(new ExecutionDoesNotExist({ message: 'gone', $metadata: {} }));
    mocks.ddb.on(UpdateCommand).resolves({});

    await expect(recordDrain(deps, input())).resolves.toMatchObject({ taskArn: TASK });
  });

  it('refuses to drive a task another running execution drains, changing nothing', async () => {
    const { deps, mocks } = makeTestDeps();
    mocks.ddb.on(GetCommand).resolves({ Item: item({ executionArn: OTHER, status: 'DRAINING' }) });
    mocks.sfn.on(DescribeExecutionCommand).resolves({ status: 'RUNNING' });

    await expect(recordDrain(deps, input())).rejects.toMatchObject({ name: 'DrainAlreadyRunning' });
    expect(mocks.ddb.commandCalls(UpdateCommand)).toHaveLength(0);
  });

  it.each([
    ['missing from the registry', undefined],
    ['already stopped', item({ status: 'STOPPED' })],
    ['already stopping', item({ status: 'STOPPING' })],
  ])('ends with TaskGone when the task is %s', async (_label, existing) => {
    const { deps, mocks } = makeTestDeps();
    mocks.ddb.on(GetCommand).resolves({ Item: existing });

    await expect(recordDrain(deps, input())).rejects.toMatchObject({ name: 'TaskGone' });
    expect(mocks.ddb.commandCalls(UpdateCommand)).toHaveLength(0);
  });

  it('rejects a request naming another cluster than the registry, changing nothing', async () => {
    const { deps, mocks } = makeTestDeps();
    mocks.ddb.on(GetCommand).resolves({ Item: item({ clusterArn: 'arn:aws:ecs:us-east-1:111122223333:cluster/other' }) });

    await expect(recordDrain(deps, input())).rejects.toMatchObject({ name: 'InvalidInputError' });
    expect(mocks.ddb.commandCalls(UpdateCommand)).toHaveLength(0);
  });

  it('reports TaskGone, caused by the failed condition, when the task stops between the read and the write', async () => {
    const { deps, mocks } = makeTestDeps();
    const conditionFailed = new ConditionalCheckFailedException({ message: 'no', $metadata: {} });
    mocks.ddb.on(GetCommand).resolvesOnce({ Item: item() }).resolves({ Item: item({ status: 'STOPPED' }) });
    mocks.ddb.on(UpdateCommand).rejects(conditionFailed);

    await expect(recordDrain(deps, input())).rejects.toMatchObject({ name: 'TaskGone', cause: conditionFailed });
  });

  it('reports DrainAlreadyRunning, caused by the failed condition, when another drain claims the task between the read and the write', async () => {
    const { deps, mocks } = makeTestDeps();
    const conditionFailed = new ConditionalCheckFailedException({ message: 'no', $metadata: {} });
    mocks.ddb.on(GetCommand).resolvesOnce({ Item: item() }).resolves({ Item: item({ executionArn: OTHER }) });
    mocks.ddb.on(UpdateCommand).rejects(conditionFailed);

    await expect(recordDrain(deps, input())).rejects.toMatchObject({ name: 'DrainAlreadyRunning', cause: conditionFailed });
  });
});

describe('needsReplacement', () => {
  it('asks for a replacement only for service tasks leaving for Spot, instance or manual reasons', () => {
    expect(['SPOT', 'INSTANCE', 'MANUAL', 'DEPLOYMENT', 'SCALE_IN'].map((reason) => needsReplacement('chat', reason as 'SPOT'))).toEqual([
      true, true, true, false, false,
    ]);
    expect(needsReplacement(undefined, 'SPOT')).toBe(false);
  });
});
