import { DescribeTasksCommand, ListServicesCommand, UpdateTaskProtectionCommand } from '@aws-sdk/client-ecs';
import { GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { FINISH_RESERVE_MS } from '../../../functions/core/reconcile/budget.js';
import { runReconciler } from '../../../functions/handlers/reconciler.js';
import type { TaskItem } from '../../../functions/registry/model.js';
import { LIFECYCLE_ACTIONS_KEY } from '../../../functions/registry/terminations/items.js';
import { makeTestDeps, NOW, taskArn } from '../../support/deps.js';

/** Protection renewal per cluster (issue 12): a cluster that fails or hangs does not starve the others. */
const NOW_SECONDS = NOW.getTime() / 1000;
const CLUSTERS = ['sessions', 'games', 'voice'].map((name) => `arn:aws:ecs:us-east-1:111122223333:cluster/${name}`);

/** A busy task of `cluster` whose protection lapses within the hour: the run renews it. */
function busyTask(cluster: string): TaskItem {
  const name = cluster.slice(cluster.lastIndexOf('/') + 1);
  const arn = taskArn(`${name}task`, name);
  return {
    pk: arn,
    sk: 'TASK',
    taskArn: arn,
    clusterArn: cluster,
    serviceTask: `web#${arn}`,
    serviceName: 'web',
    sessionCount: 4,
    status: 'ACTIVE',
    heartbeatAt: NOW_SECONDS - 10,
    protectionState: 'PROTECTED',
    protectedUntil: NOW_SECONDS + 1800,
  };
}

function arrange(listing: (cluster: string) => Promise<{ Items: TaskItem[] }>) {
  const t = makeTestDeps({ config: { clusterArns: CLUSTERS } });
  t.mocks.ddb.on(QueryCommand).callsFake((input: { ExpressionAttributeValues: { ':cluster': string } }) => listing(input.ExpressionAttributeValues[':cluster']));
  t.mocks.ddb.on(UpdateCommand).resolves({});
  t.mocks.ecs.on(DescribeTasksCommand).callsFake((input: { tasks: string[] }) => ({
    tasks: input.tasks.map((arn) => ({ taskArn: arn, lastStatus: 'RUNNING', desiredStatus: 'RUNNING' })),
  }));
  t.mocks.ecs.on(ListServicesCommand).resolves({ serviceArns: [] });
  t.mocks.ecs.on(UpdateTaskProtectionCommand).callsFake((input: { tasks: string[] }) => ({
    protectedTasks: input.tasks.map((arn) => ({ taskArn: arn, protectionEnabled: true, expirationDate: new Date(NOW.getTime() + 2 * 3600_000) })),
  }));
  return t;
}

function renewedClusters(t: ReturnType<typeof arrange>): string[] {
  return t.mocks.ecs
    .commandCalls(UpdateTaskProtectionCommand)
    .map((call) => call.args[0].input.cluster ?? '')
    .sort();
}

/** A Lambda context with `ms` left beyond the run's finishing reserve. */
function contextWith(ms: number) {
  const end = Date.now() + FINISH_RESERVE_MS + ms;
  return { getRemainingTimeInMillis: () => end - Date.now() };
}

describe('ReconcilerFunction across clusters', () => {
  it('renews protection in the other clusters when one cluster hangs, within the invocation', async () => {
    // prepare: the registry never answers the listing of the first cluster
    const hanging = CLUSTERS[0]!;
    const t = arrange((cluster) => (cluster === hanging ? new Promise(() => undefined) : Promise.resolve({ Items: [busyTask(cluster)] })));
    const started = Date.now();

    // act
    const summary = await runReconciler(t.deps, contextWith(1500));

    // assert
    expect(renewedClusters(t)).toEqual([CLUSTERS[1], CLUSTERS[2]].sort());
    expect(summary).toMatchObject({ clusters: 3, clustersOutOfTime: 1, protectionRenewed: 2 });
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('renews protection in the other clusters when one cluster fails', async () => {
    // prepare: ECS throttles every DescribeTasks of the second cluster
    const failing = CLUSTERS[1]!;
    const t = arrange((cluster) => Promise.resolve({ Items: [busyTask(cluster)] }));
    t.mocks.ecs.on(DescribeTasksCommand, { cluster: failing }).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));

    // act
    const summary = await runReconciler(t.deps, contextWith(10_000));

    // assert
    expect(renewedClusters(t)).toEqual([CLUSTERS[0], CLUSTERS[2]].sort());
    expect(summary).toMatchObject({ clustersOutOfTime: 0, protectionRenewed: 2, failed: 1 });
  });

  it('keeps what the batches before a throttled one renewed', async () => {
    // prepare: 25 busy tasks in one cluster; ECS throttles the second batch of ten
    const cluster = CLUSTERS[0]!;
    const tasks = Array.from({ length: 25 }, (_, index) => ({ ...busyTask(cluster), pk: taskArn(`t${index}`), taskArn: taskArn(`t${index}`) }));
    const t = arrange((listed) => Promise.resolve({ Items: listed === cluster ? tasks : [] }));
    let call = 0;
    t.mocks.ecs.on(UpdateTaskProtectionCommand).callsFake((input: { tasks: string[] }) => {
      call += 1;
      if (call === 2) throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
      return { protectedTasks: input.tasks.map((arn) => ({ taskArn: arn, protectionEnabled: true, expirationDate: new Date(NOW.getTime() + 2 * 3600_000) })) };
    });

    // act
    const summary = await runReconciler(t.deps, contextWith(10_000));

    // assert
    expect(t.mocks.ddb.commandCalls(UpdateCommand)).toHaveLength(10);
    expect(summary).toMatchObject({ protectionRenewed: 10, failed: 1 });
  });

  it('answers within the invocation when the lifecycle actions step hangs after the clusters', async () => {
    // prepare: every cluster answers; the read of the held Auto Scaling lifecycle actions never does
    const t = arrange((cluster) => Promise.resolve({ Items: [busyTask(cluster)] }));
    t.mocks.ddb.on(GetCommand, { Key: LIFECYCLE_ACTIONS_KEY }).callsFake(() => new Promise(() => undefined));
    const started = Date.now();

    // act
    const summary = await runReconciler(t.deps, contextWith(1500));

    // assert: the clusters' work is done and counted, the hung step counts as one failed step
    expect(Date.now() - started).toBeLessThan(3000);
    expect(renewedClusters(t)).toEqual([...CLUSTERS].sort());
    expect(summary).toMatchObject({ protectionRenewed: 3, lifecycleActionsCompleted: 0, failed: 1 });
  });
});
