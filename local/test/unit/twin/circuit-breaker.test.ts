import { describe, expect, it } from 'vitest';
import { parseDeploymentEvent, parseTaskStateChange } from '../../../../functions/events/ecs.js';
import { failureThreshold } from '../../../twin/circuit-breaker.js';
import type { EcsTwinOptions, TwinSnapshot } from '../../../twin/index.js';
import { CLUSTER, runningOf, startService, startTwin, taskDefinition, tasksOf, type TwinHarness, waitFor } from './support.js';
import { deploymentEvents, describeService, primaryOf, steadyOn } from './rolling-support.js';

/*
 * The deployment circuit breaker: a revision whose tasks fail to start or fail their health
 * checks turns the deployment FAILED after the documented number of failures, and with rollback
 * the service goes back to the last COMPLETED deployment.
 */

const BREAKER = { enable: true, rollback: true };
const FAILED_REASON = 'ECS deployment circuit breaker: task failed to start.';

describe('the failure threshold', () => {
  it('is half the desired count rounded up, at least 3 and at most 200 (BOUNDED_PERCENT 50 by default)', () => {
    const thresholds = [1, 2, 6, 7, 25, 400, 800].map((desired) => failureThreshold(BREAKER, desired));

    expect(thresholds).toEqual([3, 3, 3, 4, 13, 200, 200]);
  });

  it('follows a thresholdConfiguration: COUNT as given, UNBOUNDED_PERCENT without the bounds', () => {
    const count = failureThreshold({ ...BREAKER, thresholdConfiguration: { type: 'COUNT', value: 1 } }, 10);
    const unbounded = failureThreshold({ ...BREAKER, thresholdConfiguration: { type: 'UNBOUNDED_PERCENT', value: 100 } }, 1000);

    expect([count, unbounded]).toEqual([1, 1000]);
  });
});

/** A steady service with the circuit breaker on, then a deployment of a broken revision 2. */
async function deployBroken(
  behaviour: Parameters<TwinHarness['twin']['setTaskDefinitionBehaviour']>[1],
  options: Partial<EcsTwinOptions> = {},
  breaker: { enable: boolean; rollback: boolean } = BREAKER,
) {
  const harness = startTwin(options);
  await startService(harness, { name: 'chat', desiredCount: 2, deploymentCircuitBreaker: breaker });
  const first = primaryOf(harness, 'chat').id;
  const originals = runningOf(harness.twin, 'chat').map((task) => task.taskArn);
  const atFailure: { snapshot?: TwinSnapshot; described?: Promise<unknown> } = {};
  harness.twin.onChange((change) => {
    if (change.kind !== 'deployment' || change.rolloutState !== 'FAILED') return;
    atFailure.snapshot = harness.twin.snapshot();
    atFailure.described = harness.twin.api.handle('DescribeServices', { cluster: CLUSTER, services: ['chat'] });
  });
  harness.twin.setTaskDefinitionBehaviour(taskDefinition(2), behaviour);
  const broken = harness.twin.deploy(CLUSTER, 'chat', taskDefinition(2));
  return { harness, first, broken, originals, atFailure };
}

describe('a revision whose tasks fail to start', () => {
  it('fails the deployment after 3 failed tasks, then rolls back with a new deployment of the last completed revision', async () => {
    // prepare
    const { harness, first, broken, originals, atFailure } = await deployBroken({ failsToStart: true });

    // act
    await waitFor('the rollback to complete', () => deploymentEvents(harness).filter((event) => event.eventName === 'SERVICE_DEPLOYMENT_COMPLETED').length === 2, 5000);

    // assert
    const events = deploymentEvents(harness);
    const rollback = events.at(-1)?.deploymentId;
    expect(events).toEqual([
      { eventType: 'INFO', eventName: 'SERVICE_DEPLOYMENT_IN_PROGRESS', deploymentId: first, reason: `ECS deployment ${first} in progress.` },
      { eventType: 'INFO', eventName: 'SERVICE_DEPLOYMENT_COMPLETED', deploymentId: first, reason: `ECS deployment ${first} completed.` },
      { eventType: 'INFO', eventName: 'SERVICE_DEPLOYMENT_IN_PROGRESS', deploymentId: broken, reason: `ECS deployment ${broken} in progress.` },
      { eventType: 'ERROR', eventName: 'SERVICE_DEPLOYMENT_FAILED', deploymentId: broken, reason: FAILED_REASON },
      { eventType: 'INFO', eventName: 'SERVICE_DEPLOYMENT_IN_PROGRESS', deploymentId: rollback, reason: `ECS deployment circuit breaker: rolling back to deploymentId ${first}.` },
      { eventType: 'INFO', eventName: 'SERVICE_DEPLOYMENT_COMPLETED', deploymentId: rollback, reason: `ECS deployment ${rollback} completed.` },
    ]);
    expect(rollback).not.toBe(first);
    expect(atFailure.snapshot?.services[0]?.deployments.map((deployment) => [deployment.id, deployment.status, deployment.rolloutState, deployment.failedTasks])).toEqual([
      [broken, 'PRIMARY', 'FAILED', 3],
      [first, 'ACTIVE', 'COMPLETED', 0],
    ]);
    expect(((await atFailure.described) as { services: { deployments: unknown[] }[] }).services[0]?.deployments[0]).toMatchObject({
      id: broken,
      rolloutState: 'FAILED',
      rolloutStateReason: FAILED_REASON,
      failedTasks: 3,
    });
    const failedTasks = tasksOf(harness.twin, 'chat').filter((task) => task.deploymentId === broken);
    expect(failedTasks.filter((task) => task.stopCode === 'TaskFailedToStart').length).toBeGreaterThanOrEqual(3);
    expect(failedTasks.every((task) => task.startedAt === undefined)).toBe(true);
    // The earlier tasks run the same revision, yet the rollback deployment replaces them.
    expect(runningOf(harness.twin, 'chat').map((task) => [task.taskDefinitionArn, task.startedBy])).toEqual([
      [taskDefinition(1), rollback],
      [taskDefinition(1), rollback],
    ]);
    expect(runningOf(harness.twin, 'chat').some((task) => originals.includes(task.taskArn))).toBe(false);
  });

  it("with rollbackMode 'reactivate' makes the last completed deployment PRIMARY again, and its tasks stay", async () => {
    // prepare
    const { harness, first, broken, originals } = await deployBroken({ failsToStart: true }, { rollbackMode: 'reactivate' });

    // act
    await waitFor('the rollback to complete', () => deploymentEvents(harness).filter((event) => event.eventName === 'SERVICE_DEPLOYMENT_COMPLETED').length === 2, 5000);
    await steadyOn(harness, 'chat', first);

    // assert
    expect(deploymentEvents(harness).slice(3)).toEqual([
      { eventType: 'ERROR', eventName: 'SERVICE_DEPLOYMENT_FAILED', deploymentId: broken, reason: FAILED_REASON },
      { eventType: 'INFO', eventName: 'SERVICE_DEPLOYMENT_IN_PROGRESS', deploymentId: first, reason: `ECS deployment circuit breaker: rolling back to deploymentId ${first}.` },
      { eventType: 'INFO', eventName: 'SERVICE_DEPLOYMENT_COMPLETED', deploymentId: first, reason: `ECS deployment ${first} completed.` },
    ]);
    expect(runningOf(harness.twin, 'chat').map((task) => task.taskArn).sort()).toEqual([...originals].sort());
    expect(tasksOf(harness.twin, 'chat').filter((task) => task.deploymentId !== broken && !originals.includes(task.taskArn))).toEqual([]);
  });

  it('without rollback leaves the deployment FAILED: it launches no more tasks and the earlier tasks keep running', async () => {
    // prepare
    const { harness, broken, originals } = await deployBroken({ failsToStart: true }, {}, { enable: true, rollback: false });

    // act
    await waitFor('the deployment to fail', () => primaryOf(harness, 'chat').rolloutState === 'FAILED', 5000);
    const launched = tasksOf(harness.twin, 'chat').length;
    await new Promise((resolve) => setTimeout(resolve, harness.clock.ms(300)));

    // assert
    expect(tasksOf(harness.twin, 'chat')).toHaveLength(launched);
    expect(primaryOf(harness, 'chat')).toMatchObject({ id: broken, status: 'PRIMARY', rolloutState: 'FAILED' });
    expect(runningOf(harness.twin, 'chat').map((task) => task.taskArn).sort()).toEqual([...originals].sort());
    expect(deploymentEvents(harness).map((event) => event.eventName).slice(2)).toEqual(['SERVICE_DEPLOYMENT_IN_PROGRESS', 'SERVICE_DEPLOYMENT_FAILED']);
  });

  it('with the circuit breaker off keeps replacing the failing tasks, counting them in failedTasks', async () => {
    // prepare
    const { harness } = await deployBroken({ failsToStart: true }, {}, { enable: false, rollback: false });

    // act
    await waitFor('4 failed tasks', () => (primaryOf(harness, 'chat').failedTasks ?? 0) >= 4, 5000);

    // assert
    expect(primaryOf(harness, 'chat').rolloutState).toBe('IN_PROGRESS');
    expect((await describeService(harness, 'chat')).deploymentConfiguration).toMatchObject({ deploymentCircuitBreaker: { enable: false, rollback: false } });
  });
});

describe('a revision whose tasks fail their health checks', () => {
  it('fails the deployment once 3 tasks were stopped for failing health checks, and rolls back', async () => {
    // prepare
    const { harness, first, broken } = await deployBroken({ unhealthy: true, unhealthyAfterSeconds: 20 });

    // act
    await waitFor('the rollback to complete', () => deploymentEvents(harness).filter((event) => event.eventName === 'SERVICE_DEPLOYMENT_COMPLETED').length === 2, 5000);

    // assert
    const stoppedForHealth = tasksOf(harness.twin, 'chat').filter((task) => task.deploymentId === broken && task.stoppedReason === 'Task failed container health checks');
    expect(stoppedForHealth.length).toBeGreaterThanOrEqual(3);
    expect(stoppedForHealth.every((task) => task.startedAt !== undefined && task.healthStatus === 'UNHEALTHY')).toBe(true);
    expect(deploymentEvents(harness).map((event) => [event.eventName, event.reason]).slice(3, 5)).toEqual([
      ['SERVICE_DEPLOYMENT_FAILED', FAILED_REASON],
      ['SERVICE_DEPLOYMENT_IN_PROGRESS', `ECS deployment circuit breaker: rolling back to deploymentId ${first}.`],
    ]);
  });
});

describe('the events of a failed deployment', () => {
  it("parse with the product's own parsers: deployment events with exactly AWS's detail fields, the failed tasks' state changes", async () => {
    // prepare
    const { harness, broken } = await deployBroken({ failsToStart: true });

    // act
    await waitFor('the rollback to complete', () => deploymentEvents(harness).filter((event) => event.eventName === 'SERVICE_DEPLOYMENT_COMPLETED').length === 2, 5000);

    // assert
    const deployments = harness.events.filter((event) => event['detail-type'] === 'ECS Deployment State Change');
    for (const event of deployments) {
      expect(Object.keys(event.detail).sort()).toEqual(['deploymentId', 'eventName', 'eventType', 'reason', 'updatedAt']);
      expect(parseDeploymentEvent(event)).toMatchObject({ ok: true, event: { deploymentId: event.detail.deploymentId, clusterArn: expect.stringContaining(`cluster/${CLUSTER}`) } });
    }
    expect(parseDeploymentEvent(deployments.find((event) => event.detail.eventName === 'SERVICE_DEPLOYMENT_FAILED'))).toMatchObject({
      ok: true,
      event: { eventName: 'SERVICE_DEPLOYMENT_FAILED', deploymentId: broken, reason: FAILED_REASON },
    });
    const failedStart = harness.events.find((event) => event['detail-type'] === 'ECS Task State Change' && event.detail.stopCode === 'TaskFailedToStart');
    expect(parseTaskStateChange(failedStart)).toMatchObject({
      ok: true,
      event: { detail: { desiredStatus: 'STOPPED', stopCode: 'TaskFailedToStart', stoppedReason: expect.stringMatching(/^CannotPullContainerError/) } },
    });
    expect(failedStart?.detail.startedBy).toBe(broken);
  });
});
