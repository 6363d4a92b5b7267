import { DescribeServicesCommand, DescribeTasksCommand, ListServicesCommand } from '@aws-sdk/client-ecs';
import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { runReconciler } from '../../../functions/handlers/reconciler.js';
import type { TaskItem } from '../../../functions/registry/model.js';
import { CLUSTER_ARN, makeTestDeps, NOW, taskArn } from '../../support/deps.js';

/**
 * What one reconciler run costs with thousands of drains open (issue 12): healthy drains are
 * learnt about from their workflows' status change events, so the run makes no call per drain.
 */
const NOW_SECONDS = NOW.getTime() / 1000;
const EXECUTION_PREFIX = 'arn:aws:states:us-east-1:111122223333:execution:SessionDrain:';
const QUERY_PAGE = 1000;

function task(id: string, serviceName: string, overrides: Partial<TaskItem>): TaskItem {
  const arn = taskArn(id);
  return {
    pk: arn,
    sk: 'TASK',
    taskArn: arn,
    clusterArn: CLUSTER_ARN,
    serviceTask: `${serviceName}#${arn}`,
    serviceName,
    sessionCount: 3,
    status: 'ACTIVE',
    heartbeatAt: NOW_SECONDS - 10,
    protectionState: 'PROTECTED',
    protectedUntil: NOW_SECONDS + 40 * 3600,
    ...overrides,
  };
}

/** A drain waiting for its sessions: DRAINING, its wait armed, its deadline ahead. */
function openDrain(id: string, serviceName: string, reason: 'SCALE_IN' | 'SPOT' | 'INSTANCE', extra: Partial<TaskItem> = {}): TaskItem {
  return task(id, serviceName, {
    status: 'DRAINING',
    drainAttempt: 1,
    executionArn: `${EXECUTION_PREFIX}drain-${id}-1`,
    drainReason: reason,
    drainDeadline: new Date(NOW.getTime() + 4 * 3600_000).toISOString(),
    drainStartedAt: NOW_SECONDS - 1800,
    waitArmed: true,
    ...extra,
  });
}

function world() {
  const items: TaskItem[] = [];
  // web: scaled in from 2,500 to 2,000 tasks; its 500 excess tasks drain, the others serve (some drained and cancelled before)
  for (let index = 0; index < 500; index += 1) items.push(openDrain(`scale${index}`, 'web', 'SCALE_IN'));
  for (let index = 0; index < 2000; index += 1) {
    const cancelledBefore = index % 4 === 0 ? { drainAttempt: 1, executionArn: `${EXECUTION_PREFIX}drain-serve${index}-1`, drainReason: 'SCALE_IN' as const, drainOutcome: 'CANCELLED' as const } : {};
    items.push(task(`serve${index}`, 'web', cancelledBefore));
  }
  // chat: 1,000 Spot drains holding a replacement each, and 500 instance drains
  for (let index = 0; index < 1000; index += 1) items.push(openDrain(`spot${index}`, 'chat', 'SPOT', { replacementRequested: true }));
  for (let index = 0; index < 500; index += 1) items.push(openDrain(`inst${index}`, 'chat', 'INSTANCE'));
  return items;
}

function arrange(items: readonly TaskItem[]) {
  const t = makeTestDeps();
  const { mocks } = t;
  mocks.ddb.on(QueryCommand).callsFake((input: { ExclusiveStartKey?: { offset: number } }) => {
    const offset = input.ExclusiveStartKey?.offset ?? 0;
    const next = offset + QUERY_PAGE;
    return { Items: items.slice(offset, next), ...(next < items.length ? { LastEvaluatedKey: { offset: next } } : {}) };
  });
  mocks.ecs.on(DescribeTasksCommand).callsFake((input: { tasks: string[] }) => ({
    tasks: input.tasks.map((arn) => ({ taskArn: arn, lastStatus: 'RUNNING', desiredStatus: 'RUNNING' })),
    failures: [],
  }));
  mocks.ecs.on(ListServicesCommand).resolves({ serviceArns: ['web', 'chat'].map((name) => `arn:aws:ecs:us-east-1:111122223333:service/sessions/${name}`) });
  mocks.ecs.on(DescribeServicesCommand).resolves({
    services: [
      { serviceName: 'web', status: 'ACTIVE', runningCount: 2500, desiredCount: 2000, deployments: [{ status: 'PRIMARY', rolloutState: 'COMPLETED' }] },
      { serviceName: 'chat', status: 'ACTIVE', runningCount: 2500, desiredCount: 2500, deployments: [{ status: 'PRIMARY', rolloutState: 'COMPLETED' }] },
    ],
  });
  mocks.sfn.on(DescribeExecutionCommand).resolves({ status: 'RUNNING' });
  return t;
}

function callCount(mock: { calls: () => unknown[] }): number {
  return mock.calls().length;
}

describe('ReconcilerFunction over 2,000 open healthy drains', () => {
  it('makes no Step Functions call, and its SDK calls grow only with the pages of tasks it reads', async () => {
    // prepare: 2,000 drains waiting for their sessions, 2,000 serving tasks, two services
    const items = world();
    const t = arrange(items);

    // act
    const summary = await runReconciler(t.deps);

    // assert: nothing to repair, and nothing asked per drain
    expect(callCount(t.mocks.sfn)).toBe(0);
    expect(summary).toMatchObject({ restarted: 0, heartbeatLost: 0, expired: 0, scaleInDrains: 0, scaleInDrainsCancelled: 0, replacementsReleased: 0, failed: 0 });
    // 4,000 items: 4 Query pages, 40 DescribeTasks of 100, one ListServices page and one DescribeServices,
    // and one GetItem of the Auto Scaling lifecycle actions held for drains (none here)
    expect(t.mocks.ddb.commandCalls(QueryCommand)).toHaveLength(4);
    expect(t.mocks.ecs.commandCalls(DescribeTasksCommand)).toHaveLength(40);
    expect(t.mocks.ecs.commandCalls(ListServicesCommand)).toHaveLength(1);
    expect(t.mocks.ecs.commandCalls(DescribeServicesCommand)).toHaveLength(1);
    expect(callCount(t.mocks.ddb) + callCount(t.mocks.ecs) + callCount(t.mocks.sfn) + callCount(t.mocks.eventBridge) + callCount(t.mocks.elb) + callCount(t.mocks.autoScaling)).toBe(47);
  });
});
