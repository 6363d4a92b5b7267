import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DescribeExecutionCommand, InvalidToken, SendTaskFailureCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { runDrainControl } from '../../../functions/handlers/drain-control.js';
import type { TaskItem } from '../../../functions/registry/model.js';
import { armedWait } from './fixtures.js';
import { CLUSTER_ARN, makeTestDeps, NOW, OTHER_CLUSTER_ARN, STATE_MACHINE_ARN, TABLE_NAME, taskArn } from '../../support/deps.js';

const TASK = taskArn('0123456789abcdef0123456789abcdef');
const EXECUTION = 'arn:aws:states:us-east-1:111122223333:execution:SessionDrain:drain-0123456789abcdef0123456789abcdef-1';

function item(overrides: Partial<TaskItem> = {}): TaskItem {
  return { pk: TASK, sk: 'TASK', taskArn: TASK, clusterArn: CLUSTER_ARN, serviceTask: `web#${TASK}`, serviceName: 'web', sessionCount: 4, status: 'ACTIVE', ...overrides };
}

function conditionFailed() {
  return new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
}

describe('DrainControlFunction: drain', () => {
  it('starts a manual drain with the requested drain time', async () => {
    // prepare
    const { deps, mocks } = makeTestDeps();
    mocks.ddb.on(GetCommand).resolves({ Item: item() });
    mocks.ddb.on(UpdateCommand).resolves({});
    mocks.sfn.on(StartExecutionCommand).resolves({ executionArn: EXECUTION, startDate: NOW });

    // act
    const response = await runDrainControl(deps, { action: 'drain', taskArn: TASK, cluster: 'sessions', drainSeconds: 900 });

    // assert
    expect(mocks.sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input).toEqual({
      stateMachineArn: STATE_MACHINE_ARN,
      name: 'drain-0123456789abcdef0123456789abcdef-1',
      input: JSON.stringify({
        cluster: CLUSTER_ARN,
        taskArn: TASK,
        service: 'web',
        reason: 'MANUAL',
        deadline: new Date(NOW.getTime() + 900_000).toISOString(),
      }),
    });
    expect(response).toEqual({
      ok: true,
      action: 'drain',
      taskArn: TASK,
      clusterArn: CLUSTER_ARN,
      result: 'started',
      executionArn: EXECUTION,
      message: 'drain started (attempt 1)',
    });
  });

  it('says so, and starts nothing, when the task is already draining', async () => {
    const { deps, mocks } = makeTestDeps();
    mocks.ddb.on(GetCommand).resolves({ Item: item({ status: 'DRAINING', drainAttempt: 1, executionArn: EXECUTION }) });
    mocks.sfn.on(DescribeExecutionCommand).resolves({ executionArn: EXECUTION, status: 'RUNNING' });

    const response = await runDrainControl(deps, { action: 'drain', taskArn: TASK, deadline: '2026-11-21T11:00:00Z' });

    expect(response).toMatchObject({ ok: true, result: 'already-draining', executionArn: EXECUTION });
    expect(mocks.sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it.each([
    ['an unknown action', { action: 'pause', taskArn: TASK }, 'invalid request'],
    ['a task id instead of an ARN', { action: 'drain', taskArn: '0123456789abcdef' }, 'taskArn: must be a task ARN'],
    ['a misspelt option', { action: 'drain', taskArn: TASK, drainSecond: 60 }, 'drainSecond'],
    ['both a deadline and a drain time', { action: 'drain', taskArn: TASK, deadline: '2026-11-21T11:00:00Z', drainSeconds: 60 }, 'either deadline or drainSeconds'],
    ['a deadline in the past', { action: 'drain', taskArn: TASK, deadline: '2026-11-21T09:00:00Z' }, 'is in the past'],
    ['a drain longer than allowed', { action: 'drain', taskArn: TASK, drainSeconds: 9 * 3600 }, 'at most 28800'],
    ['a cluster not managed here', { action: 'drain', taskArn: TASK, cluster: OTHER_CLUSTER_ARN }, 'is not one this orchestrator manages'],
    ['no payload at all', undefined, 'invalid request'],
  ])('refuses %s without changing anything', async (_scenario, payload, message) => {
    const { deps, mocks } = makeTestDeps();
    mocks.ddb.on(GetCommand).resolves({ Item: item() });

    const response = await runDrainControl(deps, payload);

    expect(response.ok).toBe(false);
    expect(response.ok === false && response.error).toContain(message);
    expect(mocks.ddb.commandCalls(UpdateCommand)).toHaveLength(0);
    expect(mocks.sfn.calls()).toHaveLength(0);
  });

  it('refuses a task the registry does not know', async () => {
    const { deps, mocks } = makeTestDeps();
    mocks.ddb.on(GetCommand).resolves({});

    const response = await runDrainControl(deps, { action: 'drain', taskArn: TASK });

    expect(response).toEqual({ ok: false, action: 'drain', taskArn: TASK, error: 'the task is not in the session registry (its agent never registered it)' });
  });

  it('returns an infrastructure failure to the operator instead of throwing', async () => {
    const { deps, mocks } = makeTestDeps();
    mocks.ddb.on(GetCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));

    const response = await runDrainControl(deps, { action: 'drain', taskArn: TASK });

    expect(response).toEqual({ ok: false, error: 'request failed: ThrottlingException: Rate exceeded; try again' });
  });
});

describe('DrainControlFunction: cancel and force-stop', () => {
  it('cancels a waiting drain by failing its wait with DrainCancelled', async () => {
    // prepare
    const { deps, mocks } = makeTestDeps();
    mocks.ddb.on(GetCommand).resolves({ Item: item({ status: 'DRAINING', executionArn: EXECUTION }) });
    mocks.ddb.on(UpdateCommand).resolves({ Attributes: item({ status: 'DRAINING', ...armedWait(mocks.ddb, TASK, 'tok', EXECUTION), drainControl: 'CANCEL' }) });
    mocks.sfn.on(SendTaskFailureCommand).resolves({});

    // act
    const response = await runDrainControl(deps, { action: 'cancel', taskArn: TASK });

    // assert
    expect(mocks.ddb.commandCalls(UpdateCommand)[0]?.args[0].input).toEqual({
      TableName: TABLE_NAME,
      Key: { pk: TASK, sk: 'TASK' },
      UpdateExpression: 'SET drainControl = :control, operatorCancelledAt = :at',
      ConditionExpression: '#status = :draining AND (attribute_not_exists(drainControl) OR drainControl = :control)',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':control': 'CANCEL', ':draining': 'DRAINING', ':at': NOW.toISOString() },
      ReturnValues: 'ALL_NEW',
    });
    expect(mocks.sfn.commandCalls(SendTaskFailureCommand)[0]?.args[0].input).toEqual({
      taskToken: 'tok',
      error: 'DrainCancelled',
      cause: 'operator requested cancel',
    });
    expect(response).toMatchObject({ ok: true, action: 'cancel', result: 'signalled', executionArn: EXECUTION });
  });

  it('leaves a force-stop for the arming step when the drain does not wait yet', async () => {
    const { deps, mocks } = makeTestDeps();
    mocks.ddb.on(GetCommand).resolves({ Item: item({ status: 'DRAINING' }) });
    mocks.ddb.on(UpdateCommand).resolves({ Attributes: item({ status: 'DRAINING', drainControl: 'FORCE_STOP' }) });

    const response = await runDrainControl(deps, { action: 'force-stop', taskArn: TASK });

    expect(mocks.ddb.commandCalls(UpdateCommand)[0]?.args[0].input.ExpressionAttributeValues).toEqual({ ':control': 'FORCE_STOP', ':draining': 'DRAINING' });
    expect(mocks.sfn.calls()).toHaveLength(0);
    expect(response).toMatchObject({ ok: true, action: 'force-stop', result: 'requested' });
  });

  it('sends ForceStopRequested to a waiting drain, and takes a used token as already handled', async () => {
    const { deps, mocks } = makeTestDeps();
    mocks.ddb.on(GetCommand).resolves({ Item: item({ status: 'DRAINING' }) });
    mocks.ddb.on(UpdateCommand).resolves({ Attributes: item({ status: 'DRAINING', ...armedWait(mocks.ddb, TASK, 'tok', EXECUTION), drainControl: 'FORCE_STOP' }) });
    mocks.sfn.on(SendTaskFailureCommand).rejects(new InvalidToken({ message: 'Invalid token', $metadata: {} }));

    const response = await runDrainControl(deps, { action: 'force-stop', taskArn: TASK });

    expect(mocks.sfn.commandCalls(SendTaskFailureCommand)[0]?.args[0].input).toMatchObject({ error: 'ForceStopRequested' });
    expect(response).toMatchObject({ ok: true, result: 'requested', message: 'FORCE_STOP recorded, but the workflow had already stopped waiting' });
  });

  it('refuses to cancel a task that is not draining', async () => {
    const { deps, mocks } = makeTestDeps();
    mocks.ddb.on(GetCommand).resolves({ Item: item() });
    mocks.ddb.on(UpdateCommand).rejects(conditionFailed());

    const response = await runDrainControl(deps, { action: 'cancel', taskArn: TASK });

    expect(response).toEqual({ ok: false, action: 'cancel', taskArn: TASK, error: 'cancel refused: the task is not draining (status ACTIVE); nothing changed' });
    expect(mocks.sfn.calls()).toHaveLength(0);
  });

  it('refuses a cancel after a force-stop was already requested', async () => {
    const { deps, mocks } = makeTestDeps();
    mocks.ddb.on(GetCommand).resolves({ Item: item({ status: 'DRAINING', drainControl: 'FORCE_STOP' }) });
    mocks.ddb.on(UpdateCommand).rejects(conditionFailed());

    const response = await runDrainControl(deps, { action: 'cancel', taskArn: TASK });

    expect(response).toMatchObject({ ok: false, error: 'cancel refused: FORCE_STOP was already requested for this drain; nothing changed' });
  });

  it('tells the operator to repeat the command when the waiting workflow could not be reached', async () => {
    const { deps, mocks } = makeTestDeps();
    mocks.ddb.on(GetCommand).resolves({ Item: item({ status: 'DRAINING' }) });
    mocks.ddb.on(UpdateCommand).resolves({ Attributes: item({ status: 'DRAINING', ...armedWait(mocks.ddb, TASK, 'tok', EXECUTION), drainControl: 'CANCEL' }) });
    mocks.sfn.on(SendTaskFailureCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));

    const response = await runDrainControl(deps, { action: 'cancel', taskArn: TASK });

    expect(response).toEqual({
      ok: false,
      action: 'cancel',
      taskArn: TASK,
      error: 'CANCEL recorded, but the waiting workflow could not be told (Rate exceeded); run the same command again',
    });
  });
});
