import { describe, expect, it } from 'vitest';
import { CLUSTER, runningOf, startService, startTwin, taskDefinition, tasksOf, waitFor } from './support.js';
import { deploymentEvents, describeService, primaryOf, steadyOn } from './rolling-support.js';

/*
 * Deployments that keep the task definition: UpdateService forceNewDeployment, or a changed
 * revision setting (networkConfiguration, ...). ECS replaces the tasks of the earlier deployment
 * although they run the same revision; every task carries its deployment's id in startedBy.
 */

describe('a forced deployment of the same task definition', () => {
  it('replaces every task of the earlier deployment, and each new task is started by the new deployment', async () => {
    // prepare
    const harness = startTwin();
    await startService(harness, { name: 'chat', desiredCount: 2 });
    const first = primaryOf(harness, 'chat').id;
    const originals = runningOf(harness.twin, 'chat');

    // act
    const forced = harness.twin.updateServiceConfiguration(CLUSTER, 'chat', { forceNewDeployment: true });
    await steadyOn(harness, 'chat', forced);

    // assert
    expect(forced).toMatch(/^ecs-svc\/\d+$/);
    expect(forced).not.toBe(first);
    expect(originals.every((task) => task.startedBy === first && task.deploymentId === first)).toBe(true);
    const after = tasksOf(harness.twin, 'chat');
    for (const original of originals) {
      expect(after.find((task) => task.taskArn === original.taskArn)).toMatchObject({
        lastStatus: 'STOPPED',
        stopCode: 'ServiceSchedulerInitiated',
        stoppedReason: `Scaling activity initiated by (deployment ${forced ?? ''})`,
      });
    }
    const replacements = runningOf(harness.twin, 'chat');
    expect(replacements.map((task) => [task.taskDefinitionArn, task.startedBy, task.deploymentId])).toEqual([
      [taskDefinition(1), forced, forced],
      [taskDefinition(1), forced, forced],
    ]);
    expect(deploymentEvents(harness).filter((event) => event.deploymentId === forced).map((event) => event.eventName)).toEqual([
      'SERVICE_DEPLOYMENT_IN_PROGRESS',
      'SERVICE_DEPLOYMENT_COMPLETED',
    ]);
  });

  it('through UpdateService: DescribeTasks reports the new deployment id in startedBy and ListTasks finds the tasks by it', async () => {
    // prepare
    const harness = startTwin();
    await startService(harness, { name: 'chat', desiredCount: 1 });

    // act
    const response = (await harness.twin.api.handle('UpdateService', { cluster: CLUSTER, service: 'chat', forceNewDeployment: true })) as {
      service: { deployments: { id: string; status: string; taskDefinition: string }[] };
    };
    const forced = response.service.deployments[0]?.id ?? '';
    await steadyOn(harness, 'chat', forced);
    const listed = (await harness.twin.api.handle('ListTasks', { cluster: CLUSTER, startedBy: forced })) as { taskArns: string[] };
    const described = (await harness.twin.api.handle('DescribeTasks', { cluster: CLUSTER, tasks: listed.taskArns })) as { tasks: Record<string, unknown>[] };

    // assert
    expect(response.service.deployments.map((deployment) => [deployment.status, deployment.taskDefinition])).toEqual([
      ['PRIMARY', taskDefinition(1)],
      ['ACTIVE', taskDefinition(1)],
    ]);
    expect(described.tasks).toEqual([expect.objectContaining({ startedBy: forced, taskDefinitionArn: taskDefinition(1), lastStatus: 'RUNNING', healthStatus: 'HEALTHY' })]);
  });
});

describe('a configuration-only change', () => {
  it('starts a deployment for a new networkConfiguration, which the new deployment reports, and replaces the tasks', async () => {
    // prepare
    const harness = startTwin();
    await startService(harness, { name: 'chat', desiredCount: 2, networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-1'] } } });
    const originals = runningOf(harness.twin, 'chat').map((task) => task.taskArn);
    const network = { awsvpcConfiguration: { subnets: ['subnet-2'], securityGroups: ['sg-1'], assignPublicIp: 'DISABLED' } };

    // act
    await harness.twin.api.handle('UpdateService', { cluster: CLUSTER, service: 'chat', networkConfiguration: network });
    const during = await describeService(harness, 'chat');
    const deploymentId = primaryOf(harness, 'chat').id;
    await steadyOn(harness, 'chat', deploymentId);

    // assert
    expect(during.deployments.map((deployment) => [deployment.status, deployment.networkConfiguration])).toEqual([
      ['PRIMARY', network],
      ['ACTIVE', { awsvpcConfiguration: { subnets: ['subnet-1'] } }],
    ]);
    expect((await describeService(harness, 'chat')).networkConfiguration).toEqual(network);
    expect(runningOf(harness.twin, 'chat').some((task) => originals.includes(task.taskArn))).toBe(false);
    expect(runningOf(harness.twin, 'chat').every((task) => task.taskDefinitionArn === taskDefinition(1) && task.startedBy === deploymentId)).toBe(true);
  });

  it('starts a deployment for platformVersion, loadBalancers and serviceConnectConfiguration, each documented to trigger one', async () => {
    // prepare
    const harness = startTwin();
    await startService(harness, { name: 'chat', desiredCount: 1 });
    const changes = [
      { platformVersion: '1.4.0' },
      { loadBalancers: [{ targetGroupArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/chat/1', containerName: 'app', containerPort: 8080 }] },
      { serviceConnectConfiguration: { enabled: true, namespace: 'chat' } },
    ];

    // act
    const started: (string | undefined)[] = [];
    for (const change of changes) {
      started.push(harness.twin.updateServiceConfiguration(CLUSTER, 'chat', change));
      await steadyOn(harness, 'chat', started.at(-1));
    }

    // assert
    expect(new Set(started).size).toBe(3);
    expect(started.every((id) => id !== undefined)).toBe(true);
    expect((await describeService(harness, 'chat')).deployments[0]).toMatchObject({ platformVersion: '1.4.0', serviceConnectConfiguration: { enabled: true, namespace: 'chat' } });
  });

  it('changes the capacity provider, the circuit breaker and the grace period without a deployment, as AWS documents', async () => {
    // prepare
    const harness = startTwin();
    await startService(harness, { name: 'chat', desiredCount: 1 });
    const eventsBefore = deploymentEvents(harness).length;

    // act
    await harness.twin.api.handle('UpdateService', {
      cluster: CLUSTER,
      service: 'chat',
      capacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }],
      healthCheckGracePeriodSeconds: 120,
      deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: true } },
    });
    harness.twin.setDesiredCount(CLUSTER, 'chat', 2);
    await waitFor('a second task', () => runningOf(harness.twin, 'chat').length === 2);

    // assert
    expect(deploymentEvents(harness)).toHaveLength(eventsBefore);
    const described = await describeService(harness, 'chat');
    expect(described).toMatchObject({
      healthCheckGracePeriodSeconds: 120,
      capacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT', weight: 1, base: 0 }],
      deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: true }, maximumPercent: 200, minimumHealthyPercent: 100 },
      deploymentController: { type: 'ECS' },
    });
    expect(runningOf(harness.twin, 'chat').map((task) => task.capacityProviderName ?? 'FARGATE').sort()).toEqual(['FARGATE', 'FARGATE_SPOT']);
  });
});
