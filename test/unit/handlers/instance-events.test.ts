import { DescribeContainerInstancesCommand, ListContainerInstancesCommand, ListTasksCommand, UpdateTaskProtectionCommand } from '@aws-sdk/client-ecs';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { createHandler as containerInstanceHandler } from '../../../functions/handlers/container-instance-draining.js';
import { createHandler as rebalanceHandler } from '../../../functions/handlers/rebalance-recommendation.js';
import { CLUSTER_ARN, STATE_MACHINE_ARN, taskArn } from '../../support/deps.js';
import { CONTAINER_INSTANCE_ARN, containerInstanceStateChange, EC2_INSTANCE_ID, rebalanceRecommendation } from '../../support/ecs-events.js';
import { countedMetrics, handlerTestDeps, type HandlerTestDeps } from './handler-harness.js';
import { getTaskInput, registryItem } from './fixtures.js';

const busy = taskArn('000000000000000000000000000000b1');
const idle = taskArn('000000000000000000000000000000a1');
const unregistered = taskArn('000000000000000000000000000000c1');
const stopping = taskArn('000000000000000000000000000000d1');
const DEFAULT_DEADLINE = '2026-11-21T11:00:00.000Z';

function arrangeInstanceTasks(t: HandlerTestDeps) {
  t.mocks.ecs.on(ListTasksCommand).resolves({ taskArns: [busy, idle, unregistered, stopping] });
  t.mocks.ddb.on(GetCommand, getTaskInput(busy)).resolves({ Item: registryItem(busy, { sessionCount: 5 }) });
  t.mocks.ddb.on(GetCommand, getTaskInput(idle)).resolves({ Item: registryItem(idle, { sessionCount: 0 }) });
  t.mocks.ddb.on(GetCommand, getTaskInput(unregistered)).resolves({});
  t.mocks.ddb.on(GetCommand, getTaskInput(stopping)).resolves({ Item: registryItem(stopping, { status: 'STOPPING' }) });
  t.mocks.ddb.on(UpdateCommand).resolves({});
  t.mocks.sfn.on(StartExecutionCommand).resolves({});
}

/** ecsReplacesTask: the instance is DRAINING, so ECS starts the task's replacement itself and the drain must not surge. */
function drainStart(arn: string, id: string, ecs: 'ecs-replaces' | 'surge' = 'surge') {
  return {
    stateMachineArn: STATE_MACHINE_ARN,
    name: `drain-${id}-1`,
    input: JSON.stringify({
      cluster: CLUSTER_ARN,
      taskArn: arn,
      service: 'chat',
      reason: 'INSTANCE',
      deadline: DEFAULT_DEADLINE,
      ...(ecs === 'ecs-replaces' ? { ecsReplacesTask: true } : {}),
    }),
  };
}

describe('container instance draining handler', () => {
  it('drains the registered tasks of a draining instance, idle ones too, and releases unregistered ones', async () => {
    const t = handlerTestDeps();
    arrangeInstanceTasks(t);
    t.mocks.ecs.on(DescribeContainerInstancesCommand).resolves({ containerInstances: [{ containerInstanceArn: CONTAINER_INSTANCE_ARN, status: 'DRAINING' }] });
    t.mocks.ecs.on(UpdateTaskProtectionCommand).resolves({
      protectedTasks: [],
      failures: [{ arn: unregistered, reason: 'TASK_NOT_VALID' }],
    });

    const outcome = await containerInstanceHandler(t.getDeps)(containerInstanceStateChange());

    expect(t.mocks.ecs.commandCalls(DescribeContainerInstancesCommand)[0]!.args[0].input).toEqual({
      cluster: CLUSTER_ARN,
      containerInstances: [CONTAINER_INSTANCE_ARN],
    });
    expect(t.mocks.ecs.commandCalls(ListTasksCommand)[0]!.args[0].input).toEqual({
      cluster: CLUSTER_ARN,
      containerInstance: CONTAINER_INSTANCE_ARN,
      desiredStatus: 'RUNNING',
    });
    expect(t.mocks.sfn.commandCalls(StartExecutionCommand).map((call) => call.args[0].input)).toEqual([
      drainStart(busy, '000000000000000000000000000000b1', 'ecs-replaces'),
      drainStart(idle, '000000000000000000000000000000a1', 'ecs-replaces'),
    ]);
    expect(t.mocks.ecs.commandCalls(UpdateTaskProtectionCommand).map((call) => call.args[0].input)).toEqual([
      { cluster: CLUSTER_ARN, tasks: [unregistered], protectionEnabled: false },
    ]);
    expect(outcome).toEqual({
      status: 'done',
      result: {
        clusterArn: CLUSTER_ARN,
        containerInstanceArn: CONTAINER_INSTANCE_ARN,
        tasksOnInstance: 4,
        drainsStarted: [busy, idle],
        alreadyDraining: [],
        released: [unregistered],
        skipped: [stopping],
      },
    });
  });

  it('ignores a late DRAINING event for an instance that is ACTIVE again', async () => {
    const t = handlerTestDeps();
    t.mocks.ecs.on(DescribeContainerInstancesCommand).resolves({ containerInstances: [{ containerInstanceArn: CONTAINER_INSTANCE_ARN, status: 'ACTIVE' }] });

    const outcome = await containerInstanceHandler(t.getDeps)(containerInstanceStateChange());

    expect(outcome).toEqual({ status: 'rejected', reason: expect.stringContaining('is ACTIVE now') });
    expect(t.mocks.ecs.commandCalls(ListTasksCommand)).toHaveLength(0);
    expect(t.mocks.ddb.calls()).toHaveLength(0);
    expect(countedMetrics(t)).toEqual(['EventsRejected']);
  });
});

describe('rebalance recommendation handler', () => {
  it('starts ordinary INSTANCE drains, with the default deadline, for every registered task on the instance', async () => {
    const t = handlerTestDeps();
    arrangeInstanceTasks(t);
    t.mocks.ecs.on(ListContainerInstancesCommand).resolves({ containerInstanceArns: [CONTAINER_INSTANCE_ARN] });

    const outcome = await rebalanceHandler(t.getDeps)(rebalanceRecommendation());

    expect(t.mocks.ecs.commandCalls(ListContainerInstancesCommand)[0]!.args[0].input).toEqual({
      cluster: CLUSTER_ARN,
      filter: `ec2InstanceId == ${EC2_INSTANCE_ID}`,
    });
    expect(t.mocks.sfn.commandCalls(StartExecutionCommand).map((call) => call.args[0].input)).toEqual([
      drainStart(busy, '000000000000000000000000000000b1'),
      drainStart(idle, '000000000000000000000000000000a1'),
    ]);
    expect(t.mocks.ecs.commandCalls(UpdateTaskProtectionCommand)).toHaveLength(0);
    expect(outcome).toMatchObject({ status: 'done', result: { drainsStarted: [busy, idle], skipped: [unregistered, stopping] } });
  });

  it('ignores a recommendation for an instance outside the clusters in scope', async () => {
    const t = handlerTestDeps();
    t.mocks.ecs.on(ListContainerInstancesCommand).resolves({ containerInstanceArns: [] });

    const outcome = await rebalanceHandler(t.getDeps)(rebalanceRecommendation());

    expect(outcome).toEqual({ status: 'rejected', reason: expect.stringContaining(EC2_INSTANCE_ID) });
    expect(t.mocks.ecs.commandCalls(ListTasksCommand)).toHaveLength(0);
    expect(t.spies.warn).toHaveBeenCalledTimes(1);
  });
});
