import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { InvalidToken, SendTaskFailureCommand, SendTaskSuccessCommand, TaskTimedOut } from '@aws-sdk/client-sfn';
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { armDrainWait } from '../../../../functions/core/workflow/arm-drain-wait.js';
import { CLUSTER_ARN, makeTestDeps, NOW, TABLE_NAME, taskArn } from '../../../support/deps.js';

const TASK = taskArn('abc123');
const TOKEN = 'token-1';
const EXECUTION = 'arn:aws:states:us-east-1:111122223333:execution:SessionDrain:drain-abc123-1';
const INPUT = { taskToken: TOKEN, taskArn: TASK, executionArn: EXECUTION };
const conditionFailed = () => new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });

function item(overrides: Record<string, unknown> = {}) {
  return { pk: TASK, sk: 'TASK', taskArn: TASK, clusterArn: CLUSTER_ARN, sessionCount: 2, status: 'DRAINING', executionArn: EXECUTION, ...overrides };
}

describe('armDrainWait', () => {
  it("stores the token in the execution's wait item, then marks the task armed while sessions are open and nothing else is asked", async () => {
    // prepare
    const { deps, mocks } = makeTestDeps();
    mocks.ddb.on(UpdateCommand).resolves({});

    // act
    const result = await armDrainWait(deps, INPUT);

    // assert: the token never goes on the task item, which task roles can read and write
    expect(result).toEqual({ status: 'armed' });
    const expiresAt = Math.floor(NOW.getTime() / 1000) + deps.config.maxDrainSeconds + 24 * 3600;
    expect(mocks.ddb.commandCalls(PutCommand).map((call) => call.args[0].input)).toEqual([
      { TableName: TABLE_NAME, Item: { pk: `WAIT#${EXECUTION}`, sk: 'WAIT', executionArn: EXECUTION, taskArn: TASK, taskToken: TOKEN, expiresAt } },
    ]);
    expect(mocks.ddb.commandCalls(UpdateCommand).map((call) => call.args[0].input)).toEqual([
      {
        TableName: TABLE_NAME,
        Key: { pk: TASK, sk: 'TASK' },
        UpdateExpression: 'SET waitArmed = :armed',
        ConditionExpression: 'executionArn = :me AND #status = :draining AND sessionCount > :zero AND attribute_not_exists(drainControl)',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':armed': true, ':me': EXECUTION, ':draining': 'DRAINING', ':zero': 0 },
      },
    ]);
    expect(mocks.ddb.calls().map((call) => call.args[0].constructor.name)).toEqual(['PutCommand', 'UpdateCommand']);
    expect(mocks.sfn.calls()).toHaveLength(0);
  });

  it('completes the wait at once when the last session closed before the token could be stored', async () => {
    const { deps, mocks } = makeTestDeps();
    mocks.ddb.on(UpdateCommand).rejects(conditionFailed());
    mocks.ddb.on(GetCommand).resolves({ Item: item({ sessionCount: 0 }) });
    mocks.sfn.on(SendTaskSuccessCommand).resolves({});

    const result = await armDrainWait(deps, INPUT);

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
    ['the task item names another drain execution', item({ executionArn: `${EXECUTION}0` }), 'DrainCancelled'],
  ])('fails the wait at once by name when %s', async (_label, existing, error) => {
    const { deps, mocks } = makeTestDeps();
    mocks.ddb.on(UpdateCommand).rejects(conditionFailed());
    mocks.ddb.on(GetCommand).resolves({ Item: existing });
    mocks.sfn.on(SendTaskFailureCommand).resolves({});

    const result = await armDrainWait(deps, INPUT);

    expect(result).toEqual({ status: 'completed', error });
    expect(mocks.sfn.commandCalls(SendTaskFailureCommand)[0]?.args[0].input).toEqual({ taskToken: TOKEN, error, cause: expect.any(String) });
    expect(mocks.sfn.commandCalls(SendTaskSuccessCommand)).toHaveLength(0);
  });

  it('tries the condition again when it lost to a write that left sessions open', async () => {
    const { deps, mocks } = makeTestDeps();
    mocks.ddb.on(UpdateCommand).rejectsOnce(conditionFailed()).resolves({});
    mocks.ddb.on(GetCommand).resolves({ Item: item() });

    const result = await armDrainWait(deps, INPUT);

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

    await expect(armDrainWait(deps, INPUT)).resolves.toEqual({ status: 'stale-token' });
  });

  it('lets other Step Functions failures through so the step is retried', async () => {
    const { deps, mocks } = makeTestDeps();
    mocks.ddb.on(UpdateCommand).rejects(conditionFailed());
    mocks.ddb.on(GetCommand).resolves({ Item: item({ sessionCount: 0 }) });
    mocks.sfn.on(SendTaskSuccessCommand).rejects(Object.assign(new Error('slow down'), { name: 'ThrottlingException' }));

    await expect(armDrainWait(deps, INPUT)).rejects.toMatchObject({ name: 'ThrottlingException' });
  });
});
