import { describe, expect, it } from 'vitest';
import {
  chooseScaleInVictims,
  type EcsTaskState,
  isHeartbeatLost,
  isStale,
  planScaleIn,
  scaleInExcess,
} from '../../../../functions/core/reconcile/decisions.js';
import type { TaskItem } from '../../../../functions/registry/model.js';
import { CLUSTER_ARN, taskArn } from '../../../support/deps.js';

const NOW = 1_800_000_000;
const running: EcsTaskState = { kind: 'known', lastStatus: 'RUNNING', desiredStatus: 'RUNNING' };

function item(id: string, overrides: Partial<TaskItem> = {}): TaskItem {
  const arn = taskArn(id);
  return { pk: arn, sk: 'TASK', taskArn: arn, clusterArn: CLUSTER_ARN, serviceTask: `web#${arn}`, serviceName: 'web', sessionCount: 0, status: 'ACTIVE', ...overrides };
}

describe('chooseScaleInVictims', () => {
  it('picks the tasks with the fewest sessions, ties broken by ARN', () => {
    const tasks = [item('d', { sessionCount: 1 }), item('a', { sessionCount: 4 }), item('c', { sessionCount: 0 }), item('b', { sessionCount: 1 })];
    expect(chooseScaleInVictims(tasks, 3).map((task) => task.taskArn)).toEqual([taskArn('c'), taskArn('b'), taskArn('d')]);
  });

  it('picks nothing when nothing is in excess', () => {
    expect(chooseScaleInVictims([item('a')], 0)).toEqual([]);
    expect(chooseScaleInVictims([item('a')], -2)).toEqual([]);
  });
});

describe('scaleInExcess', () => {
  const steady = { serviceName: 'web', status: 'ACTIVE', deployments: [{ status: 'PRIMARY' }] };
  it.each([
    ['protected tasks outlive a scale-in', { ...steady, runningCount: 5, desiredCount: 2 }, 3],
    ['the service runs what it should', { ...steady, runningCount: 2, desiredCount: 2 }, 0],
    ['a deployment is rolling', { ...steady, runningCount: 5, desiredCount: 2, deployments: [{ status: 'PRIMARY' }, { status: 'ACTIVE' }] }, 0],
    ['the service is being deleted', { ...steady, status: 'DRAINING', runningCount: 5, desiredCount: 0 }, 0],
  ] as const)('%s', (_scenario, service, expected) => {
    expect(scaleInExcess(service)).toBe(expected);
  });
});

describe('planScaleIn', () => {
  it('never drains more than the excess, counting open drains and skipping tasks ECS does not run', () => {
    const tasks = [
      item('a', { status: 'DRAINING' }),
      item('b', { sessionCount: 0 }),
      item('c', { sessionCount: 1 }),
      item('d', { sessionCount: 2 }),
      item('e', { sessionCount: 0 }),
    ];
    const states = new Map<string, EcsTaskState>([
      [taskArn('a'), running],
      [taskArn('b'), running],
      [taskArn('c'), running],
      [taskArn('d'), running],
      [taskArn('e'), { kind: 'known', lastStatus: 'RUNNING', desiredStatus: 'STOPPED' }],
    ]);
    const plan = planScaleIn(
      { serviceName: 'web', status: 'ACTIVE', runningCount: 5, desiredCount: 2, deployments: [{ status: 'PRIMARY' }] },
      tasks,
      states,
      new Set([taskArn('b')]),
    );
    expect(plan.excess).toBe(3);
    expect(plan.openDrains).toBe(2);
    expect(plan.victims.map((task) => task.taskArn)).toEqual([taskArn('c')]);
  });

  it('does not count or pick tasks of a DRAINING container instance, which ECS is replacing itself', () => {
    const onInstance = (instance: string): EcsTaskState => ({ kind: 'known', lastStatus: 'RUNNING', desiredStatus: 'RUNNING', containerInstanceArn: instance });
    const tasks = [item('a', { sessionCount: 1 }), item('b', { sessionCount: 3 }), item('c', { sessionCount: 4 }), item('d', { sessionCount: 0 })];
    const states = new Map<string, EcsTaskState>([
      [taskArn('a'), onInstance('draining-1')],
      [taskArn('b'), onInstance('active-1')],
      [taskArn('c'), onInstance('active-2')],
      [taskArn('d'), onInstance('active-2')],
    ]);
    const service = { serviceName: 'web', status: 'ACTIVE', runningCount: 4, desiredCount: 3, deployments: [{ status: 'PRIMARY' }] };

    const duringInstanceDrain = planScaleIn(service, tasks, states, new Set(), new Set(['draining-1']));
    const afterItLeft = planScaleIn({ ...service, runningCount: 5, desiredCount: 3 }, tasks, states, new Set(), new Set(['draining-1']));

    expect(duringInstanceDrain.excess).toBe(0);
    expect(duringInstanceDrain.victims).toEqual([]);
    expect(afterItLeft.victims.map((task) => task.taskArn)).toEqual([taskArn('d')]);
  });
});

describe('isStale', () => {
  it('trusts a STOPPED task at once but a MISSING one only once it stopped heartbeating', () => {
    expect(isStale(item('a'), { kind: 'known', lastStatus: 'STOPPED', desiredStatus: 'STOPPED' }, NOW, 120)).toBe(true);
    expect(isStale(item('a', { heartbeatAt: NOW - 121 }), { kind: 'missing' }, NOW, 120)).toBe(true);
    expect(isStale(item('a', { heartbeatAt: NOW - 30 }), { kind: 'missing' }, NOW, 120)).toBe(false);
    expect(isStale(item('a'), running, NOW, 120)).toBe(false);
    expect(isStale(item('a'), undefined, NOW, 120)).toBe(false);
  });
});

describe('isHeartbeatLost', () => {
  it('applies to a waiting drain whose task has been silent longer than the timeout', () => {
    expect(isHeartbeatLost(item('a', { status: 'DRAINING', waitArmed: true, heartbeatAt: NOW - 121 }), NOW, 120)).toBe(true);
    expect(isHeartbeatLost(item('a', { status: 'DRAINING', waitArmed: true, heartbeatAt: NOW - 60 }), NOW, 120)).toBe(false);
    expect(isHeartbeatLost(item('a', { status: 'DRAINING', heartbeatAt: NOW - 600 }), NOW, 120)).toBe(false);
    expect(isHeartbeatLost(item('a', { waitArmed: true, heartbeatAt: NOW - 600 }), NOW, 120)).toBe(false);
  });
});
