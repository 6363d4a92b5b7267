import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DescribeServicesCommand, DescribeTasksCommand, InvalidParameterException, ServerException, StopTaskCommand, UpdateTaskProtectionCommand } from '@aws-sdk/client-ecs';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { stopDrainedTask, type StopDrainedTaskInput } from '../../../../functions/core/workflow/stop-drained-task.js';
import { CLUSTER_ARN, makeTestDeps, NOW, TABLE_NAME, taskArn } from '../../../support/deps.js';

const TASK = taskArn('abc123');
const ME = 'arn:aws:states:us-east-1:111122223333:execution:SessionDrain:drain-abc123-1';
const STARTED = Math.floor(NOW.getTime() / 1000) - 300;
const input = (outcome: StopDrainedTaskInput['outcome'] = 'DRAINED'): StopDrainedTaskInput => ({ cluster: CLUSTER_ARN, taskArn: TASK, executionArn: ME, outcome });

/** The task's registry item as the drain left it: a scale-in drain unless told otherwise. */
function registered(mocks: ReturnType<typeof makeTestDeps>['mocks'], overrides: Record<string, unknown> = {}): void {
  mocks.ddb.on(GetCommand).resolves({
    Item: { pk: TASK, sk: 'TASK', taskArn: TASK, clusterArn: CLUSTER_ARN, serviceName: 'chat', status: 'DRAINING', sessionCount: 0, executionArn: ME, drainReason: 'SCALE_IN', ...overrides },
  });
}

describe('stopDrainedTask', () => {
  it('releases protection, stops the task with the outcome as reason and marks it STOPPING', async () => {
    const { deps, mocks } = makeTestDeps();
    registered(mocks);
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
      UpdateExpression: 'SET #status = :stopping, drainOutcome = :outcome REMOVE waitArmed',
      ConditionExpression: 'executionArn = :me AND #status IN (:active, :draining)',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':outcome': 'DEADLINE_FORCED', ':me': ME, ':stopping': 'STOPPING', ':active': 'ACTIVE', ':draining': 'DRAINING' },
      ReturnValues: 'ALL_NEW',
    });
  });

  it('reports TASK_GONE instead of failing when ECS no longer knows the task', async () => {
    const { deps, mocks } = makeTestDeps();
    registered(mocks);
    mocks.ecs.on(UpdateTaskProtectionCommand).resolves({ protectedTasks: [], failures: [{ arn: TASK, reason: 'MISSING' }] });
    mocks.ecs.on(StopTaskCommand).rejects(new InvalidParameterException({ message: 'The referenced task was not found.', $metadata: {} }));
    mocks.ddb.on(UpdateCommand).resolves({ Attributes: { drainStartedAt: STARTED } });

    const result = await stopDrainedTask(deps, input());

    expect(result.outcome).toBe('TASK_GONE');
    expect(mocks.ddb.commandCalls(UpdateCommand)[0]?.args[0].input.ExpressionAttributeValues?.[':outcome']).toBe('TASK_GONE');
  });

  it('never moves a STOPPED task back to STOPPING, but still records the outcome', async () => {
    const { deps, mocks } = makeTestDeps();
    registered(mocks);
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
      UpdateExpression: 'SET drainOutcome = :outcome REMOVE waitArmed',
      ConditionExpression: 'executionArn = :me',
      ExpressionAttributeValues: { ':outcome': 'FORCE_STOPPED', ':me': ME },
      ReturnValues: 'ALL_NEW',
    });
  });

  it('leaves the item of a drain it no longer owns alone and reports no duration', async () => {
    const { deps, mocks } = makeTestDeps();
    registered(mocks);
    mocks.ecs.on(UpdateTaskProtectionCommand).resolves({ protectedTasks: [], failures: [] });
    mocks.ecs.on(StopTaskCommand).resolves({});
    mocks.ddb.on(UpdateCommand).rejects(new ConditionalCheckFailedException({ message: 'no', $metadata: {} }));

    await expect(stopDrainedTask(deps, input('HEARTBEAT_LOST'))).resolves.toEqual({ outcome: 'HEARTBEAT_LOST', secondsDrained: null });
  });

  it('turns ECS throttling and faults into RetryableEcsError and writes nothing to the registry', async () => {
    const { deps, mocks } = makeTestDeps();
    registered(mocks);
    mocks.ecs.on(UpdateTaskProtectionCommand).resolves({ protectedTasks: [], failures: [] });
    mocks.ecs.on(StopTaskCommand).rejects(new ServerException({ message: 'boom', $metadata: { httpStatusCode: 500 } }));

    await expect(stopDrainedTask(deps, input())).rejects.toMatchObject({ name: 'RetryableEcsError' });
    expect(mocks.ddb.commandCalls(UpdateCommand)).toHaveLength(0);
  });

  it('does not stop the task when releasing its protection is throttled', async () => {
    const { deps, mocks } = makeTestDeps();
    registered(mocks);
    mocks.ecs.on(UpdateTaskProtectionCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));

    await expect(stopDrainedTask(deps, input())).rejects.toMatchObject({ name: 'RetryableEcsError' });
    expect(mocks.ecs.commandCalls(StopTaskCommand)).toHaveLength(0);
  });
});

describe('stopDrainedTask: a deployment drain whose task the service keeps after all', () => {
  const OLD = 'ecs-svc/1111111111111111111';
  const NEW = 'ecs-svc/2222222222222222222';
  const SERVICE_ARN = 'arn:aws:ecs:us-east-1:111122223333:service/sessions/chat';

  /** ECS: the task was started by OLD; the service's PRIMARY deployment is `primary`. */
  function ecsSays(mocks: ReturnType<typeof makeTestDeps>['mocks'], primary: string, rolloutState = 'IN_PROGRESS'): void {
    mocks.ecs.on(DescribeServicesCommand).resolves({
      services: [{ serviceArn: SERVICE_ARN, serviceName: 'chat', desiredCount: 2, deployments: [{ id: primary, status: 'PRIMARY', rolloutState: rolloutState as 'IN_PROGRESS' }] }],
      failures: [],
    });
    mocks.ecs.on(DescribeTasksCommand).resolves({ tasks: [{ taskArn: TASK, startedBy: OLD, lastStatus: 'RUNNING', desiredStatus: 'RUNNING' }], failures: [] });
    mocks.ecs.on(UpdateTaskProtectionCommand).resolves({ protectedTasks: [{ taskArn: TASK, protectionEnabled: false }], failures: [] });
    mocks.ecs.on(StopTaskCommand).resolves({});
  }

  it('returns the task to service instead of stopping it when a rollback made its deployment PRIMARY again after the wait ended', async () => {
    // prepare
    const { deps, mocks } = makeTestDeps();
    registered(mocks, { drainReason: 'DEPLOYMENT' });
    ecsSays(mocks, OLD);
    mocks.ddb.on(UpdateCommand).resolves({ Attributes: { taskArn: TASK, status: 'DRAINING', sessionCount: 0, drainControl: 'CANCEL', cancelledBy: 'DEPLOYMENT' } });

    // act
    const result = await stopDrainedTask(deps, input('DRAINED'));

    // assert
    expect(result).toEqual({ outcome: 'CANCELLED', secondsDrained: null });
    expect(mocks.ddb.commandCalls(GetCommand)[0]?.args[0].input).toEqual({ TableName: TABLE_NAME, Key: { pk: TASK, sk: 'TASK' }, ConsistentRead: true });
    expect(mocks.ecs.commandCalls(DescribeServicesCommand)[0]?.args[0].input).toEqual({ cluster: CLUSTER_ARN, services: ['chat'] });
    expect(mocks.ecs.commandCalls(DescribeTasksCommand)[0]?.args[0].input).toEqual({ cluster: CLUSTER_ARN, tasks: [TASK] });
    expect(mocks.ecs.commandCalls(StopTaskCommand)).toHaveLength(0);
    // The step asks for the cancel as the pacer does; the workflow's "Return task to service" makes the task ACTIVE (drain-workflow-execution.test.ts).
    expect(mocks.ddb.commandCalls(UpdateCommand).map((call) => call.args[0].input)).toEqual([
      {
        TableName: TABLE_NAME,
        Key: { pk: TASK, sk: 'TASK' },
        UpdateExpression: 'SET drainControl = :cancel, cancelledBy = :reason',
        ConditionExpression:
          'executionArn = :execution AND drainReason = :reason AND #status IN (:active, :draining) AND attribute_not_exists(drainOutcome) AND (attribute_not_exists(drainControl) OR drainControl = :cancel)',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':cancel': 'CANCEL', ':execution': ME, ':reason': 'DEPLOYMENT', ':active': 'ACTIVE', ':draining': 'DRAINING' },
        ReturnValues: 'ALL_NEW',
      },
    ]);
    // Empty, it needs no protection: ECS may scale it in like any other task.
    expect(mocks.ecs.commandCalls(UpdateTaskProtectionCommand).map((call) => call.args[0].input)).toEqual([{ cluster: CLUSTER_ARN, tasks: [TASK], protectionEnabled: false }]);
  });

  it('keeps the protection of a kept task that still holds sessions at its deadline', async () => {
    const { deps, mocks } = makeTestDeps();
    registered(mocks, { drainReason: 'DEPLOYMENT', sessionCount: 3 });
    ecsSays(mocks, NEW, 'FAILED');
    mocks.ddb.on(UpdateCommand).resolves({ Attributes: { taskArn: TASK, status: 'DRAINING', sessionCount: 3, drainControl: 'CANCEL', cancelledBy: 'DEPLOYMENT' } });

    const result = await stopDrainedTask(deps, input('DEADLINE_FORCED'));

    expect(result.outcome).toBe('CANCELLED');
    expect(mocks.ecs.commandCalls(StopTaskCommand)).toHaveLength(0);
    expect(mocks.ecs.commandCalls(UpdateTaskProtectionCommand)).toHaveLength(0);
  });

  it('stops the task as planned while the PRIMARY deployment still replaces it', async () => {
    const { deps, mocks } = makeTestDeps();
    registered(mocks, { drainReason: 'DEPLOYMENT' });
    ecsSays(mocks, NEW);
    mocks.ddb.on(UpdateCommand).resolves({ Attributes: { drainStartedAt: STARTED } });

    const result = await stopDrainedTask(deps, input('DRAINED'));

    expect(result).toEqual({ outcome: 'DRAINED', secondsDrained: 300 });
    expect(mocks.ecs.commandCalls(StopTaskCommand).map((call) => call.args[0].input)).toEqual([{ cluster: CLUSTER_ARN, task: TASK, reason: 'ecs-session-drain: DRAINED' }]);
  });

  it("stops a kept task all the same when an operator forced the stop: that is the operator's call", async () => {
    const { deps, mocks } = makeTestDeps();
    registered(mocks, { drainReason: 'DEPLOYMENT' });
    ecsSays(mocks, OLD);
    mocks.ddb.on(UpdateCommand).resolves({ Attributes: { drainStartedAt: STARTED } });

    await stopDrainedTask(deps, input('FORCE_STOPPED'));

    expect(mocks.ecs.commandCalls(DescribeServicesCommand)).toHaveLength(0);
    expect(mocks.ecs.commandCalls(StopTaskCommand)).toHaveLength(1);
  });
});
