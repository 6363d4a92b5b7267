import { ContinueServiceDeploymentCommand, DescribeServicesCommand, DescribeTasksCommand, ListTasksCommand, StopTaskCommand, UpdateTaskProtectionCommand } from '@aws-sdk/client-ecs';
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { continueIfBlueDrained } from '../../../../functions/core/deployments/blue-green.js';
import { hookKey } from '../../../../functions/registry/pace/items.js';
import { stopDrainedTask } from '../../../../functions/core/workflow/stop-drained-task.js';
import { createHandler } from '../../../../functions/handlers/deployment-hook.js';
import { CLUSTER_ARN, NOW, STATE_MACHINE_ARN, TABLE_NAME, taskArn } from '../../../support/deps.js';
import { SERVICE_ARN, SERVICE_NAME } from '../../../support/ecs-events.js';
import { awsError, getTaskInput, registryItem } from '../../handlers/fixtures.js';
import { handlerTestDeps, sdkCallCount, type HandlerTestDeps } from '../../handlers/handler-harness.js';

/** Blue/green, linear and canary deployments: blue tasks drain while a pause hook holds the deployment (functions/core/deployments/blue-green.ts). */

const BLUE = 'ecs-svc/1111111111111111111';
const GREEN = 'ecs-svc/2222222222222222222';
const HOOK_ID = 'ecs-pause-4x8Q2bN7vK1mR5tY9wZ3cF6hJ0lP2sD4gA7eU1iO3nM';
const SERVICE_DEPLOYMENT_ARN = 'arn:aws:ecs:us-east-1:111122223333:service-deployment/sessions/chat/EZe5RNVLH6PPzHXINuP28';
const busyBlue = taskArn('000000000000000000000000000b1ue1');
const idleBlue = taskArn('000000000000000000000000000b1ue2');
const green = taskArn('0000000000000000000000000000a7ee');
const HOOK_KEY = { pk: `SERVICE#${CLUSTER_ARN}#${SERVICE_NAME}`, sk: 'BLUE_GREEN_HOOK' };

function hookEvent(detail: Record<string, unknown> = {}) {
  return {
    version: '0',
    id: '4f1c2b7e-8a3d-4c5e-9f60-2b7d1e8a9c31',
    'detail-type': 'ECS Hook State Change',
    source: 'aws.ecs',
    account: '111122223333',
    time: '2026-11-21T09:59:50Z',
    region: 'us-east-1',
    resources: [SERVICE_ARN],
    detail: {
      eventType: 'INFO',
      eventName: 'HOOK_AWAITING_ACTION',
      hookId: HOOK_ID,
      hookType: 'PAUSE',
      lifecycleStage: 'POST_PRODUCTION_TRAFFIC_SHIFT',
      clusterArn: CLUSTER_ARN,
      serviceArn: SERVICE_ARN,
      serviceDeploymentArn: SERVICE_DEPLOYMENT_ARN,
      expiresAt: '2026-11-22T09:59:50Z',
      ...detail,
    },
  };
}

function arrangeBlueGreen(t: HandlerTestDeps, strategy = 'BLUE_GREEN') {
  t.mocks.ecs.on(DescribeServicesCommand).resolves({
    services: [
      {
        serviceArn: SERVICE_ARN,
        serviceName: SERVICE_NAME,
        deploymentController: { type: 'ECS' },
        deploymentConfiguration: { strategy: strategy as 'BLUE_GREEN' },
        deployments: [
          { id: GREEN, status: 'PRIMARY', rolloutState: 'IN_PROGRESS' },
          { id: BLUE, status: 'ACTIVE', rolloutState: 'COMPLETED' },
        ],
      },
    ],
  });
  t.mocks.ecs.on(ListTasksCommand).resolves({ taskArns: [busyBlue, idleBlue, green] });
  t.mocks.ecs.on(DescribeTasksCommand).resolves({
    tasks: [
      { taskArn: busyBlue, startedBy: BLUE, lastStatus: 'RUNNING', desiredStatus: 'RUNNING' },
      { taskArn: idleBlue, startedBy: BLUE, lastStatus: 'RUNNING', desiredStatus: 'RUNNING' },
      { taskArn: green, startedBy: GREEN, lastStatus: 'RUNNING', desiredStatus: 'RUNNING' },
    ],
  });
  t.mocks.ddb.on(GetCommand, getTaskInput(busyBlue)).resolves({ Item: registryItem(busyBlue, { sessionCount: 3 }) });
  t.mocks.ddb.on(GetCommand, getTaskInput(idleBlue)).resolves({ Item: registryItem(idleBlue, { sessionCount: 0 }) });
  t.mocks.ddb.on(UpdateCommand).resolves({});
  t.mocks.sfn.on(StartExecutionCommand).resolves({});
}

describe('a blue/green deployment paused after its production traffic shift', () => {
  it('records the hook, then drains every blue task without stopping it, and waits while one still drains', async () => {
    const t = handlerTestDeps();
    arrangeBlueGreen(t);
    t.mocks.ddb.on(GetCommand, { TableName: TABLE_NAME, Key: HOOK_KEY, ConsistentRead: true }).resolves({
      Item: { ...HOOK_KEY, hookId: HOOK_ID, serviceDeploymentArn: SERVICE_DEPLOYMENT_ARN, blueTaskArns: [busyBlue, idleBlue] },
    });
    // After its claim, the busy task's drain is open (reason recorded, no outcome); the idle one's already ended.
    t.mocks.ddb
      .on(GetCommand, getTaskInput(busyBlue))
      .resolvesOnce({ Item: registryItem(busyBlue, { sessionCount: 3 }) })
      .resolves({ Item: registryItem(busyBlue, { sessionCount: 3, status: 'DRAINING', executionArn: 'x', drainReason: 'DEPLOYMENT' }) });

    const outcome = await createHandler(t.getDeps)(hookEvent());

    const updates = t.mocks.ddb.commandCalls(UpdateCommand).map((call) => call.args[0].input);
    expect(updates[0]).toEqual({
      TableName: TABLE_NAME,
      Key: HOOK_KEY,
      UpdateExpression: 'SET hookId = :hookId, serviceDeploymentArn = :deployment, blueTaskArns = :blue, armed = :false, updatedAt = :now REMOVE continuedAt',
      ConditionExpression: 'attribute_not_exists(continuedAt) OR hookId <> :hookId',
      ExpressionAttributeValues: { ':hookId': HOOK_ID, ':deployment': SERVICE_DEPLOYMENT_ARN, ':blue': [busyBlue, idleBlue], ':false': false, ':now': NOW.toISOString() },
    });
    // Armed only once every blue drain is started.
    expect(updates.at(-1)).toEqual({
      TableName: TABLE_NAME,
      Key: HOOK_KEY,
      UpdateExpression: 'SET armed = :true',
      ConditionExpression: 'hookId = :hookId',
      ExpressionAttributeValues: { ':true': true, ':hookId': HOOK_ID },
    });
    const inputs = t.mocks.sfn.commandCalls(StartExecutionCommand).map((call) => JSON.parse(call.args[0].input.input ?? '{}') as Record<string, unknown>);
    expect(inputs.map((input) => input.taskArn).sort()).toEqual([busyBlue, idleBlue].sort());
    expect(inputs.every((input) => input.ecsStopsTask === true && input.reason === 'DEPLOYMENT')).toBe(true);
    expect(t.mocks.sfn.commandCalls(StartExecutionCommand)[0]!.args[0].input.stateMachineArn).toBe(STATE_MACHINE_ARN);
    // The registry still shows both drains open (the mocks' items have no outcome): nothing continues yet.
    expect(t.mocks.ecs.commandCalls(ContinueServiceDeploymentCommand)).toEqual([]);
    expect(outcome).toMatchObject({ status: 'done', result: { hookId: HOOK_ID, blueTasks: [busyBlue, idleBlue], continued: 'waiting' } });
  });

  it('continues the deployment once every blue drain has recorded its outcome, and marks the hook continued', async () => {
    const t = handlerTestDeps();
    t.mocks.ddb.on(GetCommand, { TableName: TABLE_NAME, Key: HOOK_KEY, ConsistentRead: true }).resolves({
      Item: { ...HOOK_KEY, hookId: HOOK_ID, serviceDeploymentArn: SERVICE_DEPLOYMENT_ARN, blueTaskArns: [busyBlue, idleBlue] },
    });
    t.mocks.ddb.on(GetCommand, getTaskInput(busyBlue)).resolves({ Item: registryItem(busyBlue, { status: 'DRAINING', drainOutcome: 'DEADLINE_FORCED', executionArn: 'x' }) });
    t.mocks.ddb.on(GetCommand, getTaskInput(idleBlue)).resolves({ Item: registryItem(idleBlue, { status: 'ACTIVE', drainOutcome: 'DRAINED', executionArn: 'y', drainReason: 'DEPLOYMENT' }) });
    t.mocks.ddb.on(UpdateCommand).resolves({});
    t.mocks.ecs.on(ContinueServiceDeploymentCommand).resolves({});

    const result = await continueIfBlueDrained(t.deps, { clusterArn: CLUSTER_ARN, serviceName: SERVICE_NAME });

    expect(result).toBe('continued');
    expect(t.mocks.ecs.commandCalls(ContinueServiceDeploymentCommand).map((call) => call.args[0].input)).toEqual([
      { serviceDeploymentArn: SERVICE_DEPLOYMENT_ARN, hookId: HOOK_ID, action: 'CONTINUE' },
    ]);
    expect(t.mocks.ddb.commandCalls(UpdateCommand).map((call) => call.args[0].input)).toEqual([
      {
        TableName: TABLE_NAME,
        Key: HOOK_KEY,
        UpdateExpression: 'SET continuedAt = :now',
        ConditionExpression: 'hookId = :hookId',
        ExpressionAttributeValues: { ':now': NOW.toISOString(), ':hookId': HOOK_ID },
      },
    ]);
  });

  it('counts a hook that no longer waits (timed out, rolled back) as continued, and retries any other failure', async () => {
    const t = handlerTestDeps();
    t.mocks.ddb.on(GetCommand, { TableName: TABLE_NAME, Key: HOOK_KEY, ConsistentRead: true }).resolves({
      Item: { ...HOOK_KEY, hookId: HOOK_ID, serviceDeploymentArn: SERVICE_DEPLOYMENT_ARN, blueTaskArns: [] },
    });
    t.mocks.ddb.on(UpdateCommand).resolves({});
    t.mocks.ecs.on(ContinueServiceDeploymentCommand).rejectsOnce(awsError('InvalidParameterException', 'The hook is not awaiting action')).rejectsOnce(awsError('ThrottlingException', 'Rate exceeded', 400));

    const first = await continueIfBlueDrained(t.deps, { clusterArn: CLUSTER_ARN, serviceName: SERVICE_NAME });
    const second = continueIfBlueDrained(t.deps, { clusterArn: CLUSTER_ARN, serviceName: SERVICE_NAME });

    expect(first).toBe('continued');
    await expect(second).rejects.toThrow();
    // Only the first marked the hook: a failed call must be tried again, never forgotten.
    expect(t.mocks.ddb.commandCalls(UpdateCommand)).toHaveLength(1);
  });

  it('waits while the hook is not armed yet: a blue task whose drain has not started is not drained', async () => {
    const t = handlerTestDeps();
    t.mocks.ddb.on(GetCommand, { TableName: TABLE_NAME, Key: HOOK_KEY, ConsistentRead: true }).resolves({
      Item: { ...HOOK_KEY, hookId: HOOK_ID, serviceDeploymentArn: SERVICE_DEPLOYMENT_ARN, blueTaskArns: [busyBlue], armed: false },
    });
    t.mocks.ddb.on(GetCommand, getTaskInput(busyBlue)).resolves({ Item: registryItem(busyBlue, { sessionCount: 3 }) });

    const result = await continueIfBlueDrained(t.deps, { clusterArn: CLUSTER_ARN, serviceName: SERVICE_NAME });

    expect(result).toBe('waiting');
    expect(t.mocks.ecs.calls()).toEqual([]);
  });

  it('does nothing when no hook of the service is paused', async () => {
    const t = handlerTestDeps();
    t.mocks.ddb.on(GetCommand).resolves({});

    const result = await continueIfBlueDrained(t.deps, { clusterArn: CLUSTER_ARN, serviceName: SERVICE_NAME });

    expect(result).toBe('nothing-paused');
    expect(t.mocks.ecs.calls()).toEqual([]);
  });

  it('leaves a ROLLING service alone: its drains are paced, not held at a hook', async () => {
    const t = handlerTestDeps();
    arrangeBlueGreen(t, 'ROLLING');

    const outcome = await createHandler(t.getDeps)(hookEvent());

    expect(outcome).toMatchObject({ status: 'rejected' });
    expect(t.mocks.sfn.calls()).toEqual([]);
    expect(t.mocks.ddb.commandCalls(UpdateCommand)).toEqual([]);
  });

  it('rejects a hook paused at another stage with one log line and no AWS call', async () => {
    const t = handlerTestDeps();

    const outcome = await createHandler(t.getDeps)(hookEvent({ lifecycleStage: 'POST_TEST_TRAFFIC_SHIFT' }));

    expect(outcome).toEqual({ status: 'rejected', reason: expect.stringContaining('POST_TEST_TRAFFIC_SHIFT') });
    expect(sdkCallCount(t)).toBe(0);
    expect(t.spies.warn).toHaveBeenCalledTimes(1);
  });
});

describe('the stop step of a blue task', () => {
  const input = {
    cluster: CLUSTER_ARN,
    taskArn: busyBlue,
    executionArn: `arn:aws:states:us-east-1:111122223333:execution:SessionDrain:drain-${busyBlue.split('/').pop()}-1`,
    outcome: 'DRAINED' as const,
    ecsStopsTask: true,
  };

  it('releases protection and returns the emptied task to service without stopping it, then checks the hook', async () => {
    const t = handlerTestDeps();
    t.mocks.ecs.on(UpdateTaskProtectionCommand).resolves({ protectedTasks: [{ taskArn: busyBlue, protectionEnabled: false }], failures: [] });
    t.mocks.ddb.on(UpdateCommand).resolves({ Attributes: registryItem(busyBlue, { drainStartedAt: NOW.getTime() / 1000 - 90 }) });
    t.mocks.ddb.on(GetCommand).resolves({});

    const result = await stopDrainedTask(t.deps, input);

    expect(t.mocks.ecs.commandCalls(StopTaskCommand)).toEqual([]);
    expect(t.mocks.ecs.commandCalls(UpdateTaskProtectionCommand)[0]!.args[0].input).toMatchObject({ tasks: [busyBlue], protectionEnabled: false });
    expect(t.mocks.ddb.commandCalls(UpdateCommand).map((call) => call.args[0].input).find((write) => (write.Key as { pk: string }).pk === busyBlue)).toEqual({
      TableName: TABLE_NAME,
      Key: { pk: busyBlue, sk: 'TASK' },
      UpdateExpression: 'SET drainOutcome = :outcome, #status = :active REMOVE waitArmed',
      ConditionExpression: 'executionArn = :me AND #status = :draining',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':outcome': 'DRAINED', ':me': input.executionArn, ':active': 'ACTIVE', ':draining': 'DRAINING' },
      ReturnValues: 'ALL_NEW',
    });
    expect(t.mocks.ddb.commandCalls(GetCommand).map((call) => call.args[0].input.Key)).toEqual([hookKey(CLUSTER_ARN, SERVICE_NAME)]);
    expect(result).toEqual({ outcome: 'DRAINED', secondsDrained: 90 });
  });

  it('keeps a task still holding sessions at the deadline DRAINING for ECS to remove', async () => {
    const t = handlerTestDeps();
    t.mocks.ecs.on(UpdateTaskProtectionCommand).resolves({ protectedTasks: [{ taskArn: busyBlue, protectionEnabled: false }], failures: [] });
    t.mocks.ddb.on(UpdateCommand).resolves({ Attributes: registryItem(busyBlue, { status: 'DRAINING' }) });
    t.mocks.ddb.on(GetCommand).resolves({});

    await stopDrainedTask(t.deps, { ...input, outcome: 'DEADLINE_FORCED' });

    expect(t.mocks.ecs.commandCalls(StopTaskCommand)).toEqual([]);
    const write = t.mocks.ddb.commandCalls(UpdateCommand)[0]!.args[0].input;
    expect(write.UpdateExpression).toBe('SET drainOutcome = :outcome REMOVE waitArmed');
    expect(write.ConditionExpression).toBe('executionArn = :me');
  });
});
