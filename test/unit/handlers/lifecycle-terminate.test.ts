import { CompleteLifecycleActionCommand, DescribeLifecycleHooksCommand, RecordLifecycleActionHeartbeatCommand } from '@aws-sdk/client-auto-scaling';
import { DescribeContainerInstancesCommand, ListContainerInstancesCommand, ListTasksCommand, UpdateTaskProtectionCommand } from '@aws-sdk/client-ecs';
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { createHandler as containerInstanceHandler } from '../../../functions/handlers/container-instance-draining.js';
import { createHandler as lifecycleHandler } from '../../../functions/handlers/lifecycle-terminate.js';
import { settleLifecycleAction } from '../../../functions/core/terminations/lifecycle-actions.js';
import { LIFECYCLE_ACTIONS_KEY, type LifecycleAction } from '../../../functions/registry/terminations/items.js';
import { CLUSTER_ARN, NOW, STATE_MACHINE_ARN, TABLE_NAME, taskArn } from '../../support/deps.js';
import { CONTAINER_INSTANCE_ARN, containerInstanceStateChange, EC2_INSTANCE_ID, LIFECYCLE_TOKEN, terminateLifecycleAction } from '../../support/ecs-events.js';
import { handlerTestDeps, type HandlerTestDeps, startedDrainInputs } from './handler-harness.js';
import { awsError, getTaskInput, registryItem } from './fixtures.js';

const busy = taskArn('000000000000000000000000000000b1');
const unregistered = taskArn('000000000000000000000000000000c1');
const STARTED_AT = Date.parse('2026-11-21T09:59:50Z') / 1000;
const NOW_SECONDS = NOW.getTime() / 1000;
/** The default drain deadline (3600 s): the hook's global timeout (100 x 600 s) leaves room for it. */
const DRAIN_DEADLINE = NOW_SECONDS + 3600;

const ACTION_REF = { AutoScalingGroupName: 'sessions-asg', LifecycleHookName: 'ecs-session-drain', LifecycleActionToken: LIFECYCLE_TOKEN, InstanceId: EC2_INSTANCE_ID };

function recordedAction(overrides: Partial<LifecycleAction> = {}): LifecycleAction {
  return {
    token: LIFECYCLE_TOKEN,
    groupName: 'sessions-asg',
    hookName: 'ecs-session-drain',
    instanceId: EC2_INSTANCE_ID,
    clusterArn: CLUSTER_ARN,
    containerInstanceArn: CONTAINER_INSTANCE_ARN,
    startedAt: STARTED_AT,
    heartbeatTimeoutSeconds: 600,
    globalDeadline: STARTED_AT + 60_000,
    drainDeadline: DRAIN_DEADLINE,
    heartbeatAt: STARTED_AT,
    ...overrides,
  };
}

/** An instance of the cluster in scope, ACTIVE (or as given), running the given tasks; a hook with a 600 s heartbeat timeout. */
function arrangeInstance(t: HandlerTestDeps, options: { status?: string; tasks?: string[]; actions?: Record<string, LifecycleAction> } = {}) {
  t.mocks.ecs.on(ListContainerInstancesCommand).resolves({ containerInstanceArns: [CONTAINER_INSTANCE_ARN] });
  t.mocks.ecs.on(DescribeContainerInstancesCommand).resolves({ containerInstances: [{ containerInstanceArn: CONTAINER_INSTANCE_ARN, status: options.status ?? 'ACTIVE' }] });
  t.mocks.ecs.on(ListTasksCommand).resolves({ taskArns: options.tasks ?? [busy, unregistered] });
  t.mocks.ecs.on(UpdateTaskProtectionCommand).resolves({ protectedTasks: [], failures: [] });
  t.mocks.autoScaling.on(DescribeLifecycleHooksCommand).resolves({ LifecycleHooks: [{ LifecycleHookName: 'ecs-session-drain', HeartbeatTimeout: 600, GlobalTimeout: 60_000 }] });
  t.mocks.autoScaling.on(CompleteLifecycleActionCommand).resolves({});
  t.mocks.ddb.on(GetCommand, { TableName: TABLE_NAME, Key: LIFECYCLE_ACTIONS_KEY, ConsistentRead: true }).resolves(options.actions ? { Item: { ...LIFECYCLE_ACTIONS_KEY, actions: options.actions } } : {});
  t.mocks.ddb.on(GetCommand, getTaskInput(busy)).resolves({ Item: registryItem(busy, { sessionCount: 4 }) });
  t.mocks.ddb.on(GetCommand, getTaskInput(unregistered)).resolves({});
  t.mocks.ddb.on(UpdateCommand).resolves({});
  t.mocks.sfn.on(StartExecutionCommand).resolves({});
}


describe('Auto Scaling terminate lifecycle hook', () => {
  it('drains the session-holding tasks of an ACTIVE instance with a replacement each, records the action and holds the instance', async () => {
    const t = handlerTestDeps();
    arrangeInstance(t);

    const outcome = await lifecycleHandler(t.getDeps)(terminateLifecycleAction());

    expect(t.mocks.ecs.commandCalls(ListContainerInstancesCommand)[0]!.args[0].input).toEqual({ cluster: CLUSTER_ARN, filter: `ec2InstanceId == ${EC2_INSTANCE_ID}` });
    expect(t.mocks.autoScaling.commandCalls(DescribeLifecycleHooksCommand)[0]!.args[0].input).toEqual({ AutoScalingGroupName: 'sessions-asg', LifecycleHookNames: ['ecs-session-drain'] });
    // No ecsReplacesTask: ECS replaces nothing on an ACTIVE instance, so the drain surges.
    expect(startedDrainInputs(t)).toEqual([{ cluster: CLUSTER_ARN, taskArn: busy, service: 'chat', reason: 'INSTANCE', deadline: new Date(DRAIN_DEADLINE * 1000).toISOString() }]);
    expect(t.mocks.sfn.commandCalls(StartExecutionCommand)[0]!.args[0].input.stateMachineArn).toBe(STATE_MACHINE_ARN);
    const recorded = t.mocks.ddb.commandCalls(UpdateCommand).find((call) => call.args[0].input.Key?.pk === LIFECYCLE_ACTIONS_KEY.pk);
    expect(recorded!.args[0].input).toEqual({
      TableName: TABLE_NAME,
      Key: LIFECYCLE_ACTIONS_KEY,
      UpdateExpression: 'SET actions = :actions',
      ConditionExpression: 'attribute_not_exists(actions)',
      ExpressionAttributeValues: { ':actions': { [`${EC2_INSTANCE_ID}#ecs-session-drain`]: recordedAction() } },
    });
    // A task with sessions holds the instance: no CONTINUE yet.
    expect(t.mocks.autoScaling.commandCalls(CompleteLifecycleActionCommand)).toHaveLength(0);
    expect(outcome).toMatchObject({ status: 'done', result: { instanceId: EC2_INSTANCE_ID, action: 'recorded', step: 'waiting', drains: { drainsStarted: [busy], skipped: [unregistered] } } });
  });

  it('lets an instance with no registered task go at once with CONTINUE', async () => {
    const t = handlerTestDeps();
    arrangeInstance(t, { tasks: [unregistered] });

    const outcome = await lifecycleHandler(t.getDeps)(terminateLifecycleAction());

    expect(t.mocks.autoScaling.commandCalls(CompleteLifecycleActionCommand).map((call) => call.args[0].input)).toEqual([{ ...ACTION_REF, LifecycleActionResult: 'CONTINUE' }]);
    expect(startedDrainInputs(t)).toEqual([]);
    expect(outcome).toMatchObject({ status: 'done', result: { step: 'completed' } });
  });

  it('drains an instance ECS already set DRAINING as the container-instance path does: no surge, unregistered tasks released', async () => {
    const t = handlerTestDeps();
    arrangeInstance(t, { status: 'DRAINING' });

    await lifecycleHandler(t.getDeps)(terminateLifecycleAction());

    expect(startedDrainInputs(t)).toEqual([expect.objectContaining({ taskArn: busy, ecsReplacesTask: true })]);
    expect(t.mocks.ecs.commandCalls(UpdateTaskProtectionCommand).map((call) => call.args[0].input)).toEqual([{ cluster: CLUSTER_ARN, tasks: [unregistered], protectionEnabled: false }]);
  });

  it('with capacity-provider managed draining, leaves ECS its own hook and drains once through the DRAINING path: one drain, no surge', async () => {
    const t = handlerTestDeps();
    arrangeInstance(t, { status: 'DRAINING' });

    const hook = await lifecycleHandler(t.getDeps)(terminateLifecycleAction({ LifecycleHookName: 'ecs-managed-draining-termination-hook' }));
    const draining = await containerInstanceHandler(t.getDeps)(containerInstanceStateChange());

    expect(hook).toEqual({ status: 'rejected', reason: expect.stringContaining('ECS managed draining') });
    expect(t.mocks.autoScaling.calls()).toHaveLength(0);
    expect(draining).toMatchObject({ status: 'done', result: { drainsStarted: [busy] } });
    expect(startedDrainInputs(t)).toEqual([expect.objectContaining({ taskArn: busy, ecsReplacesTask: true })]);
  });

  it('ignores a duplicate of an action it completed: no drain, no Auto Scaling call', async () => {
    const t = handlerTestDeps();
    arrangeInstance(t, { actions: { [`${EC2_INSTANCE_ID}#ecs-session-drain`]: recordedAction({ completedAt: NOW_SECONDS - 30, outcome: 'CONTINUE' }) } });

    const outcome = await lifecycleHandler(t.getDeps)(terminateLifecycleAction());

    expect(outcome).toEqual({ status: 'rejected', reason: expect.stringContaining('duplicate event') });
    expect(t.mocks.ecs.calls()).toHaveLength(0);
    expect(t.mocks.autoScaling.calls()).toHaveLength(0);
    expect(startedDrainInputs(t)).toEqual([]);
  });

  it('does not record a duplicate of an open action again', async () => {
    const t = handlerTestDeps();
    arrangeInstance(t, { actions: { [`${EC2_INSTANCE_ID}#ecs-session-drain`]: recordedAction() } });

    const outcome = await lifecycleHandler(t.getDeps)(terminateLifecycleAction());

    expect(outcome).toMatchObject({ status: 'done', result: { action: 'duplicate', step: 'waiting' } });
    expect(t.mocks.autoScaling.commandCalls(DescribeLifecycleHooksCommand)).toHaveLength(0);
    expect(t.mocks.ddb.commandCalls(UpdateCommand).filter((call) => call.args[0].input.Key?.pk === LIFECYCLE_ACTIONS_KEY.pk)).toHaveLength(0);
  });

  it('leaves an instance no cluster in scope knows to the hook’s DefaultResult', async () => {
    const t = handlerTestDeps();
    arrangeInstance(t);
    t.mocks.ecs.on(ListContainerInstancesCommand).resolves({ containerInstanceArns: [] });

    const outcome = await lifecycleHandler(t.getDeps)(terminateLifecycleAction());

    expect(outcome).toEqual({ status: 'rejected', reason: expect.stringContaining('DefaultResult') });
    expect(t.mocks.autoScaling.calls()).toHaveLength(0);
  });

  it('refuses a launch lifecycle action even if a rule delivered it', async () => {
    const t = handlerTestDeps();

    const outcome = await lifecycleHandler(t.getDeps)(terminateLifecycleAction({ LifecycleTransition: 'autoscaling:EC2_INSTANCE_LAUNCHING' }));

    expect(outcome).toMatchObject({ status: 'rejected' });
    expect(t.mocks.ecs.calls()).toHaveLength(0);
  });
});

describe('a recorded lifecycle action, moved on by the reconciler', () => {
  it('sends a heartbeat once half the heartbeat timeout went by while a task holds sessions', async () => {
    const t = handlerTestDeps();
    arrangeInstance(t);
    t.mocks.ddb.on(GetCommand, getTaskInput(busy)).resolves({ Item: registryItem(busy, { sessionCount: 4, status: 'DRAINING' }) });
    t.mocks.autoScaling.on(RecordLifecycleActionHeartbeatCommand).resolves({});

    const step = await settleLifecycleAction(t.deps, recordedAction({ heartbeatAt: NOW_SECONDS - 300 }));

    expect(step).toBe('heartbeat');
    expect(t.mocks.autoScaling.commandCalls(RecordLifecycleActionHeartbeatCommand).map((call) => call.args[0].input)).toEqual([ACTION_REF]);
    expect(t.mocks.autoScaling.commandCalls(CompleteLifecycleActionCommand)).toHaveLength(0);
    expect(startedDrainInputs(t)).toEqual([]);
  });

  it('waits without a call while the last heartbeat is recent', async () => {
    const t = handlerTestDeps();
    arrangeInstance(t);
    t.mocks.ddb.on(GetCommand, getTaskInput(busy)).resolves({ Item: registryItem(busy, { sessionCount: 4, status: 'DRAINING' }) });

    const step = await settleLifecycleAction(t.deps, recordedAction({ heartbeatAt: NOW_SECONDS - 100 }));

    expect(step).toBe('waiting');
    expect(t.mocks.autoScaling.calls()).toHaveLength(0);
  });

  it('sends CONTINUE once the last session-holding task has stopped', async () => {
    const t = handlerTestDeps();
    arrangeInstance(t, { tasks: [unregistered] });

    const step = await settleLifecycleAction(t.deps, recordedAction());

    expect(step).toBe('completed');
    expect(t.mocks.autoScaling.commandCalls(CompleteLifecycleActionCommand).map((call) => call.args[0].input)).toEqual([{ ...ACTION_REF, LifecycleActionResult: 'CONTINUE' }]);
    const completed = t.mocks.ddb.commandCalls(UpdateCommand).find((call) => call.args[0].input.Key?.pk === LIFECYCLE_ACTIONS_KEY.pk);
    expect(completed!.args[0].input).toMatchObject({
      UpdateExpression: 'SET actions.#id.completedAt = :at, actions.#id.outcome = :outcome',
      ExpressionAttributeValues: { ':at': NOW_SECONDS, ':outcome': 'CONTINUE', ':token': LIFECYCLE_TOKEN },
    });
  });

  it('holds the instance while a drained task is STOPPING and ECS still lists it running (StopTask not yet asked)', async () => {
    const t = handlerTestDeps();
    arrangeInstance(t);
    t.mocks.ddb.on(GetCommand, getTaskInput(busy)).resolves({ Item: registryItem(busy, { sessionCount: 0, status: 'STOPPING', drainOutcome: 'DRAINED' }) });

    const step = await settleLifecycleAction(t.deps, recordedAction({ heartbeatAt: NOW_SECONDS }));

    expect(step).toBe('waiting');
    expect(t.mocks.autoScaling.commandCalls(CompleteLifecycleActionCommand)).toHaveLength(0);
  });

  it('sends CONTINUE past the drain deadline even with a task left (the drain forced it)', async () => {
    const t = handlerTestDeps();
    arrangeInstance(t);
    t.mocks.ddb.on(GetCommand, getTaskInput(busy)).resolves({ Item: registryItem(busy, { sessionCount: 4, status: 'DRAINING' }) });

    const step = await settleLifecycleAction(t.deps, recordedAction({ drainDeadline: NOW_SECONDS - 121 }));

    expect(step).toBe('completed');
  });

  it('drains a busy task ECS placed on the instance after the drains started, without a surge that could place one more there', async () => {
    const t = handlerTestDeps();
    arrangeInstance(t);

    const step = await settleLifecycleAction(t.deps, recordedAction({ heartbeatAt: NOW_SECONDS }));

    expect(step).toBe('waiting');
    expect(startedDrainInputs(t)).toEqual([
      { cluster: CLUSTER_ARN, taskArn: busy, service: 'chat', reason: 'INSTANCE', deadline: new Date(DRAIN_DEADLINE * 1000).toISOString(), ecsReplacesTask: true },
    ]);
  });

  it('lets the instance go when only an idle task is left, draining that task first so that it takes no session in the last moments', async () => {
    const t = handlerTestDeps();
    arrangeInstance(t);
    t.mocks.ddb.on(GetCommand, getTaskInput(busy)).resolves({ Item: registryItem(busy, { sessionCount: 0 }) });

    const step = await settleLifecycleAction(t.deps, recordedAction());

    expect(step).toBe('completed');
    expect(startedDrainInputs(t)).toEqual([expect.objectContaining({ taskArn: busy, ecsReplacesTask: true })]);
    expect(t.mocks.autoScaling.commandCalls(CompleteLifecycleActionCommand)).toHaveLength(1);
  });

  it('records an action Auto Scaling already ended (a late completion) as gone, without throwing', async () => {
    const t = handlerTestDeps();
    arrangeInstance(t, { tasks: [] });
    t.mocks.autoScaling.on(CompleteLifecycleActionCommand).rejects(awsError('ValidationError', 'No active Lifecycle Action found with token b3f1c2d4'));

    const step = await settleLifecycleAction(t.deps, recordedAction());

    expect(step).toBe('gone');
  });
});
