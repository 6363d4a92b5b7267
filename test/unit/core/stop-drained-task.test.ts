import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { InvalidParameterException, ServerException, StopTaskCommand, UpdateTaskProtectionCommand } from '@aws-sdk/client-ecs';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { stopDrainedTask, type StopDrainedTaskInput } from '../../../functions/core/stop-drained-task.js';
import { CLUSTER_ARN, makeTestDeps, NOW, TABLE_NAME, taskArn } from '../../support/deps.js';

const TASK = taskArn('abc123');
const ME = 'arn:aws:states:us-east-1:111122223333:execution:SessionDrain:drain-abc123-1';
const STARTED = Math.floor(NOW.getTime() / 1000) - 300;
const input = (outcome: StopDrainedTaskInput['outcome'] = 'DRAINED'): StopDrainedTaskInput => ({ cluster: CLUSTER_ARN, taskArn: TASK, executionArn: ME, outcome });

describe('stopDrainedTask', () => {
  it('releases protection, stops the task with the outcome as reason and marks it STOPPING', async () => {
    const { deps, mocks } = makeTestDeps();
    mocks.ecs.on(UpdateTaskProtectionCommand).resolves({ protectedTasks: [{ taskArn: TASK, protectionEnabled: false }], failures: [] });
    mocks.ecs.on(StopTaskCommand).resolves({});
    mocks.ddb.on(UpdateCommand).resolves({ Attributes: { drainStartedAt: STARTED } });

    const result = await stopDrainedTask(deps, input('DEADLINE_FORCED'));

    expect(result).toEqual({ outcome: 'DEADLINE_FORCED', secondsDrained: 300 });
    expect(mocks.ecs.commandCalls(UpdateTaskProtectionCommand)[0]?.args[0].input).toEqual({ cluster: CLUSTER_ARN, tasks: [TASK], protectionEnabled: false });
    expect(mocks.ecs.commandCalls(StopTaskCommand)[0]?.args[0].input).toEqual({ cluster: CLUSTER_ARN, task: TASK, reason: 'ecs-session-drain: DEADLINE_FORCED' });
    expect(mocks.ddb.commandCalls(UpdateCommand)[0]?.args[0].input).toEqual({
      TableName: TABLE_NAME,
      Key: { pk: TASK, sk: 'TASK' },
      UpdateExpression: 'SET #status = :stopping, drainOutcome = :outcome REMOVE taskToken',
      ConditionExpression: 'executionArn = :me AND #status IN (:active, :draining)',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':outcome': 'DEADLINE_FORCED', ':me': ME, ':stopping': 'STOPPING', ':active': 'ACTIVE', ':draining': 'DRAINING' },
      ReturnValues: 'ALL_NEW',
    });
  });

  it('reports TASK_GONE instead of failing when ECS no longer knows the task', async () => {
    const { deps, mocks } = makeTestDeps();
    mocks.ecs.on(UpdateTaskProtectionCommand).resolves({ protectedTasks: [], failures: [{ arn: TASK, reason: 'MISSING' }] });
    mocks.ecs.on(StopTaskCommand).rejects(new InvalidParameterException({ message: 'The referenced task was not found.', $metadata: {} }));
    mocks.ddb.on(UpdateCommand).resolves({ Attributes: { drainStartedAt: STARTED } });

    const result = await stopDrainedTask(deps, input());

    expect(result.outcome).toBe('TASK_GONE');
    expect(mocks.ddb.commandCalls(UpdateCommand)[0]?.args[0].input.ExpressionAttributeValues?.[':outcome']).toBe('TASK_GONE');
  });

  it('never moves a STOPPED task back to STOPPING, but still records the outcome', async () => {
    const { deps, mocks } = makeTestDeps();
    mocks.ecs.on(UpdateTaskProtectionCommand).resolves({ protectedTasks: [], failures: [] });
    mocks.ecs.on(StopTaskCommand).resolves({});
    mocks.ddb
      .on(UpdateCommand)
      .rejectsOnce(new ConditionalCheckFailedException({ message: 'no', $metadata: {} }))
      .resolves({ Attributes: { drainStartedAt: STARTED, status: 'STOPPED' } });

    const result = await stopDrainedTask(deps, input('FORCE_STOPPED'));

    expect(result).toEqual({ outcome: 'FORCE_STOPPED', secondsDrained: 300 });
    expect(mocks.ddb.commandCalls(UpdateCommand)[1]?.args[0].input).toEqual({
      TableName: TABLE_NAME,
      Key: { pk: TASK, sk: 'TASK' },
      UpdateExpression: 'SET drainOutcome = :outcome REMOVE taskToken',
      ConditionExpression: 'executionArn = :me',
      ExpressionAttributeValues: { ':outcome': 'FORCE_STOPPED', ':me': ME },
      ReturnValues: 'ALL_NEW',
    });
  });

  it('leaves the item of a drain it no longer owns alone and reports no duration', async () => {
    const { deps, mocks } = makeTestDeps();
    mocks.ecs.on(UpdateTaskProtectionCommand).resolves({ protectedTasks: [], failures: [] });
    mocks.ecs.on(StopTaskCommand).resolves({});
    mocks.ddb.on(UpdateCommand).rejects(new ConditionalCheckFailedException({ message: 'no', $metadata: {} }));

    await expect(stopDrainedTask(deps, input('HEARTBEAT_LOST'))).resolves.toEqual({ outcome: 'HEARTBEAT_LOST', secondsDrained: null });
  });

  it('turns ECS throttling and faults into RetryableEcsError and does not touch the registry', async () => {
    const { deps, mocks } = makeTestDeps();
    mocks.ecs.on(UpdateTaskProtectionCommand).resolves({ protectedTasks: [], failures: [] });
    mocks.ecs.on(StopTaskCommand).rejects(new ServerException({ message: 'boom', $metadata: { httpStatusCode: 500 } }));

    await expect(stopDrainedTask(deps, input())).rejects.toMatchObject({ name: 'RetryableEcsError' });
    expect(mocks.ddb.calls()).toHaveLength(0);
  });

  it('does not stop the task when releasing its protection is throttled', async () => {
    const { deps, mocks } = makeTestDeps();
    mocks.ecs.on(UpdateTaskProtectionCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));

    await expect(stopDrainedTask(deps, input())).rejects.toMatchObject({ name: 'RetryableEcsError' });
    expect(mocks.ecs.commandCalls(StopTaskCommand)).toHaveLength(0);
  });
});
