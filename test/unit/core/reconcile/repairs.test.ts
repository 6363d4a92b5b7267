import { DescribeTasksCommand, GetTaskProtectionCommand, ListServicesCommand, UpdateTaskProtectionCommand } from '@aws-sdk/client-ecs';
import { DescribeExecutionCommand, SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import { GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { reconcile } from '../../../../functions/core/reconcile/run.js';
import type { TaskItem } from '../../../../functions/registry/model.js';
import { CLUSTER_ARN, makeTestDeps, NOW, TABLE_NAME, taskArn } from '../../../support/deps.js';
import { armedWait, drainExecutionOf, registryHolds } from '../../handlers/fixtures.js';

/*
 * The reconciler's repairs of what the registry stream left undone: a "protect" replayed after the
 * task emptied (Lambda re-delivers every record after a batch's lowest failed one), and a
 * "sessions reached 0" record given up after the mapping's retries.
 */

const NOW_SECONDS = Math.floor(NOW.getTime() / 1000);

function item(id: string, overrides: Partial<TaskItem> = {}): TaskItem {
  const arn = taskArn(id);
  return { pk: arn, sk: 'TASK', taskArn: arn, clusterArn: CLUSTER_ARN, serviceTask: `web#${arn}`, serviceName: 'web', sessionCount: 0, status: 'ACTIVE', heartbeatAt: NOW_SECONDS - 10, ...overrides };
}

/** Every listed task runs in ECS; `protectedInEcs` are the ones ECS reports protected. */
function arrange(items: TaskItem[], protectedInEcs: string[] = []) {
  const t = makeTestDeps();
  registryHolds(t.mocks.ddb, items);
  t.mocks.ecs.on(DescribeTasksCommand).callsFake((input: { tasks: string[] }) => ({
    tasks: input.tasks.map((arn) => ({ taskArn: arn, lastStatus: 'RUNNING', desiredStatus: 'RUNNING' })),
    failures: [],
  }));
  t.mocks.ecs.on(GetTaskProtectionCommand).callsFake((input: { tasks: string[] }) => ({
    protectedTasks: input.tasks.map((arn) => ({ taskArn: arn, protectionEnabled: protectedInEcs.includes(arn) })),
    failures: [],
  }));
  t.mocks.ecs.on(UpdateTaskProtectionCommand).callsFake((input: { tasks: string[]; protectionEnabled: boolean }) => ({
    protectedTasks: input.tasks.map((arn) => ({ taskArn: arn, protectionEnabled: input.protectionEnabled })),
    failures: [],
  }));
  t.mocks.ecs.on(ListServicesCommand).resolves({ serviceArns: [] });
  // Every drain's workflow still runs: it waits for the sessions.
  t.mocks.sfn.on(DescribeExecutionCommand).callsFake((input: { executionArn: string }) => ({ executionArn: input.executionArn, status: 'RUNNING' }));
  t.mocks.sfn.on(SendTaskSuccessCommand).resolves({});
  return t;
}

describe('reconciler: repairs of stream records replayed or lost', () => {
  it('releases the protection ECS still holds on an idle ACTIVE task whose item says unprotected', async () => {
    // prepare: a replayed 0 -> 1 record protected "a" again after its release was recorded
    const strayed = item('a', { protectionState: 'UNPROTECTED' });
    const neverProtected = item('b');
    const t = arrange([strayed, neverProtected], [strayed.taskArn]);

    // act
    const summary = await reconcile(t.deps);

    // assert
    expect(t.mocks.ecs.commandCalls(GetTaskProtectionCommand).map((call) => call.args[0].input)).toEqual([{ cluster: CLUSTER_ARN, tasks: [strayed.taskArn, neverProtected.taskArn] }]);
    expect(t.mocks.ecs.commandCalls(UpdateTaskProtectionCommand).map((call) => call.args[0].input)).toEqual([
      { cluster: CLUSTER_ARN, tasks: [strayed.taskArn], protectionEnabled: false },
    ]);
    expect(t.mocks.ddb.commandCalls(UpdateCommand).map((call) => call.args[0].input)).toEqual([
      {
        TableName: TABLE_NAME,
        Key: { pk: strayed.taskArn, sk: 'TASK' },
        UpdateExpression: 'SET protectionState = :state REMOVE protectedUntil',
        ConditionExpression: 'attribute_exists(pk) AND sessionCount <= :zero',
        ExpressionAttributeValues: { ':state': 'UNPROTECTED', ':zero': 0 },
      },
    ]);
    expect(summary).toMatchObject({ protectionReleased: 1, failed: 0 });
  });

  it('keeps the protection of a task that took a session since the index was read', async () => {
    const indexed = item('a', { protectionState: 'UNPROTECTED' });
    const t = arrange([indexed], [indexed.taskArn]);
    t.mocks.ddb.on(GetCommand, { Key: { pk: indexed.taskArn, sk: 'TASK' } }).resolves({ Item: { ...indexed, sessionCount: 1 } });

    const summary = await reconcile(t.deps);

    expect(t.mocks.ecs.commandCalls(UpdateTaskProtectionCommand)).toEqual([]);
    expect(summary).toMatchObject({ protectionReleased: 0, failed: 0 });
  });

  it('asks ECS nothing about busy, draining or protected-by-record tasks', async () => {
    const t = arrange([
      item('busy', { sessionCount: 2, protectionState: 'PROTECTED', protectedUntil: NOW_SECONDS + 86_400 }),
      item('draining', { status: 'DRAINING', executionArn: drainExecutionOf(taskArn('draining')), drainReason: 'SCALE_IN' }),
      item('recorded', { protectionState: 'PROTECTED', protectedUntil: NOW_SECONDS + 86_400 }),
    ]);

    await reconcile(t.deps);

    expect(t.mocks.ecs.commandCalls(GetTaskProtectionCommand)).toEqual([]);
  });

  it('completes the armed wait of a draining task whose count reached 0 without a stream record ending it', async () => {
    // prepare: the record that said "0 sessions" went to the OnFailure queue
    const t = arrange([]);
    const executionArn = drainExecutionOf(taskArn('a'));
    const emptied = item('a', { status: 'DRAINING', drainReason: 'SCALE_IN', ...armedWait(t.mocks.ddb, taskArn('a'), 'token-a', executionArn) });
    t.mocks.ddb.on(QueryCommand).resolves({ Items: [emptied] });
    t.mocks.ddb.on(GetCommand, { Key: { pk: emptied.taskArn, sk: 'TASK' } }).resolves({ Item: emptied });
    t.mocks.sfn.on(SendTaskSuccessCommand).resolves({});

    // act
    const summary = await reconcile(t.deps);

    // assert
    expect(t.mocks.sfn.commandCalls(SendTaskSuccessCommand).map((call) => call.args[0].input)).toEqual([
      { taskToken: 'token-a', output: JSON.stringify({ sessionsRemaining: 0 }) },
    ]);
    expect(summary).toMatchObject({ waitsCompleted: 1, failed: 0 });
  });

  it('completes no wait of a draining task that still holds sessions, or whose item names another task\'s drain', async () => {
    const t = arrange([]);
    const other = taskArn('other');
    const busy = item('a', { status: 'DRAINING', sessionCount: 1, drainReason: 'SCALE_IN', ...armedWait(t.mocks.ddb, taskArn('a'), 'token-a') });
    const forged = item('b', { status: 'DRAINING', drainReason: 'SCALE_IN', ...armedWait(t.mocks.ddb, other, 'token-other') });
    t.mocks.ddb.on(QueryCommand).resolves({ Items: [busy, forged] });
    t.mocks.ddb.on(GetCommand, { Key: { pk: busy.taskArn, sk: 'TASK' } }).resolves({ Item: busy });
    t.mocks.ddb.on(GetCommand, { Key: { pk: forged.taskArn, sk: 'TASK' } }).resolves({ Item: forged });

    const summary = await reconcile(t.deps);

    expect(t.mocks.sfn.commandCalls(SendTaskSuccessCommand)).toEqual([]);
    expect(summary).toMatchObject({ waitsCompleted: 0, failed: 0 });
  });
});
