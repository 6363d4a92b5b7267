import { DescribeServicesCommand, DescribeTasksCommand, ListServicesCommand, type Service, UpdateTaskProtectionCommand } from '@aws-sdk/client-ecs';
import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { deploymentHeldSeconds } from '../../../../functions/core/reconcile/gauges.js';
import { LOST_WORKFLOW_GRACE_SECONDS } from '../../../../functions/core/reconcile/decisions.js';
import { reconcile } from '../../../../functions/core/reconcile/run.js';
import type { TaskItem } from '../../../../functions/registry/model.js';
import { makeTestDeps, NOW, taskArn } from '../../../support/deps.js';
import { SERVICE_NAME } from '../../../support/ecs-events.js';
import { drainExecutionOf, registryHolds, registryItem } from '../../handlers/fixtures.js';

/*
 * The reconciler's gauges (README "Metrics"): what one run read from the registry and ECS,
 * published as EMF once a minute for the dashboard and the alarms. Read back from the run's own
 * Powertools Metrics as the EMF document Lambda would log.
 */

const NOW_SECONDS = Math.floor(NOW.getTime() / 1000);
const iso = (seconds: number) => new Date(seconds * 1000).toISOString();

function item(id: string, overrides: Partial<TaskItem> = {}): TaskItem {
  return registryItem(taskArn(id), { heartbeatAt: NOW_SECONDS - 10, ...overrides });
}

function draining(id: string, sessionCount: number, deadlineSeconds: number): TaskItem {
  const arn = taskArn(id);
  return item(id, { status: 'DRAINING', sessionCount, drainReason: 'DEPLOYMENT', executionArn: drainExecutionOf(arn), drainDeadline: iso(deadlineSeconds), drainAttempt: 1 });
}

/** ECS runs every task except those named stopped; it refuses protection (DEPLOYMENT_BLOCKED) for `blocked`. */
function arrange(items: TaskItem[], options: { stopped?: string[]; blocked?: string[] } = {}) {
  const t = makeTestDeps();
  registryHolds(t.mocks.ddb, items);
  t.mocks.ecs.on(DescribeTasksCommand).callsFake((input: { tasks: string[] }) => ({
    tasks: input.tasks.map((arn) => {
      const status = options.stopped?.includes(arn) ? 'STOPPED' : 'RUNNING';
      return { taskArn: arn, lastStatus: status, desiredStatus: status };
    }),
    failures: [],
  }));
  t.mocks.ecs.on(UpdateTaskProtectionCommand).callsFake((input: { tasks: string[] }) => ({
    protectedTasks: input.tasks.filter((arn) => !options.blocked?.includes(arn)).map((arn) => ({ taskArn: arn, protectionEnabled: true, expirationDate: new Date(NOW.getTime() + 4 * 3600_000) })),
    failures: input.tasks.filter((arn) => options.blocked?.includes(arn)).map((arn) => ({ arn, reason: 'DEPLOYMENT_BLOCKED' })),
  }));
  t.mocks.ecs.on(ListServicesCommand).resolves({ serviceArns: [] });
  t.mocks.ecs.on(DescribeServicesCommand).resolves({ services: [] });
  t.mocks.sfn.on(DescribeExecutionCommand).callsFake((input: { executionArn: string }) => ({ executionArn: input.executionArn, status: 'RUNNING' }));
  return t;
}

/** The run's metrics as the EMF document Powertools writes to the function's log. */
function emitted(t: ReturnType<typeof arrange>) {
  const document = t.deps.metrics.serializeMetrics() as unknown as Record<string, unknown> & {
    _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] };
  };
  const [directive] = document._aws.CloudWatchMetrics;
  const values = Object.fromEntries((directive?.Metrics ?? []).map(({ Name }) => [Name, document[Name]]));
  return { directive, values };
}

describe('reconciler gauges', () => {
  it('counts open drains, the sessions they hold, overdue drains and blocked protection', async () => {
    // prepare: two open drains (one past its deadline by more than the grace), a drain whose task
    // ECS has stopped, a busy task ECS still refuses to protect and one it now protects
    const onTime = draining('ontime', 3, NOW_SECONDS + 600);
    const overdue = draining('overdue', 2, NOW_SECONDS - LOST_WORKFLOW_GRACE_SECONDS - 60);
    const stopped = draining('stopped', 7, NOW_SECONDS - LOST_WORKFLOW_GRACE_SECONDS - 60);
    const stillBlocked = item('blocked', { sessionCount: 4, protectionState: 'BLOCKED' });
    const unblocked = item('unblocked', { sessionCount: 1, protectionState: 'BLOCKED' });
    const idleBlocked = item('idle', { sessionCount: 0, protectionState: 'BLOCKED' });
    const t = arrange([onTime, overdue, stopped, stillBlocked, unblocked, idleBlocked], { stopped: [stopped.taskArn], blocked: [stillBlocked.taskArn] });

    // act
    const summary = await reconcile(t.deps);

    // assert
    const { directive, values } = emitted(t);
    expect(directive).toMatchObject({ Namespace: 'Test', Dimensions: [['service']] });
    expect(values).toEqual({
      ProtectionBlocked: 1,
      DrainsInProgress: 2,
      SessionsOnDrainingTasks: 5,
      DrainsPastDeadline: 1,
      TasksProtectionBlocked: 1,
      DeploymentHeldSeconds: 0,
      ReconcileStepsFailed: 0,
    });
    expect(summary.gauges).toEqual({ drainsInProgress: 2, sessionsOnDrainingTasks: 5, drainsPastDeadline: 1, tasksProtectionBlocked: 1, deploymentHeldSeconds: 0 });
  });

  it('reports how long a deployment has been under way on a service whose tasks hold sessions', async () => {
    // prepare: the service is mid-deployment (started 90 minutes ago); its old task holds sessions
    const busy = item('busy', { sessionCount: 2, protectionState: 'PROTECTED', protectedUntil: NOW_SECONDS + 4 * 3600 });
    const t = arrange([busy]);
    t.mocks.ecs.on(ListServicesCommand).resolves({ serviceArns: ['arn:aws:ecs:us-east-1:111122223333:service/sessions/chat'] });
    t.mocks.ecs.on(DescribeServicesCommand).resolves({ services: [serviceWith([{ status: 'PRIMARY', createdAt: new Date(NOW.getTime() - 5400_000) }, { status: 'ACTIVE' }])] });

    // act
    await reconcile(t.deps);

    // assert
    expect(emitted(t).values.DeploymentHeldSeconds).toBe(5400);
  });

  it('publishes the failed steps when the whole run fails', async () => {
    // prepare: the registry cannot be listed, nor the Auto Scaling lifecycle actions read
    const t = arrange([]);
    t.mocks.ddb.on(QueryCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    t.mocks.ddb.on(GetCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));

    // act
    const run = reconcile(t.deps);

    // assert
    await expect(run).rejects.toThrow(/reconciliation steps failed/);
    expect(emitted(t).values).toMatchObject({ ReconcileStepsFailed: 2, DrainsInProgress: 0 });
  });
});

function serviceWith(deployments: NonNullable<Service['deployments']>, overrides: Partial<Service> = {}): Service {
  return { serviceName: SERVICE_NAME, status: 'ACTIVE', desiredCount: 2, runningCount: 2, deployments, ...overrides };
}

describe('deploymentHeldSeconds', () => {
  const inProgress = [{ status: 'PRIMARY', createdAt: new Date(NOW.getTime() - 600_000) }, { status: 'ACTIVE', createdAt: new Date(NOW.getTime() - 86_400_000) }];
  const busy = [item('busy', { sessionCount: 1 })];

  it('is the age of the PRIMARY deployment of a service in the middle of one', () => {
    expect(deploymentHeldSeconds(serviceWith(inProgress), busy, NOW_SECONDS)).toBe(600);
  });

  it('counts a failed deployment as held: its drains are being given back', () => {
    expect(deploymentHeldSeconds(serviceWith([{ status: 'PRIMARY', rolloutState: 'FAILED', createdAt: new Date(NOW.getTime() - 60_000) }]), busy, NOW_SECONDS)).toBe(60);
  });

  it('counts a deployment whose leaving task is empty but still draining', () => {
    expect(deploymentHeldSeconds(serviceWith(inProgress), [draining('empty', 0, NOW_SECONDS + 60)], NOW_SECONDS)).toBe(600);
  });

  it('is undefined for a settled service, a service of another controller, and a service without sessions or drains', () => {
    expect(deploymentHeldSeconds(serviceWith([{ status: 'PRIMARY', createdAt: new Date(0) }]), busy, NOW_SECONDS)).toBeUndefined();
    expect(deploymentHeldSeconds(serviceWith(inProgress, { deploymentController: { type: 'CODE_DEPLOY' } }), busy, NOW_SECONDS)).toBeUndefined();
    expect(deploymentHeldSeconds(serviceWith(inProgress), [item('idle')], NOW_SECONDS)).toBeUndefined();
  });
});
