import { DescribeServicesCommand, DescribeTasksCommand, ListServicesCommand, ListTasksCommand, type Service, UpdateTaskProtectionCommand } from '@aws-sdk/client-ecs';
import { DescribeExecutionCommand, SendTaskFailureCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { BatchGetCommand, GetCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { LOST_WORKFLOW_GRACE_SECONDS } from '../../../functions/core/reconcile/decisions.js';
import { runReconciler } from '../../../functions/handlers/reconciler.js';
import type { TaskItem } from '../../../functions/registry/model.js';
import { CLUSTER_ARN, makeTestDeps, NOW, STATE_MACHINE_ARN, TABLE_NAME, taskArn } from '../../support/deps.js';
import { armedWait } from './fixtures.js';

const NOW_SECONDS = NOW.getTime() / 1000;
const SERVICE_ARN = 'arn:aws:ecs:us-east-1:111122223333:service/sessions/web';
const EXECUTION_PREFIX = 'arn:aws:states:us-east-1:111122223333:execution:SessionDrain:';

function item(id: string, overrides: Partial<TaskItem> = {}): TaskItem {
  const arn = taskArn(id);
  return {
    pk: arn,
    sk: 'TASK',
    taskArn: arn,
    clusterArn: CLUSTER_ARN,
    serviceTask: `web#${arn}`,
    serviceName: 'web',
    sessionCount: 0,
    status: 'ACTIVE',
    heartbeatAt: NOW_SECONDS - 10,
    ...overrides,
  };
}

interface World {
  items: TaskItem[];
  /** ECS lastStatus per task id; tasks not listed are MISSING. */
  ecs?: Record<string, string>;
  service?: { runningCount: number; desiredCount: number } & Partial<Pick<Service, 'deployments' | 'deploymentController' | 'deploymentConfiguration'>>;
  executions?: Record<string, string>;
}

function arrange(world: World) {
  const t = makeTestDeps();
  const { mocks } = t;
  const byArn = new Map(world.items.map((task) => [task.taskArn, task]));
  mocks.ddb.on(QueryCommand).resolves({ Items: world.items });
  mocks.ddb.on(GetCommand).callsFake((input: { Key: { pk: string } }) => ({ Item: byArn.get(input.Key.pk) }));
  mocks.ddb.on(BatchGetCommand).callsFake((input: { RequestItems: Record<string, { Keys: { pk: string }[] }> }) => ({
    Responses: Object.fromEntries(Object.entries(input.RequestItems).map(([table, request]) => [table, request.Keys.map((key) => byArn.get(key.pk)).filter((found) => found !== undefined)])),
  }));
  mocks.ddb.on(UpdateCommand).resolves({});
  mocks.ecs.on(DescribeTasksCommand).callsFake((input: { tasks: string[] }) => {
    const states = world.ecs ?? {};
    const id = (arn: string) => arn.slice(arn.lastIndexOf('/') + 1);
    return {
      tasks: input.tasks
        .filter((arn) => states[id(arn)] !== undefined)
        .map((arn) => ({ taskArn: arn, lastStatus: states[id(arn)], desiredStatus: states[id(arn)] === 'STOPPED' ? 'STOPPED' : 'RUNNING' })),
      failures: input.tasks.filter((arn) => states[id(arn)] === undefined).map((arn) => ({ arn, reason: 'MISSING' })),
    };
  });
  mocks.ecs.on(ListServicesCommand).resolves({ serviceArns: world.service === undefined ? [] : [SERVICE_ARN] });
  mocks.ecs.on(DescribeServicesCommand).resolves({
    services:
      world.service === undefined
        ? []
        : [{ serviceName: 'web', serviceArn: SERVICE_ARN, status: 'ACTIVE', deployments: [{ status: 'PRIMARY' }], ...world.service }],
  });
  mocks.sfn.on(DescribeExecutionCommand).callsFake((input: { executionArn: string }) => {
    const status = world.executions?.[input.executionArn];
    if (status === undefined) throw Object.assign(new Error('no such execution'), { name: 'ExecutionDoesNotExist' });
    return { executionArn: input.executionArn, status };
  });
  mocks.sfn.on(StartExecutionCommand).callsFake((input: { name: string }) => ({ executionArn: `${EXECUTION_PREFIX}${input.name}`, startDate: NOW }));
  mocks.sfn.on(SendTaskFailureCommand).resolves({});
  mocks.ecs.on(UpdateTaskProtectionCommand).callsFake((input: { tasks: string[] }) => ({
    protectedTasks: input.tasks.map((arn) => ({ taskArn: arn, protectionEnabled: true, expirationDate: new Date(NOW.getTime() + 48 * 3600_000) })),
  }));
  return t;
}

function startedExecutions(t: ReturnType<typeof arrange>) {
  return t.mocks.sfn.commandCalls(StartExecutionCommand).map((call) => call.args[0].input);
}

describe('ReconcilerFunction: drain-aware scale-in', () => {
  it('drains the tasks with the fewest sessions when protected tasks keep a service above its desired count', async () => {
    // prepare
    const t = arrange({
      items: [item('a', { sessionCount: 5 }), item('b', { sessionCount: 0 }), item('c', { sessionCount: 2 }), item('d', { sessionCount: 1 })],
      ecs: { a: 'RUNNING', b: 'RUNNING', c: 'RUNNING', d: 'RUNNING' },
      service: { runningCount: 4, desiredCount: 2 },
    });

    // act
    const summary = await runReconciler(t.deps);

    // assert
    const deadline = new Date(NOW.getTime() + 3600_000).toISOString();
    expect(startedExecutions(t)).toEqual([
      {
        stateMachineArn: STATE_MACHINE_ARN,
        name: 'drain-b-1',
        input: JSON.stringify({ cluster: CLUSTER_ARN, taskArn: taskArn('b'), service: 'web', reason: 'SCALE_IN', deadline }),
      },
      {
        stateMachineArn: STATE_MACHINE_ARN,
        name: 'drain-d-1',
        input: JSON.stringify({ cluster: CLUSTER_ARN, taskArn: taskArn('d'), service: 'web', reason: 'SCALE_IN', deadline }),
      },
    ]);
    expect(summary.scaleInDrains).toBe(2);
  });

  it('counts drains already open for the service against the excess', async () => {
    const t = arrange({
      items: [
        item('a', { status: 'DRAINING', executionArn: `${EXECUTION_PREFIX}drain-a-1`, drainAttempt: 1 }),
        item('b', { sessionCount: 1, executionArn: `${EXECUTION_PREFIX}drain-b-1`, drainAttempt: 1, drainReason: 'SCALE_IN' }),
        item('c', { sessionCount: 3 }),
        item('d', { sessionCount: 4 }),
      ],
      ecs: { a: 'RUNNING', b: 'RUNNING', c: 'RUNNING', d: 'RUNNING' },
      service: { runningCount: 4, desiredCount: 1 },
      executions: { [`${EXECUTION_PREFIX}drain-a-1`]: 'RUNNING', [`${EXECUTION_PREFIX}drain-b-1`]: 'RUNNING' },
    });

    await runReconciler(t.deps);

    expect(startedExecutions(t).map((input) => input.name)).toEqual(['drain-c-1']);
  });

  it('cancels the busiest scale-in drains once ECS met the desired count another way', async () => {
    // prepare: two scale-in drains open, but ECS stopped an emptied task meanwhile: 4 run for 3 desired
    const drainB = `${EXECUTION_PREFIX}drain-b-1`;
    const drainC = `${EXECUTION_PREFIX}drain-c-1`;
    const t = arrange({
      items: [
        item('a', { sessionCount: 6 }),
        item('b', { status: 'DRAINING', sessionCount: 2, executionArn: drainB, drainAttempt: 1, drainReason: 'SCALE_IN' }),
        item('c', { status: 'DRAINING', sessionCount: 5, executionArn: drainC, drainAttempt: 1, drainReason: 'SCALE_IN', waitArmed: true }),
        item('d', { sessionCount: 4 }),
      ],
      ecs: { a: 'RUNNING', b: 'RUNNING', c: 'RUNNING', d: 'RUNNING' },
      service: { runningCount: 4, desiredCount: 3 },
      executions: { [drainB]: 'RUNNING', [drainC]: 'RUNNING' },
    });
    t.mocks.ddb.on(UpdateCommand, { Key: { pk: taskArn('c'), sk: 'TASK' } }).resolves({ Attributes: { ...item('c'), ...armedWait(t.mocks.ddb, taskArn('c'), 'token-c', drainC) } });

    // act
    const summary = await runReconciler(t.deps);

    // assert
    const cancels = t.mocks.ddb.commandCalls(UpdateCommand).map((call) => call.args[0].input).filter((input) => input.UpdateExpression?.includes('drainControl'));
    expect(cancels).toEqual([
      {
        TableName: TABLE_NAME,
        Key: { pk: taskArn('c'), sk: 'TASK' },
        UpdateExpression: 'SET drainControl = :cancel, cancelledBy = :reason',
        ConditionExpression:
          'executionArn = :execution AND drainReason = :reason AND #status IN (:active, :draining) AND attribute_not_exists(drainOutcome) AND (attribute_not_exists(drainControl) OR drainControl = :cancel)' +
          ' AND sessionCount > :none AND (attribute_not_exists(drainDeadline) OR drainDeadline > :now)',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':cancel': 'CANCEL',
          ':execution': drainC,
          ':reason': 'SCALE_IN',
          ':active': 'ACTIVE',
          ':draining': 'DRAINING',
          ':none': 0,
          ':now': NOW.toISOString(),
        },
        ReturnValues: 'ALL_NEW',
      },
    ]);
    expect(t.mocks.sfn.commandCalls(SendTaskFailureCommand).map((call) => call.args[0].input)).toEqual([
      { taskToken: 'token-c', error: 'DrainCancelled', cause: 'the service runs 4 of 3 desired tasks: this scale-in drain is no longer needed' },
    ]);
    expect(startedExecutions(t)).toEqual([]);
    expect(summary).toMatchObject({ scaleInDrains: 0, scaleInDrainsCancelled: 1 });
  });

  it('keeps a scale-in drain whose task is empty and about to stop, and one ECS is already stopping', async () => {
    // prepare: the service is at its desired count with two scale-in drains open
    const t = arrange({
      items: [
        item('a', { sessionCount: 3 }),
        item('b', { status: 'DRAINING', sessionCount: 0, executionArn: `${EXECUTION_PREFIX}drain-b-1`, drainAttempt: 1, drainReason: 'SCALE_IN' }),
        item('c', { status: 'DRAINING', sessionCount: 2, executionArn: `${EXECUTION_PREFIX}drain-c-1`, drainAttempt: 1, drainReason: 'SCALE_IN' }),
      ],
      ecs: { a: 'RUNNING', b: 'RUNNING', c: 'DEACTIVATING' },
      service: { runningCount: 2, desiredCount: 2 },
    });

    // act
    const summary = await runReconciler(t.deps);

    // assert
    expect(t.mocks.ddb.commandCalls(UpdateCommand).filter((call) => call.args[0].input.UpdateExpression?.includes('drainControl'))).toEqual([]);
    expect(summary).toMatchObject({ scaleInDrains: 0, scaleInDrainsCancelled: 0, failed: 0 });
  });

  it('leaves scale-in drains alone while a deployment is in progress', async () => {
    const t = arrange({
      items: [item('a', { sessionCount: 3 }), item('b', { status: 'DRAINING', sessionCount: 2, executionArn: `${EXECUTION_PREFIX}drain-b-1`, drainAttempt: 1, drainReason: 'SCALE_IN' })],
      ecs: { a: 'RUNNING', b: 'RUNNING' },
      service: { runningCount: 2, desiredCount: 2, deployments: [{ status: 'PRIMARY' }, { status: 'ACTIVE' }] },
    });

    const summary = await runReconciler(t.deps);

    expect(t.mocks.ddb.commandCalls(UpdateCommand).filter((call) => call.args[0].input.UpdateExpression?.includes('drainControl'))).toEqual([]);
    expect(summary.scaleInDrainsCancelled).toBe(0);
  });

  it('leaves a service alone while a deployment is in progress', async () => {
    const t = arrange({
      items: [item('a'), item('b')],
      ecs: { a: 'RUNNING', b: 'RUNNING' },
      service: { runningCount: 2, desiredCount: 1, deployments: [{ status: 'PRIMARY' }, { status: 'ACTIVE' }] },
    });

    await runReconciler(t.deps);

    expect(startedExecutions(t)).toEqual([]);
  });

  it('describes services ten at a time', async () => {
    const t = arrange({ items: [] });
    const arns = Array.from({ length: 12 }, (_, index) => `arn:aws:ecs:us-east-1:111122223333:service/sessions/svc${index}`);
    t.mocks.ecs.on(ListServicesCommand).resolves({ serviceArns: arns });

    await runReconciler(t.deps);

    expect(t.mocks.ecs.commandCalls(DescribeServicesCommand).map((call) => call.args[0].input)).toEqual([
      { cluster: CLUSTER_ARN, services: arns.slice(0, 10) },
      { cluster: CLUSTER_ARN, services: arns.slice(10) },
    ]);
  });

  it('lists services a hundred at a time, page by page', async () => {
    const t = arrange({ items: [] });
    t.mocks.ecs
      .on(ListServicesCommand)
      .resolvesOnce({ serviceArns: [SERVICE_ARN], nextToken: 'page-2' })
      .resolvesOnce({ serviceArns: [`${SERVICE_ARN}-2`] });

    await runReconciler(t.deps);

    expect(t.mocks.ecs.commandCalls(ListServicesCommand).map((call) => call.args[0].input)).toEqual([
      { cluster: CLUSTER_ARN, maxResults: 100 },
      { cluster: CLUSTER_ARN, maxResults: 100, nextToken: 'page-2' },
    ]);
    expect(t.mocks.ecs.commandCalls(DescribeServicesCommand).map((call) => call.args[0].input)).toEqual([
      { cluster: CLUSTER_ARN, services: [SERVICE_ARN, `${SERVICE_ARN}-2`] },
    ]);
  });
});

describe('ReconcilerFunction: rolling deployments', () => {
  const OLD_DEPLOYMENT = 'ecs-svc/1111111111111111111';
  const NEW_DEPLOYMENT = 'ecs-svc/2222222222222222222';
  const rolling = {
    runningCount: 3,
    desiredCount: 2,
    deploymentConfiguration: { minimumHealthyPercent: 100, maximumPercent: 200 },
    deployments: [
      { id: NEW_DEPLOYMENT, status: 'PRIMARY', rolloutState: 'IN_PROGRESS' as const },
      { id: OLD_DEPLOYMENT, status: 'ACTIVE', rolloutState: 'COMPLETED' as const },
    ],
  };

  /** ECS runs old-a and old-b for the old deployment and new-a for the new one. */
  function runTasks(t: ReturnType<typeof arrange>) {
    const startedBy: Record<string, string> = { 'old-a': OLD_DEPLOYMENT, 'old-b': OLD_DEPLOYMENT, 'new-a': NEW_DEPLOYMENT };
    t.mocks.ecs.on(ListTasksCommand).resolves({ taskArns: Object.keys(startedBy).map((id) => taskArn(id)) });
    t.mocks.ecs.on(DescribeTasksCommand).callsFake((input: { tasks: string[] }) => ({
      tasks: input.tasks.map((arn) => ({ taskArn: arn, startedBy: startedBy[arn.slice(arn.lastIndexOf('/') + 1)], lastStatus: 'RUNNING', desiredStatus: 'RUNNING' })),
      failures: [],
    }));
    t.mocks.ddb.on(TransactWriteCommand).resolves({});
  }

  it('paces a rolling deployment whose events were lost: the idlest old task drains once a new one serves', async () => {
    // prepare
    const t = arrange({
      items: [item('old-a', { sessionCount: 3 }), item('old-b', { sessionCount: 1 }), item('new-a')],
      ecs: { 'old-a': 'RUNNING', 'old-b': 'RUNNING', 'new-a': 'RUNNING' },
      service: rolling,
    });
    runTasks(t);

    // act
    const summary = await runReconciler(t.deps);

    // assert
    expect(t.mocks.ecs.commandCalls(ListTasksCommand).map((call) => call.args[0].input)).toEqual([{ cluster: CLUSTER_ARN, serviceName: 'web', desiredStatus: 'RUNNING' }]);
    expect(t.mocks.ddb.commandCalls(TransactWriteCommand).map((call) => call.args[0].input.TransactItems?.map((action) => action.Update?.Key))).toEqual([
      [
        { pk: `SERVICE#${CLUSTER_ARN}#web`, sk: 'PACE' },
        { pk: taskArn('old-b'), sk: 'TASK' },
      ],
    ]);
    expect(startedExecutions(t)).toEqual([
      {
        stateMachineArn: STATE_MACHINE_ARN,
        name: 'drain-old-b-1',
        input: JSON.stringify({ cluster: CLUSTER_ARN, taskArn: taskArn('old-b'), service: 'web', reason: 'DEPLOYMENT', deadline: new Date(NOW.getTime() + 3600_000).toISOString() }),
      },
    ]);
    expect(summary).toMatchObject({ deploymentDrains: 1, scaleInDrains: 0, failed: 0 });
  });

  it('gives back a deployment drain of a settled service: the rollback that keeps the task came after the other deployment was gone', async () => {
    // prepare: the old deployment is PRIMARY again and alone; old-a still waits in the drain the new one caused
    const waiting = { status: 'DRAINING' as const, sessionCount: 3, drainReason: 'DEPLOYMENT' as const, drainAttempt: 1, executionArn: `${EXECUTION_PREFIX}drain-old-a-1`, waitArmed: true as const };
    const t = arrange({
      items: [item('old-a', waiting), item('old-b', { sessionCount: 1 })],
      ecs: { 'old-a': 'RUNNING', 'old-b': 'RUNNING' },
      service: { runningCount: 2, desiredCount: 2, deployments: [{ id: OLD_DEPLOYMENT, status: 'PRIMARY', rolloutState: 'COMPLETED' }] },
      executions: { [`${EXECUTION_PREFIX}drain-old-a-1`]: 'RUNNING' },
    });
    t.mocks.ecs.on(ListTasksCommand).resolves({ taskArns: [taskArn('old-a'), taskArn('old-b')] });
    t.mocks.ecs.on(DescribeTasksCommand).callsFake((input: { tasks: string[] }) => ({
      tasks: input.tasks.map((arn) => ({ taskArn: arn, startedBy: OLD_DEPLOYMENT, lastStatus: 'RUNNING', desiredStatus: 'RUNNING' })),
      failures: [],
    }));
    armedWait(t.mocks.ddb, taskArn('old-a'), 'token-old-a', waiting.executionArn);
    t.mocks.ddb.on(UpdateCommand, { Key: { pk: taskArn('old-a'), sk: 'TASK' } }).resolves({ Attributes: { ...item('old-a', waiting), drainControl: 'CANCEL' } });

    // act
    const summary = await runReconciler(t.deps);

    // assert
    const cancels = t.mocks.ddb.commandCalls(UpdateCommand).filter((call) => call.args[0].input.UpdateExpression?.includes('drainControl = :cancel'));
    expect(cancels.map((call) => call.args[0].input.Key)).toEqual([{ pk: taskArn('old-a'), sk: 'TASK' }]);
    expect(t.mocks.sfn.commandCalls(SendTaskFailureCommand).map((call) => call.args[0].input)).toEqual([
      { taskToken: 'token-old-a', error: 'DrainCancelled', cause: 'the service keeps this task: its deployment was rolled back, superseded or failed' },
    ]);
    expect(startedExecutions(t)).toEqual([]);
    expect(summary).toMatchObject({ deploymentDrains: 0, failed: 0 });
  });

  it.each([
    ['a settled service (one COMPLETED deployment)', { runningCount: 2, desiredCount: 2, deployments: [{ id: NEW_DEPLOYMENT, status: 'PRIMARY', rolloutState: 'COMPLETED' as const }] }],
    ['a service the CODE_DEPLOY controller deploys', { ...rolling, deploymentController: { type: 'CODE_DEPLOY' as const } }],
  ])('leaves %s unpaced', async (_name, service) => {
    const t = arrange({
      items: [item('old-a', { sessionCount: 3 }), item('old-b', { sessionCount: 1 }), item('new-a')],
      ecs: { 'old-a': 'RUNNING', 'old-b': 'RUNNING', 'new-a': 'RUNNING' },
      service,
    });
    runTasks(t);

    const summary = await runReconciler(t.deps);

    expect(t.mocks.ecs.commandCalls(ListTasksCommand)).toHaveLength(0);
    expect(t.mocks.ddb.commandCalls(TransactWriteCommand)).toHaveLength(0);
    expect(startedExecutions(t)).toEqual([]);
    expect(summary).toMatchObject({ deploymentDrains: 0, failed: 0 });
  });
});

describe('ReconcilerFunction: drains that lost their task or workflow', () => {
  it('ends the drain of a task that stopped heartbeating, so the workflow force-stops it', async () => {
    const heartbeatAt = NOW_SECONDS - 300;
    const executionArn = `${EXECUTION_PREFIX}drain-a-1`;
    const t = arrange({
      items: [item('a', { status: 'DRAINING', sessionCount: 2, drainReason: 'MANUAL', executionArn, waitArmed: true, heartbeatAt })],
      ecs: { a: 'RUNNING' },
    });
    armedWait(t.mocks.ddb, taskArn('a'), 'token-a', executionArn);

    const summary = await runReconciler(t.deps);

    expect(t.mocks.sfn.commandCalls(SendTaskFailureCommand).map((call) => call.args[0].input)).toEqual([
      { taskToken: 'token-a', error: 'HeartbeatLost', cause: `no heartbeat since ${new Date(heartbeatAt * 1000).toISOString()}` },
    ]);
    expect(summary.heartbeatLost).toBe(1);
  });

  it('leaves the drain alone when the item read again shows a heartbeat the index or a slow run had not seen', async () => {
    // prepare: the index still holds the heartbeat of 300 s ago; the item itself got one 5 s ago
    const executionArn = `${EXECUTION_PREFIX}drain-a-1`;
    const draining = { status: 'DRAINING', sessionCount: 2, drainReason: 'DEPLOYMENT', executionArn, waitArmed: true } as const;
    const t = arrange({ items: [item('a', { ...draining, heartbeatAt: NOW_SECONDS - 300 })], ecs: { a: 'RUNNING' } });
    t.mocks.ddb.on(GetCommand, { Key: { pk: taskArn('a'), sk: 'TASK' } }).resolves({ Item: item('a', { ...draining, heartbeatAt: NOW_SECONDS - 5 }) });
    armedWait(t.mocks.ddb, taskArn('a'), 'token-a', executionArn);

    // act
    const summary = await runReconciler(t.deps);

    // assert
    expect(t.mocks.ddb.commandCalls(GetCommand, { Key: { pk: taskArn('a'), sk: 'TASK' } }).map((call) => call.args[0].input.ConsistentRead)).toContain(true);
    expect(t.mocks.sfn.commandCalls(SendTaskFailureCommand)).toEqual([]);
    expect(summary.heartbeatLost).toBe(0);
  });

  it('restarts a drain whose workflow ended unannounced once its deadline passed by the grace, keeping its reason', async () => {
    // prepare: the execution's end event was lost (Step Functions sends it best effort)
    const deadline = new Date(NOW.getTime() - (LOST_WORKFLOW_GRACE_SECONDS + 60) * 1000).toISOString();
    const t = arrange({
      items: [
        item('a', {
          status: 'DRAINING',
          sessionCount: 2,
          drainAttempt: 1,
          executionArn: `${EXECUTION_PREFIX}drain-a-1`,
          drainReason: 'SPOT',
          drainDeadline: deadline,
        }),
      ],
      ecs: { a: 'RUNNING' },
      executions: { [`${EXECUTION_PREFIX}drain-a-1`]: 'FAILED' },
    });

    // act
    const summary = await runReconciler(t.deps);

    // assert
    expect(startedExecutions(t)).toEqual([
      {
        stateMachineArn: STATE_MACHINE_ARN,
        name: 'drain-a-2',
        // The deadline has passed: the restarted workflow force-stops the task at once, as the lost one would have.
        input: JSON.stringify({ cluster: CLUSTER_ARN, taskArn: taskArn('a'), service: 'web', reason: 'SPOT', deadline: NOW.toISOString() }),
      },
    ]);
    expect(summary.restarted).toBe(1);
  });

  it('asks Step Functions nothing about a drain waiting for its sessions before its deadline', async () => {
    // prepare: its workflow ended, but its end event goes to ExecutionEndedFunction, not to the reconciler
    const deadline = new Date(NOW.getTime() + 1800_000).toISOString();
    const t = arrange({
      items: [
        item('a', { status: 'DRAINING', sessionCount: 2, drainAttempt: 1, executionArn: `${EXECUTION_PREFIX}drain-a-1`, drainReason: 'SPOT', drainDeadline: deadline, waitArmed: true }),
      ],
      ecs: { a: 'RUNNING' },
      executions: { [`${EXECUTION_PREFIX}drain-a-1`]: 'FAILED' },
    });

    // act
    const summary = await runReconciler(t.deps);

    // assert
    expect(t.mocks.sfn.commandCalls(DescribeExecutionCommand)).toHaveLength(0);
    expect(startedExecutions(t)).toEqual([]);
    expect(summary.restarted).toBe(0);
  });

  it('asks about an emptied drain at once: a running workflow would have stopped its task', async () => {
    // prepare
    const deadline = new Date(NOW.getTime() + 1800_000).toISOString();
    const t = arrange({
      items: [item('a', { status: 'DRAINING', sessionCount: 0, drainAttempt: 1, executionArn: `${EXECUTION_PREFIX}drain-a-1`, drainReason: 'DEPLOYMENT', drainDeadline: deadline })],
      ecs: { a: 'RUNNING' },
      executions: { [`${EXECUTION_PREFIX}drain-a-1`]: 'FAILED' },
    });

    // act
    const summary = await runReconciler(t.deps);

    // assert
    expect(startedExecutions(t).map((input) => input.name)).toEqual(['drain-a-2']);
    expect(summary.restarted).toBe(1);
  });

  it('does not restart a drain the index still shows but that was cancelled meanwhile', async () => {
    const indexed = item('a', { status: 'DRAINING', drainAttempt: 1, executionArn: `${EXECUTION_PREFIX}drain-a-1`, drainReason: 'SPOT' });
    const t = arrange({ items: [indexed], ecs: { a: 'RUNNING' }, executions: { [`${EXECUTION_PREFIX}drain-a-1`]: 'SUCCEEDED' } });
    t.mocks.ddb.on(GetCommand).resolves({ Item: { ...indexed, status: 'ACTIVE' } });

    await runReconciler(t.deps);

    expect(startedExecutions(t)).toEqual([]);
  });

  it('leaves a drain with a running workflow alone', async () => {
    const t = arrange({
      items: [item('a', { status: 'DRAINING', drainAttempt: 1, executionArn: `${EXECUTION_PREFIX}drain-a-1` })],
      ecs: { a: 'RUNNING' },
      executions: { [`${EXECUTION_PREFIX}drain-a-1`]: 'RUNNING' },
    });

    await runReconciler(t.deps);

    expect(startedExecutions(t)).toEqual([]);
    expect(t.mocks.sfn.commandCalls(SendTaskFailureCommand)).toHaveLength(0);
  });
});

describe('ReconcilerFunction: registry upkeep', () => {
  it('expires items of tasks ECS reports stopped, or missing and silent, but not a missing task that still heartbeats', async () => {
    // prepare
    const t = arrange({
      items: [item('a'), item('b', { status: 'DRAINING', heartbeatAt: NOW_SECONDS - 3600 }), item('c', { heartbeatAt: NOW_SECONDS - 5 })],
      ecs: { a: 'STOPPED' },
    });

    // act
    const summary = await runReconciler(t.deps);

    // assert
    const writes = t.mocks.ddb.commandCalls(UpdateCommand).map((call) => call.args[0].input);
    expect(writes.map((write) => write.Key)).toEqual([
      { pk: taskArn('a'), sk: 'TASK' },
      { pk: taskArn('b'), sk: 'TASK' },
    ]);
    expect(writes[0]).toEqual({
      TableName: TABLE_NAME,
      Key: { pk: taskArn('a'), sk: 'TASK' },
      UpdateExpression: 'SET #status = :stopped, expiresAt = :expiresAt',
      ConditionExpression: '#status IN (:active, :draining, :stopping)',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':stopped': 'STOPPED',
        ':expiresAt': NOW_SECONDS + 86_400,
        ':active': 'ACTIVE',
        ':draining': 'DRAINING',
        ':stopping': 'STOPPING',
      },
    });
    expect(summary.expired).toBe(2);
  });

  it('renews protection that lapses soon and retries blocked protection, for busy tasks only', async () => {
    const t = arrange({
      items: [
        item('a', { sessionCount: 2, protectionState: 'PROTECTED', protectedUntil: NOW_SECONDS + 3600 }),
        item('b', { sessionCount: 1, protectionState: 'BLOCKED' }),
        item('c', { sessionCount: 1, protectionState: 'PROTECTED', protectedUntil: NOW_SECONDS + 40 * 3600 }),
        item('d', { sessionCount: 0, protectionState: 'PROTECTED', protectedUntil: NOW_SECONDS + 60 }),
      ],
      ecs: { a: 'RUNNING', b: 'RUNNING', c: 'RUNNING', d: 'RUNNING' },
    });

    const summary = await runReconciler(t.deps);

    expect(t.mocks.ecs.commandCalls(UpdateTaskProtectionCommand).map((call) => call.args[0].input)).toEqual([
      { cluster: CLUSTER_ARN, tasks: [taskArn('a'), taskArn('b')], protectionEnabled: true, expiresInMinutes: 2880 },
    ]);
    expect(summary.protectionRenewed).toBe(2);
  });
});

describe('ReconcilerFunction: failures', () => {
  it('goes on after one task fails', async () => {
    const t = arrange({
      items: [item('a'), item('b')],
      ecs: { a: 'RUNNING', b: 'RUNNING' },
      service: { runningCount: 4, desiredCount: 2 },
    });
    t.mocks.sfn.on(StartExecutionCommand, { name: 'drain-a-1' }).rejects(Object.assign(new Error('throttled'), { name: 'ThrottlingException' }));

    const summary = await runReconciler(t.deps);

    expect(startedExecutions(t).map((input) => input.name)).toEqual(['drain-a-1', 'drain-b-1']);
    expect(summary).toMatchObject({ scaleInDrains: 1, failed: 1 });
  });

  it('throws when every step failed, so that the failure shows as a Lambda error', async () => {
    const t = arrange({ items: [] });
    t.mocks.ddb.on(QueryCommand).rejects(Object.assign(new Error('throttled'), { name: 'ThrottlingException' }));
    // DynamoDB throttles every call, the read of the lifecycle actions held for drains too.
    t.mocks.ddb.on(GetCommand).rejects(Object.assign(new Error('throttled'), { name: 'ThrottlingException' }));
    t.mocks.ecs.on(ListServicesCommand).rejects(Object.assign(new Error('throttled'), { name: 'ThrottlingException' }));

    await expect(runReconciler(t.deps)).rejects.toMatchObject({ name: 'ReconcileFailedError' });
  });
});
