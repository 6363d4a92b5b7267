import { describe, expect, it } from 'vitest';
import { type EcsTaskView, isLeaving, minimumServing, planPacing, type ServiceDeploymentView } from '../../../../functions/core/deployments/pacing.js';
import type { TaskItem } from '../../../../functions/registry/model.js';
import { taskArn } from '../../../support/deps.js';
import { registryItem } from '../../handlers/fixtures.js';

/*
 * planPacing decides which leaving tasks of a rolling deployment may start draining now, the way
 * ECS's own rolling update would stop them: never below desiredCount x minimumHealthyPercent of
 * tasks that take sessions.
 */

const OLD_DEPLOYMENT = 'ecs-svc/1111111111111111111';
const NEW_DEPLOYMENT = 'ecs-svc/2222222222222222222';
const REVISION_7 = 'arn:aws:ecs:us-east-1:111122223333:task-definition/chat:7';
const REVISION_8 = 'arn:aws:ecs:us-east-1:111122223333:task-definition/chat:8';
const EXECUTION_PREFIX = 'arn:aws:states:us-east-1:111122223333:execution:SessionDrain:';

/** A task as DescribeTasks reports it: started by the old deployment, running and healthy, unless told otherwise. */
function ecsTask(id: string, overrides: Partial<EcsTaskView> = {}): EcsTaskView {
  return { taskArn: taskArn(id), startedBy: OLD_DEPLOYMENT, taskDefinitionArn: REVISION_7, lastStatus: 'RUNNING', desiredStatus: 'RUNNING', healthStatus: 'HEALTHY', ...overrides };
}

function newTask(id: string, overrides: Partial<EcsTaskView> = {}): EcsTaskView {
  return ecsTask(id, { startedBy: NEW_DEPLOYMENT, ...overrides });
}

function item(id: string, overrides: Partial<TaskItem> = {}): TaskItem {
  return registryItem(taskArn(id), overrides);
}

/** A drain claimed (by startDrain or the pacer) whose workflow has not marked the task DRAINING yet. */
function claimed(id: string, reason: TaskItem['drainReason'], overrides: Partial<TaskItem> = {}): TaskItem {
  return item(id, { drainAttempt: 1, executionArn: `${EXECUTION_PREFIX}drain-${id}-1`, drainReason: reason, ...overrides });
}

function registry(...items: TaskItem[]): Map<string, TaskItem> {
  return new Map(items.map((entry) => [entry.taskArn, entry]));
}

function service(overrides: Partial<ServiceDeploymentView> = {}, primary: Partial<ServiceDeploymentView['primary']> = {}): ServiceDeploymentView {
  return {
    desiredCount: 2,
    minimumHealthyPercent: 100,
    ...overrides,
    primary: { id: NEW_DEPLOYMENT, taskDefinition: REVISION_7, rolloutState: 'IN_PROGRESS', ...primary },
  };
}

const arns = (items: readonly TaskItem[]) => items.map((entry) => entry.taskArn);

describe('minimumServing', () => {
  it.each([
    [2, 100, 2],
    [4, 50, 2],
    [3, 50, 2],
    [3, 67, 3],
    [10, 0, 0],
    [0, 100, 0],
  ])('desiredCount %i at minimumHealthyPercent %i keeps %i tasks serving, rounded up as ECS does', (desiredCount, percent, expected) => {
    expect(minimumServing(desiredCount, percent)).toBe(expected);
  });
});

describe('planPacing', () => {
  it('finds the leaving tasks of a forced deployment by startedBy, though every task runs the same task definition', () => {
    // prepare
    const tasks = [ecsTask('old-a'), ecsTask('old-b'), newTask('new-a')];
    const items = registry(item('old-a'), item('old-b'), item('new-a'));

    // act
    const plan = planPacing(service({}, { taskDefinition: REVISION_7 }), tasks, items);

    // assert
    expect(plan.leaving).toEqual([taskArn('old-a'), taskArn('old-b')]);
  });

  it('falls back to the task definition for a task that names no deployment', () => {
    const primary = service({}, { taskDefinition: REVISION_8 }).primary;

    expect(isLeaving(ecsTask('old', { startedBy: undefined, taskDefinitionArn: REVISION_7 }), primary)).toBe(true);
    expect(isLeaving(ecsTask('current', { startedBy: '', taskDefinitionArn: REVISION_8 }), primary)).toBe(false);
    expect(isLeaving(ecsTask('started-by-primary', { startedBy: NEW_DEPLOYMENT, taskDefinitionArn: REVISION_7 }), primary)).toBe(false);
  });

  it('holds every old task at minimumHealthyPercent 100 until a new task serves, then releases exactly one: the one with the fewest sessions', () => {
    // prepare
    const tasks = [ecsTask('old-a'), ecsTask('old-b'), ecsTask('old-c'), newTask('new-a')];
    const old = [item('old-a', { sessionCount: 5 }), item('old-b', { sessionCount: 2 }), item('old-c', { sessionCount: 9 })];
    const threeOld = service({ desiredCount: 3 });

    // act
    const beforeRegistration = planPacing(threeOld, tasks, registry(...old));
    const whileUnhealthy = planPacing(threeOld, [...tasks.slice(0, 3), newTask('new-a', { healthStatus: 'UNHEALTHY' })], registry(...old, item('new-a')));
    const onceServing = planPacing(threeOld, tasks, registry(...old, item('new-a')));

    // assert
    expect(beforeRegistration).toMatchObject({ serving: 3, minServing: 3, release: [], unregistered: [], cancel: [] });
    expect(arns(beforeRegistration.held)).toEqual([taskArn('old-b'), taskArn('old-a'), taskArn('old-c')]);
    expect(whileUnhealthy).toMatchObject({ serving: 3, release: [] });
    expect(onceServing).toMatchObject({ serving: 4, minServing: 3, cancel: [], unregistered: [] });
    expect(arns(onceServing.release)).toEqual([taskArn('old-b')]);
    expect(arns(onceServing.held)).toEqual([taskArn('old-a'), taskArn('old-c')]);
  });

  it('counts a new task whose load balancer targets are not healthy yet as not serving: the load balancer sends it no session', () => {
    const tasks = [ecsTask('old-a', { targetsHealthy: true }), ecsTask('old-b', { targetsHealthy: true }), newTask('new-a', { targetsHealthy: false })];
    const items = registry(item('old-a', { sessionCount: 3 }), item('old-b', { sessionCount: 1 }), item('new-a'));

    const waiting = planPacing(service(), tasks, items);
    const healthy = planPacing(service(), [...tasks.slice(0, 2), newTask('new-a', { targetsHealthy: true })], items);

    expect(waiting).toMatchObject({ serving: 2, release: [] });
    expect(arns(healthy.release)).toEqual([taskArn('old-b')]);
  });

  it('releases half the old tasks at once at minimumHealthyPercent 50, the idlest first', () => {
    const tasks = [ecsTask('old-a'), ecsTask('old-b'), ecsTask('old-c'), ecsTask('old-d')];
    const items = registry(item('old-a', { sessionCount: 4 }), item('old-b', { sessionCount: 1 }), item('old-c', { sessionCount: 3 }), item('old-d', { sessionCount: 0 }));

    const plan = planPacing(service({ desiredCount: 4, minimumHealthyPercent: 50 }), tasks, items);

    expect(plan).toMatchObject({ serving: 4, minServing: 2 });
    expect(arns(plan.release)).toEqual([taskArn('old-d'), taskArn('old-b')]);
    expect(arns(plan.held)).toEqual([taskArn('old-c'), taskArn('old-a')]);
  });

  it('releases unhealthy and not yet RUNNING leaving tasks at once: they take no sessions, so they cost no capacity', () => {
    // prepare: the service is below its floor already, so no serving task may go
    const tasks = [ecsTask('old-serving'), ecsTask('old-unhealthy', { healthStatus: 'UNHEALTHY' }), ecsTask('old-pending', { lastStatus: 'PENDING' })];
    const items = registry(item('old-serving', { sessionCount: 0 }), item('old-unhealthy', { sessionCount: 3 }), item('old-pending', { sessionCount: 1 }));

    // act
    const plan = planPacing(service(), tasks, items);

    // assert
    expect(plan).toMatchObject({ serving: 1, minServing: 2 });
    expect(arns(plan.release)).toEqual([taskArn('old-pending'), taskArn('old-unhealthy')]);
    expect(arns(plan.held)).toEqual([taskArn('old-serving')]);
  });

  it('counts a task whose drain is claimed but not yet DRAINING as not serving, whatever its reason', () => {
    // prepare: without the claims, old-c would be spare
    const tasks = [newTask('new-a'), newTask('new-b'), ecsTask('old-a'), ecsTask('old-b'), ecsTask('old-c')];
    const items = registry(
      item('new-a'),
      item('new-b'),
      claimed('old-a', 'DEPLOYMENT', { sessionCount: 0 }),
      claimed('old-b', 'SPOT', { sessionCount: 0 }),
      item('old-c', { sessionCount: 6 }),
    );

    // act
    const plan = planPacing(service({ desiredCount: 3 }), tasks, items);

    // assert
    expect(plan).toMatchObject({ serving: 3, minServing: 3, release: [], cancel: [] });
    expect(arns(plan.held)).toEqual([taskArn('old-c')]);
    expect(plan.leaving).toEqual([taskArn('old-a'), taskArn('old-b'), taskArn('old-c')]);
  });

  it('leaves alone leaving tasks that are draining or stopping in the registry, and tasks ECS is stopping already', () => {
    const tasks = [newTask('new-a'), ecsTask('old-draining'), ecsTask('old-stopping'), ecsTask('old-stopped-by-ecs', { desiredStatus: 'STOPPED' })];
    const items = registry(
      item('new-a'),
      item('old-draining', { status: 'DRAINING', drainReason: 'SCALE_IN', executionArn: `${EXECUTION_PREFIX}drain-old-draining-1` }),
      item('old-stopping', { status: 'STOPPING' }),
      item('old-stopped-by-ecs'),
    );

    const plan = planPacing(service({ desiredCount: 1 }), tasks, items);

    expect(plan).toMatchObject({ serving: 1, minServing: 1, release: [], held: [], unregistered: [], cancel: [] });
    expect(plan.leaving).toEqual([taskArn('old-draining'), taskArn('old-stopping')]);
  });

  it('cancels the open deployment drain of a task a rollback keeps, and leaves its Spot drain and a finished drain alone', () => {
    // prepare: the circuit breaker rolled back to the old deployment, which is PRIMARY again
    const rollback = service({ desiredCount: 4 }, { id: OLD_DEPLOYMENT, taskDefinition: REVISION_7 });
    const tasks = [ecsTask('kept-draining'), ecsTask('kept-claimed'), ecsTask('kept-spot'), ecsTask('kept-cancelled'), newTask('failed-a', { taskDefinitionArn: REVISION_8 })];
    const draining = claimed('kept-draining', 'DEPLOYMENT', { status: 'DRAINING', waitArmed: true });
    const claim = claimed('kept-claimed', 'DEPLOYMENT');
    const items = registry(
      draining,
      claim,
      claimed('kept-spot', 'SPOT', { status: 'DRAINING' }),
      claimed('kept-cancelled', 'DEPLOYMENT', { drainOutcome: 'CANCELLED' }),
      item('failed-a'),
    );

    // act
    const plan = planPacing(rollback, tasks, items);

    // assert
    expect(plan.cancel).toEqual([draining, claim]);
    expect(plan.leaving).toEqual([taskArn('failed-a')]);
  });

  it('leaves the drain of a task ECS is stopping alone: nobody keeps a task whose desiredStatus is STOPPED', () => {
    // prepare: old-a drained to empty and ECS stops it (RUNNING until its stop timeout); old-b drains on
    const tasks = [ecsTask('old-a', { desiredStatus: 'STOPPED' }), ecsTask('old-b'), newTask('new-a'), newTask('new-b')];
    const items = registry(
      claimed('old-a', 'DEPLOYMENT', { status: 'DRAINING', waitArmed: true }),
      claimed('old-b', 'DEPLOYMENT', { status: 'DRAINING', sessionCount: 2 }),
      item('new-a'),
      item('new-b'),
    );

    // act
    const plan = planPacing(service({ desiredCount: 2 }), tasks, items);

    // assert
    expect(plan.cancel).toEqual([]);
    expect(plan.restore).toEqual([]);
  });

  it('releases nothing once the PRIMARY deployment FAILED, and cancels the open deployment drains of the old tasks', () => {
    // prepare: plenty of spare capacity, and a leaving task that takes no sessions
    const failed = service({ desiredCount: 1, minimumHealthyPercent: 0 }, { rolloutState: 'FAILED' });
    const tasks = [ecsTask('old-draining'), ecsTask('old-serving'), ecsTask('old-unhealthy', { healthStatus: 'UNHEALTHY' }), newTask('new-a')];
    const draining = claimed('old-draining', 'DEPLOYMENT', { status: 'DRAINING' });
    const items = registry(draining, item('old-serving', { sessionCount: 1 }), item('old-unhealthy', { sessionCount: 0 }), item('new-a'));

    // act
    const plan = planPacing(failed, tasks, items);

    // assert
    expect(plan.release).toEqual([]);
    expect(arns(plan.held)).toEqual([taskArn('old-unhealthy'), taskArn('old-serving')]);
    expect(plan.cancel).toEqual([draining]);
  });

  it('holds every leaving task of a traffic-shift deployment (BLUE_GREEN, LINEAR, CANARY), idle and unhealthy ones too: the lifecycle hook drains them', () => {
    const tasks = [ecsTask('old-a'), ecsTask('old-b', { healthStatus: 'UNHEALTHY' }), ecsTask('old-unknown'), newTask('new-a'), newTask('new-b')];
    const items = registry(item('old-a', { sessionCount: 0 }), item('old-b', { sessionCount: 2 }), item('new-a'), item('new-b'));

    const plan = planPacing(service({ desiredCount: 2, minimumHealthyPercent: 0 }), tasks, items, 'traffic-shift');

    expect(plan.release).toEqual([]);
    expect(arns(plan.held)).toEqual([taskArn('old-b'), taskArn('old-a')]);
    expect(plan.unregistered).toEqual([taskArn('old-unknown')]);
  });

  it('returns to service a kept task whose deployment drain ended without a stop, and no other', () => {
    // prepare: a rollback during bake time; blue tasks whose drains ended were left for ECS's clean-up
    const rollback = service({}, { id: OLD_DEPLOYMENT });
    const tasks = [ecsTask('kept-drained'), ecsTask('kept-spot'), ecsTask('kept-stopping'), newTask('green-drained')];
    const drained = claimed('kept-drained', 'DEPLOYMENT', { status: 'DRAINING', drainOutcome: 'DRAINED', sessionCount: 2 });
    const items = registry(
      drained,
      claimed('kept-spot', 'SPOT', { status: 'DRAINING', drainOutcome: 'DEADLINE_FORCED' }),
      claimed('kept-stopping', 'DEPLOYMENT', { status: 'STOPPING', drainOutcome: 'DRAINED' }),
      claimed('green-drained', 'DEPLOYMENT', { status: 'DRAINING', drainOutcome: 'DRAINED' }),
    );

    // act
    const plan = planPacing(rollback, tasks, items, 'traffic-shift');

    // assert
    expect(plan.restore).toEqual([drained]);
    expect(plan.cancel).toEqual([]);
  });

  it('lists the leaving tasks the registry does not know, and neither holds nor releases them', () => {
    const tasks = [ecsTask('old-unknown'), ecsTask('old-known'), newTask('new-unknown')];
    const items = registry(item('old-known'));

    const plan = planPacing(service(), tasks, items);

    expect(plan.unregistered).toEqual([taskArn('old-unknown')]);
    expect(arns(plan.held)).toEqual([taskArn('old-known')]);
    expect(plan.release).toEqual([]);
  });

  it.each([
    ['desiredCount 0', { desiredCount: 0, minimumHealthyPercent: 100 }],
    ['minimumHealthyPercent 0', { desiredCount: 2, minimumHealthyPercent: 0 }],
  ])('releases every leaving task when the service needs none serving (%s)', (_name, settings) => {
    const tasks = [ecsTask('old-a'), ecsTask('old-b')];
    const items = registry(item('old-a', { sessionCount: 7 }), item('old-b', { sessionCount: 3 }));

    const plan = planPacing(service(settings), tasks, items);

    expect(plan.minServing).toBe(0);
    expect(arns(plan.release)).toEqual([taskArn('old-b'), taskArn('old-a')]);
    expect(plan.held).toEqual([]);
  });
});
