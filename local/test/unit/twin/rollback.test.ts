import { describe, expect, it } from 'vitest';
import { CLUSTER, runningOf, startService, startTwin, taskDefinition, tasksOf, type TwinHarness } from './support.js';
import { deploymentEvents, describeService, midDeployment, steadyOn } from './rolling-support.js';

/*
 * Deployments that end before they complete: an operator's UpdateService back to the previous
 * revision, a second deployment before the first completed, and StopServiceDeployment ROLLBACK.
 * ECS keeps the earlier deployments ACTIVE and drains them; the PRIMARY replaces their tasks.
 */

function eventNamesOf(harness: TwinHarness, deploymentId: string | undefined): unknown[] {
  return deploymentEvents(harness)
    .filter((event) => event.deploymentId === deploymentId)
    .map((event) => event.eventName);
}

describe('an operator rolling back by hand mid-deployment', () => {
  it('starts a new deployment of the previous revision that drains both earlier deployments, and completes on it', async () => {
    // prepare
    const { harness, first, second, originals } = await midDeployment();

    // act
    const rollback = harness.twin.updateServiceConfiguration(CLUSTER, 'chat', { taskDefinition: 'chat:1' });
    const during = await describeService(harness, 'chat');
    await steadyOn(harness, 'chat', rollback);

    // assert
    expect(during.deployments.map((deployment) => [deployment.id, deployment.status, deployment.taskDefinition, deployment.rolloutState])).toEqual([
      [rollback, 'PRIMARY', taskDefinition(1), 'IN_PROGRESS'],
      [second, 'ACTIVE', taskDefinition(2), 'IN_PROGRESS'],
      [first, 'ACTIVE', taskDefinition(1), 'COMPLETED'],
    ]);
    expect(runningOf(harness.twin, 'chat').map((task) => [task.taskDefinitionArn, task.startedBy])).toEqual([
      [taskDefinition(1), rollback],
      [taskDefinition(1), rollback],
    ]);
    expect(tasksOf(harness.twin, 'chat').filter((task) => originals.includes(task.taskArn) || task.deploymentId === second).every((task) => task.lastStatus === 'STOPPED')).toBe(true);
    expect(eventNamesOf(harness, second)).toEqual(['SERVICE_DEPLOYMENT_IN_PROGRESS']);
    expect(eventNamesOf(harness, rollback)).toEqual(['SERVICE_DEPLOYMENT_IN_PROGRESS', 'SERVICE_DEPLOYMENT_COMPLETED']);
  });
});

describe('a deployment superseded by another', () => {
  it('becomes ACTIVE, never completes, and its tasks are replaced by those of the newer deployment', async () => {
    // prepare
    const { harness, first, second } = await midDeployment();

    // act
    const third = harness.twin.deploy(CLUSTER, 'chat', taskDefinition(3));
    await steadyOn(harness, 'chat', third);

    // assert
    expect(eventNamesOf(harness, first)).toEqual(['SERVICE_DEPLOYMENT_IN_PROGRESS', 'SERVICE_DEPLOYMENT_COMPLETED']);
    expect(eventNamesOf(harness, second)).toEqual(['SERVICE_DEPLOYMENT_IN_PROGRESS']);
    expect(eventNamesOf(harness, third)).toEqual(['SERVICE_DEPLOYMENT_IN_PROGRESS', 'SERVICE_DEPLOYMENT_COMPLETED']);
    expect(runningOf(harness.twin, 'chat').map((task) => task.taskDefinitionArn)).toEqual([taskDefinition(3), taskDefinition(3)]);
    const superseded = tasksOf(harness.twin, 'chat').filter((task) => task.deploymentId === second);
    expect(superseded.length).toBeGreaterThan(0);
    expect(superseded.every((task) => task.stopCode === 'ServiceSchedulerInitiated' && task.stoppedReason === `Scaling activity initiated by (deployment ${third})`)).toBe(true);
  });
});

describe('StopServiceDeployment ROLLBACK (twin.rollBackDeployment)', () => {
  it('rolls the deployment in progress back to the last completed revision, without the circuit breaker configured', async () => {
    // prepare
    const { harness, first, second } = await midDeployment();

    // act
    const rollback = harness.twin.rollBackDeployment(CLUSTER, 'chat');
    await steadyOn(harness, 'chat', rollback);

    // assert
    expect(rollback).not.toBe(first);
    expect(deploymentEvents(harness).filter((event) => event.deploymentId === rollback)[0]).toEqual({
      eventType: 'INFO',
      eventName: 'SERVICE_DEPLOYMENT_IN_PROGRESS',
      deploymentId: rollback,
      reason: `ECS deployment ${second} stopped: rolling back to deploymentId ${first}.`,
    });
    expect(runningOf(harness.twin, 'chat').map((task) => task.taskDefinitionArn)).toEqual([taskDefinition(1), taskDefinition(1)]);
  });

  it("in rollbackMode 'reactivate' goes back to the earlier deployment and its tasks", async () => {
    // prepare
    const { harness, first, originals } = await midDeployment({ rollbackMode: 'reactivate' });

    // act
    const rollback = harness.twin.rollBackDeployment(CLUSTER, 'chat');
    await steadyOn(harness, 'chat', first);

    // assert
    expect(rollback).toBe(first);
    expect(runningOf(harness.twin, 'chat').map((task) => task.taskArn).sort()).toEqual([...originals].sort());
  });

  it('refuses a deployment that already completed: there is nothing to stop', async () => {
    // prepare
    const harness = startTwin();
    await startService(harness, { name: 'chat', desiredCount: 1 });

    // act
    const attempt = () => harness.twin.rollBackDeployment(CLUSTER, 'chat');

    // assert
    expect(attempt).toThrow(expect.objectContaining({ name: 'ConflictException' }));
  });
});
