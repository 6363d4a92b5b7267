import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { InvalidToken, SendTaskFailureCommand, SendTaskSuccessCommand, TaskTimedOut } from '@aws-sdk/client-sfn';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { armDrainWait } from '../../../../functions/core/workflow/arm-drain-wait.js';
import { CLUSTER_ARN, makeTestDeps, TABLE_NAME, taskArn } from '../../../support/deps.js';

const TASK = taskArn('abc123');
const TOKEN = 'token-1';
const conditionFailed = () => new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });

function item(overrides: Record<string, unknown> = {}) {
  return { pk: TASK, sk: 'TASK', taskArn: TASK, clusterArn: CLUSTER_ARN, sessionCount: 2, status: 'DRAINING', ...overrides };
}

describe('armDrainWait', () => {
  it('stores the token while sessions are open and nothing else is asked of the drain', async () => {
    const { deps, mocks } = makeTestDeps();
    mocks.ddb.on(UpdateCommand).resolves({});

    const result = await armDrainWait(deps, { taskToken: TOKEN, taskArn: TASK });

    expect(result).toEqual({ status: 'armed' });
    expect(mocks.ddb.commandCalls(UpdateCommand)[0]?.args[0].input).toEqual({
      TableName: TABLE_NAME,
      Key: { pk: TASK, sk: 'TASK' },
      UpdateExpression: 'SET taskToken = :token',
      ConditionExpression: '#status = :draining AND sessionCount > :zero AND attribute_not_exists(drainControl)',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':token': TOKEN, ':draining': 'DRAINING', ':zero': 0 },
    });
    expect(mocks.sfn.calls()).toHaveLength(0);
  });

  it('completes the wait at once when the last session closed before the token could be stored', async () => {
    const { deps, mocks } = makeTestDeps();
    mocks.ddb.on(UpdateCommand).rejects(conditionFailed());
    mocks.ddb.on(GetCommand).resolves({ Item: item({ sessionCount: 0 }) });
    mocks.sfn.on(SendTaskSuccessCommand).resolves({});

    const result = await armDrainWait(deps, { taskToken: TOKEN, taskArn: TASK });

    expect(result).toEqual({ status: 'completed' });
    expect(mocks.sfn.commandCalls(SendTaskSuccessCommand)[0]?.args[0].input).toEqual({ taskToken: TOKEN, output: '{"sessionsRemaining":0}' });
  });

  it.each([
    ['the task left the registry', undefined, 'TaskGone'],
    ['the task is stopping', item({ status: 'STOPPING' }), 'TaskGone'],
    ['the task is stopped', item({ status: 'STOPPED', sessionCount: 0 }), 'TaskGone'],
    ['an operator cancelled', item({ drainControl: 'CANCEL', sessionCount: 0 }), 'DrainCancelled'],
    ['an operator forced a stop', item({ drainControl: 'FORCE_STOP' }), 'ForceStopRequested'],
    ['the task is ACTIVE again', item({ status: 'ACTIVE' }), 'DrainCancelled'],
  ])('fails the wait at once by name when %s', async (_label, existing, error) => {
    const { deps, mocks } = makeTestDeps();
    mocks.ddb.on(UpdateCommand).rejects(conditionFailed());
    mocks.ddb.on(GetCommand).resolves({ Item: existing });
    mocks.sfn.on(SendTaskFailureCommand).resolves({});

    const result = await armDrainWait(deps, { taskToken: TOKEN, taskArn: TASK });

    expect(result).toEqual({ status: 'completed', error });
    expect(mocks.sfn.commandCalls(SendTaskFailureCommand)[0]?.args[0].input).toEqual({ taskToken: TOKEN, error, cause: expect.any(String) });
    expect(mocks.sfn.commandCalls(SendTaskSuccessCommand)).toHaveLength(0);
  });

  it('tries the condition again when it lost to a write that left sessions open', async () => {
    const { deps, mocks } = makeTestDeps();
    mocks.ddb.on(UpdateCommand).rejectsOnce(conditionFailed()).resolves({});
    mocks.ddb.on(GetCommand).resolves({ Item: item() });

    const result = await armDrainWait(deps, { taskToken: TOKEN, taskArn: TASK });

    expect(result).toEqual({ status: 'armed' });
    expect(mocks.ddb.commandCalls(UpdateCommand)).toHaveLength(2);
  });

  it.each([
    ['TaskTimedOut', new TaskTimedOut({ message: 'timed out', $metadata: {} })],
    ['InvalidToken', new InvalidToken({ message: 'invalid', $metadata: {} })],
  ])('ignores %s: the execution has already moved on', async (_label, error) => {
    const { deps, mocks } = makeTestDeps();
    mocks.ddb.on(UpdateCommand).rejects(conditionFailed());
    mocks.ddb.on(GetCommand).resolves({ Item: item({ sessionCount: 0 }) });
    mocks.sfn.on(SendTaskSuccessCommand).rejects(error);

    await expect(armDrainWait(deps, { taskToken: TOKEN, taskArn: TASK })).resolves.toEqual({ status: 'stale-token' });
  });

  it('lets other Step Functions failures through so the step is retried', async () => {
    const { deps, mocks } = makeTestDeps();
    mocks.ddb.on(UpdateCommand).rejects(conditionFailed());
    mocks.ddb.on(GetCommand).resolves({ Item: item({ sessionCount: 0 }) });
    mocks.sfn.on(SendTaskSuccessCommand).rejects(Object.assign(new Error('slow down'), { name: 'ThrottlingException' }));

    await expect(armDrainWait(deps, { taskToken: TOKEN, taskArn: TASK })).rejects.toMatchObject({ name: 'ThrottlingException' });
  });
});
