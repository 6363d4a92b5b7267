import { describe, expect, it } from 'vitest';
import type { TwinSnapshot } from '../../../twin/index.js';
import { CLUSTER, runningOf, startService, startTwin, taskDefinition, tasksOf, waitFor } from './support.js';

type Service = TwinSnapshot['services'][number];

function serviceOf(snapshot: TwinSnapshot, name: string): Service {
  const service = snapshot.services.find((candidate) => candidate.serviceName === name);
  if (service === undefined) throw new Error(`no service ${name}`);
  return service;
}

/** Watches every change and records the extremes the service went through. */
function watchBounds(harness: ReturnType<typeof startTwin>, name: string): { maxInService: number; minRunning: number } {
  const bounds = { maxInService: 0, minRunning: Number.POSITIVE_INFINITY };
  harness.twin.onChange(() => {
    const tasks = tasksOf(harness.twin, name).filter((task) => task.desiredStatus === 'RUNNING' && task.lastStatus !== 'STOPPED');
    bounds.maxInService = Math.max(bounds.maxInService, tasks.length);
    bounds.minRunning = Math.min(bounds.minRunning, tasks.filter((task) => task.lastStatus === 'RUNNING').length);
  });
  return bounds;
}

function deploymentEvents(harness: ReturnType<typeof startTwin>): { eventName: unknown; deploymentId: unknown }[] {
  return harness.events
    .filter((event) => event['detail-type'] === 'ECS Deployment State Change')
    .map((event) => ({ eventName: event.detail.eventName, deploymentId: event.detail.deploymentId }));
}

describe('rolling deployment', () => {
  it('starts new tasks within maximumPercent, stops old ones only while minimumHealthyPercent holds, then completes', async () => {
    const harness = startTwin();
    await startService(harness, { name: 'chat', desiredCount: 2 });
    const bounds = watchBounds(harness, 'chat');

    const deploymentId = harness.twin.deploy(CLUSTER, 'chat', taskDefinition(2));
    await waitFor('the deployment to complete', () => serviceOf(harness.twin.snapshot(), 'chat').deployments[0]?.rolloutState === 'COMPLETED');

    const service = serviceOf(harness.twin.snapshot(), 'chat');
    expect(bounds.maxInService).toBe(4);
    expect(bounds.minRunning).toBe(2);
    expect(service.deployments.map((deployment) => [deployment.id, deployment.status, deployment.taskDefinitionArn])).toEqual([
      [deploymentId, 'PRIMARY', taskDefinition(2)],
    ]);
    expect(runningOf(harness.twin, 'chat').map((task) => task.taskDefinitionArn)).toEqual([taskDefinition(2), taskDefinition(2)]);
    expect(deploymentEvents(harness).filter((event) => event.deploymentId === deploymentId)).toEqual([
      { eventName: 'SERVICE_DEPLOYMENT_IN_PROGRESS', deploymentId },
      { eventName: 'SERVICE_DEPLOYMENT_COMPLETED', deploymentId },
    ]);
  });

  it('with 50/100 stops half the old tasks first and never runs more than the desired count', async () => {
    const harness = startTwin();
    await startService(harness, { name: 'chat', desiredCount: 4, minimumHealthyPercent: 50, maximumPercent: 100 });
    const bounds = watchBounds(harness, 'chat');

    harness.twin.deploy(CLUSTER, 'chat', taskDefinition(2));
    const stoppedAtOnce = tasksOf(harness.twin, 'chat').filter((task) => task.desiredStatus === 'STOPPED').length;
    await waitFor('the deployment to complete', () => serviceOf(harness.twin.snapshot(), 'chat').deployments[0]?.rolloutState === 'COMPLETED');

    expect(stoppedAtOnce).toBe(2);
    expect(bounds.maxInService).toBe(4);
    expect(bounds.minRunning).toBe(2);
  });

  it('waits for a protected old task, and finishes once its protection is released', async () => {
    const harness = startTwin();
    await startService(harness, { name: 'chat', desiredCount: 2 });
    const [held, free] = runningOf(harness.twin, 'chat');
    await harness.twin.api.handle('UpdateTaskProtection', { cluster: CLUSTER, tasks: [held?.taskArn], protectionEnabled: true });

    const deploymentId = harness.twin.deploy(CLUSTER, 'chat', taskDefinition(2));
    await waitFor('the free old task to stop', () => tasksOf(harness.twin, 'chat').find((task) => task.taskArn === free?.taskArn)?.lastStatus === 'STOPPED');
    await new Promise((resolve) => setTimeout(resolve, harness.clock.ms(10)));

    const during = serviceOf(harness.twin.snapshot(), 'chat');
    expect(tasksOf(harness.twin, 'chat').find((task) => task.taskArn === held?.taskArn)).toMatchObject({ lastStatus: 'RUNNING', desiredStatus: 'RUNNING' });
    expect(during.deployments.map((deployment) => [deployment.status, deployment.rolloutState])).toEqual([
      ['PRIMARY', 'IN_PROGRESS'],
      ['ACTIVE', 'COMPLETED'],
    ]);
    expect(deploymentEvents(harness).filter((event) => event.deploymentId === deploymentId).map((event) => event.eventName)).toEqual(['SERVICE_DEPLOYMENT_IN_PROGRESS']);

    await harness.twin.api.handle('UpdateTaskProtection', { cluster: CLUSTER, tasks: [held?.taskArn], protectionEnabled: false });
    await waitFor('the deployment to complete', () => serviceOf(harness.twin.snapshot(), 'chat').deployments[0]?.rolloutState === 'COMPLETED');

    const stoppedHeld = tasksOf(harness.twin, 'chat').find((task) => task.taskArn === held?.taskArn);
    expect(stoppedHeld).toMatchObject({ lastStatus: 'STOPPED', stopCode: 'ServiceSchedulerInitiated', stoppedReason: `Scaling activity initiated by (deployment ${deploymentId})` });
    expect(serviceOf(harness.twin.snapshot(), 'chat').deployments).toHaveLength(1);
  });

  it('stops a protected old task once its protection expires on the clock', async () => {
    const harness = startTwin();
    await startService(harness, { name: 'chat', desiredCount: 1 });
    const [held] = runningOf(harness.twin, 'chat');
    const response = (await harness.twin.api.handle('UpdateTaskProtection', {
      cluster: CLUSTER,
      tasks: [held?.taskArn],
      protectionEnabled: true,
      expiresInMinutes: 1,
    })) as { protectedTasks: { expirationDate: number }[] };
    const expiresAtMs = (response.protectedTasks[0]?.expirationDate ?? 0) * 1000;

    harness.twin.deploy(CLUSTER, 'chat', taskDefinition(2));
    await waitFor('the deployment to complete', () => serviceOf(harness.twin.snapshot(), 'chat').deployments[0]?.rolloutState === 'COMPLETED');

    const stopped = tasksOf(harness.twin, 'chat').find((task) => task.taskArn === held?.taskArn);
    expect(stopped?.stoppingAt?.getTime()).toBeGreaterThanOrEqual(expiresAtMs);
  });
});

describe('scale-in', () => {
  it('stops only unprotected tasks, leaving the service above its desired count when protection holds more', async () => {
    const harness = startTwin();
    await startService(harness, { name: 'chat', desiredCount: 3 });
    const tasks = runningOf(harness.twin, 'chat');
    const protectedArns = tasks.slice(0, 2).map((task) => task.taskArn);
    await harness.twin.api.handle('UpdateTaskProtection', { cluster: CLUSTER, tasks: protectedArns, protectionEnabled: true });

    harness.twin.setDesiredCount(CLUSTER, 'chat', 1);
    await waitFor('the unprotected task to stop', () => tasksOf(harness.twin, 'chat').filter((task) => task.lastStatus === 'STOPPED').length === 1);

    const after = tasksOf(harness.twin, 'chat');
    expect(after.filter((task) => task.lastStatus === 'RUNNING').map((task) => task.taskArn).sort()).toEqual([...protectedArns].sort());
    expect(after.find((task) => task.lastStatus === 'STOPPED')?.stopCode).toBe('ServiceSchedulerInitiated');
    const described = (await harness.twin.api.handle('DescribeServices', { cluster: CLUSTER, services: ['chat'] })) as {
      services: { desiredCount: number; runningCount: number; deployments: unknown[] }[];
    };
    expect(described.services[0]).toMatchObject({ desiredCount: 1, runningCount: 2 });
    expect(described.services[0]?.deployments).toHaveLength(1);
  });

  it('is no deployment: a desiredCount change emits no deployment event', async () => {
    const harness = startTwin();
    await startService(harness, { name: 'chat', desiredCount: 2 });
    const before = deploymentEvents(harness).length;

    await harness.twin.api.handle('UpdateService', { cluster: CLUSTER, service: 'chat', desiredCount: 1 });
    await waitFor('one task left', () => runningOf(harness.twin, 'chat').length === 1);

    expect(deploymentEvents(harness)).toHaveLength(before);
  });
});
