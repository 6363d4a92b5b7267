import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { UpdateTaskProtectionCommand } from '@aws-sdk/client-ecs';
import { DescribeExecutionCommand, ListExecutionsCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { releaseAll } from '../../../../functions/core/drain/release-all.js';
import type { TaskItem } from '../../../../functions/registry/model.js';
import { CLUSTER_ARN, grantEveryProtection, makeTestDeps, NOW, OTHER_CLUSTER_ARN, STATE_MACHINE_ARN, TABLE_NAME, taskArn } from '../../../support/deps.js';

const NOW_SECONDS = Math.floor(NOW.getTime() / 1000);
const EXECUTION_PREFIX = 'arn:aws:states:us-east-1:111122223333:execution:SessionDrain:';

function task(id: string, overrides: Partial<TaskItem> = {}): TaskItem {
  const arn = taskArn(id.padEnd(32, '0'));
  return { pk: arn, sk: 'TASK', taskArn: arn, clusterArn: CLUSTER_ARN, serviceTask: `web#${arn}`, serviceName: 'web', sessionCount: 0, status: 'ACTIVE', ...overrides };
}

function executionOf(item: TaskItem): string {
  return `${EXECUTION_PREFIX}drain-${item.taskArn.slice(-32)}-1`;
}

function draining(id: string, overrides: Partial<TaskItem> = {}): TaskItem {
  const item = task(id, { status: 'DRAINING', sessionCount: 3, drainReason: 'DEPLOYMENT', drainAttempt: 1, protectionState: 'PROTECTED', protectedUntil: NOW_SECONDS + 3600, ...overrides });
  return { ...item, executionArn: executionOf(item), waitArmed: true, ...overrides };
}

/** The registry and Step Functions as they stand: items per cluster, executions RUNNING or not. */
function world(items: TaskItem[], running: string[]) {
  const t = makeTestDeps({ config: { clusterArns: [CLUSTER_ARN, OTHER_CLUSTER_ARN] } });
  t.mocks.ddb.on(QueryCommand).callsFake((input: { ExpressionAttributeValues: Record<string, string> }) => ({
    Items: items.filter((item) => item.clusterArn === input.ExpressionAttributeValues[':cluster']),
  }));
  t.mocks.ddb.on(UpdateCommand).resolves({});
  t.mocks.sfn.on(ListExecutionsCommand).resolves({ executions: running.map((executionArn) => ({ executionArn, stateMachineArn: STATE_MACHINE_ARN, name: 'x', status: 'RUNNING', startDate: NOW })) });
  t.mocks.sfn.on(DescribeExecutionCommand).callsFake((input: { executionArn: string }) => ({ executionArn: input.executionArn, status: running.includes(input.executionArn) ? 'RUNNING' : 'SUCCEEDED' }));
  t.mocks.sfn.on(StopExecutionCommand).resolves({ stopDate: NOW });
  grantEveryProtection(t.mocks.ecs, new Date(0));
  return t;
}

const updates = (t: ReturnType<typeof world>) => t.mocks.ddb.commandCalls(UpdateCommand).map((call) => call.args[0].input);

describe('releaseAll', () => {
  it('stops the open drain, gives its task back to service and unprotects it, with exact calls', async () => {
    // prepare
    const item = draining('a1');
    const t = world([item], [executionOf(item)]);

    // act
    const summary = await releaseAll(t.deps, { clusterArns: [CLUSTER_ARN], stopEveryExecution: true, trigger: 'stack-deletion' });

    // assert
    expect(t.mocks.sfn.commandCalls(ListExecutionsCommand)[0]?.args[0].input).toEqual({ stateMachineArn: STATE_MACHINE_ARN, statusFilter: 'RUNNING' });
    expect(t.mocks.sfn.commandCalls(StopExecutionCommand).map((call) => call.args[0].input)).toEqual([
      { executionArn: executionOf(item), error: 'DrainReleased', cause: 'release-all (stack-deletion): every task of the orchestrator was released' },
    ]);
    expect(t.mocks.ddb.commandCalls(QueryCommand)[0]?.args[0].input).toEqual({
      TableName: TABLE_NAME,
      IndexName: 'ByCluster',
      KeyConditionExpression: 'clusterArn = :cluster',
      ExpressionAttributeValues: { ':cluster': CLUSTER_ARN },
    });
    expect(updates(t)).toEqual([
      {
        TableName: TABLE_NAME,
        Key: { pk: item.taskArn, sk: 'TASK' },
        UpdateExpression: 'SET #status = :active, drainOutcome = :released, releasedAt = :now REMOVE waitArmed, drainControl, drainReason, drainDeadline, drainStartedAt, sessionsAtDrainStart, replacementRequested',
        ConditionExpression:
          'attribute_exists(pk) AND (#status = :draining OR (#status = :active AND attribute_exists(drainReason) AND attribute_not_exists(drainOutcome))) AND executionArn = :execution',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':active': 'ACTIVE', ':draining': 'DRAINING', ':released': 'RELEASED', ':now': NOW_SECONDS, ':execution': executionOf(item) },
        ReturnValues: 'ALL_NEW',
      },
      {
        TableName: TABLE_NAME,
        Key: { pk: item.taskArn, sk: 'TASK' },
        UpdateExpression: 'SET protectionState = :unprotected REMOVE protectedUntil',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':unprotected': 'UNPROTECTED' },
      },
    ]);
    expect(t.mocks.ecs.commandCalls(UpdateTaskProtectionCommand).map((call) => call.args[0].input)).toEqual([
      { cluster: CLUSTER_ARN, tasks: [item.taskArn], protectionEnabled: false },
    ]);
    expect(summary).toEqual({ clusters: [CLUSTER_ARN], drainsStopped: 1, tasksReleased: 1, tasksUnprotected: 1, replacementsKept: 0, failures: 0, failed: [] });
  });

  it('unprotects 23 protected tasks in calls of at most 10, and leaves unprotected, stopped and standalone tasks alone', async () => {
    const busy = Array.from({ length: 23 }, (_, index) => task(`b${String(index).padStart(2, '0')}`, { sessionCount: 2, protectionState: 'PROTECTED', protectedUntil: NOW_SECONDS + 60 }));
    const others = [
      task('c1', { protectionState: 'UNPROTECTED' }),
      task('c2', { status: 'STOPPED', protectionState: 'PROTECTED' }),
      task('c3', { serviceName: undefined, serviceTask: 'x', sessionCount: 4 }),
      task('c4'),
    ];
    const t = world([...busy, ...others], []);

    const summary = await releaseAll(t.deps, { clusterArns: [CLUSTER_ARN], stopEveryExecution: false, trigger: 'operator' });

    const calls = t.mocks.ecs.commandCalls(UpdateTaskProtectionCommand).map((call) => call.args[0].input.tasks);
    expect(calls.map((tasks) => tasks?.length)).toEqual([10, 10, 3]);
    expect(calls.flat()).toEqual(busy.map((item) => item.taskArn));
    expect(summary).toMatchObject({ drainsStopped: 0, tasksReleased: 0, tasksUnprotected: 23, failures: 0 });
    expect(t.mocks.sfn.commandCalls(ListExecutionsCommand)).toHaveLength(0);
  });

  it('closes a drain recorded but never marked, whose workflow it stops, so that the reconciler does not restart it', async () => {
    const recorded = task('d1', { drainReason: 'SCALE_IN', drainAttempt: 2, sessionCount: 1, protectionState: 'PROTECTED' });
    const item = { ...recorded, executionArn: executionOf(recorded) };
    const t = world([item], [executionOf(item)]);

    const summary = await releaseAll(t.deps, { clusterArns: [CLUSTER_ARN], stopEveryExecution: false, trigger: 'operator' });

    expect(t.mocks.sfn.commandCalls(DescribeExecutionCommand)[0]?.args[0].input).toEqual({ executionArn: executionOf(item) });
    expect(t.mocks.sfn.commandCalls(StopExecutionCommand)).toHaveLength(1);
    expect(updates(t)[0]).toMatchObject({ UpdateExpression: expect.stringContaining('drainOutcome = :released'), Key: { pk: item.taskArn, sk: 'TASK' } });
    expect(summary).toMatchObject({ drainsStopped: 1, tasksReleased: 1, tasksUnprotected: 1 });
  });

  it('counts a released drain whose replacement stays in the desired count, and changes no service', async () => {
    const item = draining('e1', { reason: undefined, drainReason: 'SPOT', replacementRequested: true } as Partial<TaskItem>);
    const t = world([item], [executionOf(item)]);

    const summary = await releaseAll(t.deps, { clusterArns: [CLUSTER_ARN], stopEveryExecution: true, trigger: 'operator' });

    expect(summary.replacementsKept).toBe(1);
    expect(t.mocks.ecs.calls().map((call) => call.args[0].constructor.name)).toEqual(['UpdateTaskProtectionCommand']);
  });

  it('changes nothing the second time: the items it wrote need no release', async () => {
    const item = draining('f1');
    const first = world([item], [executionOf(item)]);
    await releaseAll(first.deps, { clusterArns: [CLUSTER_ARN], stopEveryExecution: true, trigger: 'operator' });
    const [released, unprotected] = updates(first);
    const after: TaskItem = { ...item, status: 'ACTIVE', drainOutcome: 'RELEASED', protectionState: 'UNPROTECTED' };
    delete after.waitArmed;
    delete after.drainReason;
    delete after.protectedUntil;
    expect(released?.UpdateExpression).toContain('SET #status = :active');
    expect(unprotected?.UpdateExpression).toContain('protectionState = :unprotected');
    const second = world([after], []);

    const summary = await releaseAll(second.deps, { clusterArns: [CLUSTER_ARN], stopEveryExecution: true, trigger: 'operator' });

    expect(summary).toEqual({ clusters: [CLUSTER_ARN], drainsStopped: 0, tasksReleased: 0, tasksUnprotected: 0, replacementsKept: 0, failures: 0, failed: [] });
    expect(second.mocks.ddb.commandCalls(UpdateCommand)).toHaveLength(0);
    expect(second.mocks.sfn.commandCalls(StopExecutionCommand)).toHaveLength(0);
    expect(second.mocks.ecs.commandCalls(UpdateTaskProtectionCommand)).toHaveLength(0);
  });

  it('goes on past one task whose execution cannot be stopped, logs and counts it, and leaves that task DRAINING', async () => {
    const stuck = draining('g1');
    const fine = draining('g2');
    const t = world([stuck, fine], [executionOf(stuck), executionOf(fine)]);
    t.mocks.sfn.on(StopExecutionCommand, { executionArn: executionOf(stuck) }).rejects(Object.assign(new Error('rate exceeded'), { name: 'ThrottlingException' }));
    const errors: unknown[] = [];
    t.deps.logger.error = ((message: string, extra: unknown) => errors.push({ message, extra })) as typeof t.deps.logger.error;

    const summary = await releaseAll(t.deps, { clusterArns: [CLUSTER_ARN], stopEveryExecution: false, trigger: 'operator' });

    expect(summary).toMatchObject({ drainsStopped: 1, tasksReleased: 1, tasksUnprotected: 2, failures: 1 });
    expect(summary.failed).toEqual([
      { step: 'stop-drain', clusterArn: CLUSTER_ARN, taskArn: stuck.taskArn, executionArn: executionOf(stuck), error: 'ThrottlingException: rate exceeded' },
    ]);
    expect(updates(t).filter((input) => input.UpdateExpression?.includes(':released')).map((input) => input.Key?.pk)).toEqual([fine.taskArn]);
    expect(errors).toHaveLength(1);
  });

  it('counts a task ECS refuses to unprotect, and one whose item moved on is left as it is', async () => {
    const moved = draining('h1');
    const refused = task('h2', { sessionCount: 1, protectionState: 'PROTECTED' });
    const t = world([moved, refused], []);
    t.mocks.ddb.on(UpdateCommand).callsFake((input: { Key: { pk: string }; UpdateExpression: string }) => {
      if (input.Key.pk === moved.taskArn && input.UpdateExpression.includes(':released')) {
        throw new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
      }
      return {};
    });
    t.mocks.ecs.on(UpdateTaskProtectionCommand).resolves({
      protectedTasks: [{ taskArn: moved.taskArn, protectionEnabled: false }],
      failures: [{ arn: refused.taskArn, reason: 'ACCESS_DENIED', detail: 'no' }],
    });

    const summary = await releaseAll(t.deps, { clusterArns: [CLUSTER_ARN], stopEveryExecution: false, trigger: 'operator' });

    expect(summary).toMatchObject({ tasksReleased: 0, tasksUnprotected: 1, failures: 1 });
    expect(summary.failed).toEqual([{ step: 'unprotect', clusterArn: CLUSTER_ARN, taskArn: refused.taskArn, error: 'ACCESS_DENIED: no' }]);
  });

  it('releases the other clusters when one cluster cannot be listed', async () => {
    const item = draining('i1', { clusterArn: OTHER_CLUSTER_ARN });
    const t = world([item], []);
    t.mocks.ddb.on(QueryCommand, { ExpressionAttributeValues: { ':cluster': CLUSTER_ARN } }).rejects(Object.assign(new Error('slow down'), { name: 'ThrottlingException' }));

    const summary = await releaseAll(t.deps, { clusterArns: [CLUSTER_ARN, OTHER_CLUSTER_ARN], stopEveryExecution: false, trigger: 'operator' });

    expect(summary).toMatchObject({ tasksReleased: 1, failures: 1, failed: [{ step: 'list-tasks', clusterArn: CLUSTER_ARN, error: 'ThrottlingException: slow down' }] });
  });
});
