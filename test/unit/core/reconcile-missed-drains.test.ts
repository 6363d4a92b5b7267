import { describe, expect, it } from 'vitest';
import { type EcsTaskState, hasUnfinishedDrain, leftBehindByDeployment, type ServiceView } from '../../../functions/core/reconcile-decisions.js';
import type { TaskItem } from '../../../functions/registry/model.js';
import { CLUSTER_ARN, taskArn } from '../../support/deps.js';

/** The reconciler's two repairs found by the fault tests (test/e2e/faults): drains nobody drives, and missed deployments. */

const OLD = 'arn:aws:ecs:us-east-1:111122223333:task-definition/web:1';
const NEW = 'arn:aws:ecs:us-east-1:111122223333:task-definition/web:2';
const BEGUN = new Date('2027-01-15T08:00:00Z');
const BEGUN_SECONDS = BEGUN.getTime() / 1000;

function item(id: string, overrides: Partial<TaskItem> = {}): TaskItem {
  const arn = taskArn(id);
  return { pk: arn, sk: 'TASK', taskArn: arn, clusterArn: CLUSTER_ARN, serviceTask: `web#${arn}`, serviceName: 'web', sessionCount: 1, status: 'ACTIVE', ...overrides };
}

function on(taskDefinitionArn: string): EcsTaskState {
  return { kind: 'known', lastStatus: 'RUNNING', desiredStatus: 'RUNNING', taskDefinitionArn };
}

const rolling: ServiceView = {
  serviceName: 'web',
  status: 'ACTIVE',
  deployments: [
    { status: 'PRIMARY', taskDefinition: NEW, createdAt: BEGUN },
    { status: 'ACTIVE', taskDefinition: OLD, createdAt: new Date('2027-01-10T00:00:00Z') },
  ],
};

describe('hasUnfinishedDrain', () => {
  it.each([
    ['a DRAINING task', { status: 'DRAINING' as const }, true],
    ['an ACTIVE task whose recorded drain never marked it (a crashed step, a stopped execution)', { executionArn: 'arn:x', drainReason: 'DEPLOYMENT' as const }, true],
    ['an ACTIVE task whose last drain ended (cancelled)', { executionArn: 'arn:x', drainOutcome: 'CANCELLED' as const }, false],
    ['an ACTIVE task with a claim that never started ("Record drain" never ran)', { executionArn: 'arn:x' }, false],
    ['an ACTIVE task never drained', {}, false],
    ['a STOPPING task', { status: 'STOPPING' as const, executionArn: 'arn:x', drainReason: 'MANUAL' as const }, false],
  ])('%s: %s', (_, overrides, expected) => {
    expect(hasUnfinishedDrain(item('a', overrides))).toBe(expected);
  });
});

describe('leftBehindByDeployment', () => {
  it('picks the running ACTIVE tasks of an older revision that no drain took up since the deployment began', () => {
    const tasks = [
      item('old-busy'),
      item('old-idle', { sessionCount: 0 }),
      item('old-drained-before', { drainStartedAt: BEGUN_SECONDS - 600, drainOutcome: 'CANCELLED' }),
      item('old-cancelled-since', { drainStartedAt: BEGUN_SECONDS + 30, drainOutcome: 'CANCELLED' }),
      item('old-draining', { status: 'DRAINING' }),
      item('old-running-drain', { executionArn: 'arn:x' }),
      item('new'),
    ];
    const states = new Map<string, EcsTaskState>(tasks.map((task) => [task.taskArn, on(task.taskArn.endsWith('/new') ? NEW : OLD)]));

    const picked = leftBehindByDeployment(rolling, tasks, states, new Set([taskArn('old-running-drain')]));

    expect(picked.map((task) => task.taskArn)).toEqual([taskArn('old-busy'), taskArn('old-idle'), taskArn('old-drained-before')]);
  });

  it('picks nothing when no deployment is rolling, or when ECS did not say what a task runs', () => {
    const tasks = [item('old')];
    const states = new Map<string, EcsTaskState>([[taskArn('old'), on(OLD)]]);
    const steady: ServiceView = { ...rolling, deployments: [{ status: 'PRIMARY', taskDefinition: NEW, createdAt: BEGUN }] };

    expect(leftBehindByDeployment(steady, tasks, states, new Set())).toEqual([]);
    expect(leftBehindByDeployment({ ...rolling, status: 'DRAINING' }, tasks, states, new Set())).toEqual([]);
    expect(leftBehindByDeployment(rolling, tasks, new Map([[taskArn('old'), { kind: 'known', lastStatus: 'RUNNING', desiredStatus: 'RUNNING' }]]), new Set())).toEqual([]);
    expect(leftBehindByDeployment(rolling, tasks, new Map([[taskArn('old'), { kind: 'missing' }]]), new Set())).toEqual([]);
  });
});
