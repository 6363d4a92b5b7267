import { describe, expect, it } from 'vitest';
import { apiError, CLUSTER, CLUSTER_ARN, runningOf, startService, startTwin, taskDefinition, tasksOf, waitFor } from './support.js';

describe('ECS API errors', () => {
  it('answers an unknown operation with UnknownOperationException (400)', async () => {
    const harness = startTwin();

    const error = await apiError(harness.twin.api.handle('RunTask', {}));

    expect(error).toMatchObject({ name: 'UnknownOperationException', statusCode: 400 });
  });

  it('answers a missing cluster with ClusterNotFoundException, and takes a cluster by name or ARN', async () => {
    const harness = startTwin();
    await startService(harness, { name: 'chat', desiredCount: 1 });

    const missing = await apiError(harness.twin.api.handle('ListTasks', { cluster: 'nowhere' }));
    const otherAccount = await apiError(harness.twin.api.handle('ListTasks', { cluster: 'arn:aws:ecs:us-east-1:111122223333:cluster/sessions' }));
    const byName = (await harness.twin.api.handle('ListTasks', { cluster: CLUSTER })) as { taskArns: string[] };
    const byArn = (await harness.twin.api.handle('ListTasks', { cluster: CLUSTER_ARN })) as { taskArns: string[] };

    expect(missing).toMatchObject({ name: 'ClusterNotFoundException', message: 'Cluster not found.', statusCode: 400 });
    expect(otherAccount.name).toBe('ClusterNotFoundException');
    expect(byName.taskArns).toHaveLength(1);
    expect(byArn).toEqual(byName);
  });

  it('reports an unknown service as MISSING from DescribeServices and as ServiceNotFoundException from UpdateService', async () => {
    const harness = startTwin();

    const described = await harness.twin.api.handle('DescribeServices', { cluster: CLUSTER, services: ['ghost'] });
    const updated = await apiError(harness.twin.api.handle('UpdateService', { cluster: CLUSTER, service: 'ghost', desiredCount: 1 }));

    expect(described).toEqual({ services: [], failures: [{ arn: `arn:aws:ecs:us-east-1:123456789012:service/${CLUSTER}/ghost`, reason: 'MISSING' }] });
    expect(updated).toMatchObject({ name: 'ServiceNotFoundException', message: 'Service not found.' });
  });

  it('refuses StopTask for an unknown task in words the orchestrator recognises as "task gone"', async () => {
    const harness = startTwin();

    const error = await apiError(harness.twin.api.handle('StopTask', { cluster: CLUSTER, task: '0123456789abcdef0123456789abcdef' }));

    expect(error.name).toBe('InvalidParameterException');
    expect(error.message).toMatch(/not (be )?found|does not exist/i);
  });

  it('refuses bad parameters with InvalidParameterException', async () => {
    const harness = startTwin();
    await startService(harness, { name: 'chat', desiredCount: 1 });
    const manyTasks = Array.from({ length: 101 }, (_, index) => `t${index}`);

    const errors = await Promise.all([
      apiError(harness.twin.api.handle('DescribeTasks', { cluster: CLUSTER, tasks: manyTasks })),
      apiError(harness.twin.api.handle('UpdateService', { cluster: CLUSTER, service: 'chat', desiredCount: -1 })),
      apiError(harness.twin.api.handle('ListTasks', { cluster: CLUSTER, maxResults: 101 })),
      apiError(harness.twin.api.handle('ListTasks', { cluster: CLUSTER, nextToken: 'bogus' })),
      apiError(harness.twin.api.handle('DescribeServices', { cluster: CLUSTER, services: 'chat' })),
    ]);

    expect(errors.map((error) => error.name)).toEqual(Array(5).fill('InvalidParameterException'));
  });
});

describe('ECS API reads', () => {
  it('pages ListTasks by maxResults and nextToken, and filters by service, family, startedBy and desired status', async () => {
    const harness = startTwin();
    await startService(harness, { name: 'chat', desiredCount: 5 });
    await startService(harness, { name: 'voice', desiredCount: 1, taskDefinition: taskDefinition(3, 'voice') });
    const [stopped] = runningOf(harness.twin, 'chat');
    await harness.twin.api.handle('StopTask', { cluster: CLUSTER, task: stopped?.taskArn });
    await waitFor('its replacement', () => runningOf(harness.twin, 'chat').length === 5);

    const pages: string[][] = [];
    let nextToken: string | undefined;
    do {
      const page = (await harness.twin.api.handle('ListTasks', { cluster: CLUSTER, serviceName: 'chat', maxResults: 2, nextToken })) as { taskArns: string[]; nextToken?: string };
      pages.push(page.taskArns);
      nextToken = page.nextToken;
    } while (nextToken !== undefined);
    const stoppedList = (await harness.twin.api.handle('ListTasks', { cluster: CLUSTER, desiredStatus: 'STOPPED' })) as { taskArns: string[] };
    const byFamily = (await harness.twin.api.handle('ListTasks', { cluster: CLUSTER, family: 'voice' })) as { taskArns: string[] };
    const primary = runningOf(harness.twin, 'voice')[0];
    const byStartedBy = (await harness.twin.api.handle('ListTasks', { cluster: CLUSTER, startedBy: primary?.startedBy })) as { taskArns: string[] };
    const unknownService = await apiError(harness.twin.api.handle('ListTasks', { cluster: CLUSTER, serviceName: 'ghost' }));

    expect(pages.map((page) => page.length)).toEqual([2, 2, 1]);
    expect(pages.flat().sort()).toEqual(runningOf(harness.twin, 'chat').map((task) => task.taskArn).sort());
    expect(stoppedList.taskArns).toEqual([stopped?.taskArn]);
    expect(byFamily.taskArns).toEqual([primary?.taskArn]);
    expect(byStartedBy.taskArns).toEqual([primary?.taskArn]);
    expect(unknownService.name).toBe('ServiceNotFoundException');
  });

  it('describes tasks the way the orchestrator reads them, with unknown ones as MISSING failures', async () => {
    const harness = startTwin();
    await startService(harness, { name: 'chat', desiredCount: 1 });
    const [task] = runningOf(harness.twin, 'chat');

    const described = (await harness.twin.api.handle('DescribeTasks', { cluster: CLUSTER, tasks: [task?.taskArn, 'ffffffffffffffffffffffffffffffff'] })) as {
      tasks: Record<string, unknown>[];
      failures: unknown[];
    };

    expect(described.tasks[0]).toMatchObject({
      taskArn: task?.taskArn,
      clusterArn: CLUSTER_ARN,
      taskDefinitionArn: taskDefinition(1),
      lastStatus: 'RUNNING',
      desiredStatus: 'RUNNING',
      group: 'service:chat',
      launchType: 'FARGATE',
      version: 3,
      createdAt: expect.any(Number),
      startedAt: expect.any(Number),
    });
    expect(described.failures).toEqual([{ arn: 'ffffffffffffffffffffffffffffffff', reason: 'MISSING' }]);
  });

  it('describes a service with its deployments, counts and configuration, and UpdateService deploys a new revision', async () => {
    const harness = startTwin();
    const serviceArn = await startService(harness, { name: 'chat', desiredCount: 2, capacityProvider: 'FARGATE_SPOT', minimumHealthyPercent: 50 });

    const updated = (await harness.twin.api.handle('UpdateService', { cluster: CLUSTER_ARN, service: serviceArn, taskDefinition: 'chat:2', desiredCount: 3 })) as {
      service: { taskDefinition: string; desiredCount: number; deployments: { status: string; taskDefinition: string; rolloutState: string }[] };
    };
    const described = (await harness.twin.api.handle('DescribeServices', { cluster: CLUSTER, services: [serviceArn] })) as { services: Record<string, unknown>[] };

    expect(updated.service).toMatchObject({ taskDefinition: taskDefinition(2), desiredCount: 3 });
    expect(updated.service.deployments.map((deployment) => [deployment.status, deployment.taskDefinition, deployment.rolloutState])).toEqual([
      ['PRIMARY', taskDefinition(2), 'IN_PROGRESS'],
      ['ACTIVE', taskDefinition(1), 'COMPLETED'],
    ]);
    expect(described.services[0]).toMatchObject({
      serviceArn,
      serviceName: 'chat',
      clusterArn: CLUSTER_ARN,
      status: 'ACTIVE',
      desiredCount: 3,
      capacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT', weight: 1, base: 0 }],
      deploymentConfiguration: { minimumHealthyPercent: 50, maximumPercent: 200 },
      runningCount: expect.any(Number),
      pendingCount: expect.any(Number),
    });
    expect(tasksOf(harness.twin, 'chat').every((task) => task.capacityProviderName === 'FARGATE_SPOT')).toBe(true);
  });
});

describe('throttling', () => {
  it('throttles an operation once its bucket is empty, counts it, and recovers as tokens refill', async () => {
    const harness = startTwin({ throttling: { ratePerSecond: 20, burst: 2 } });
    const call = () => harness.twin.api.handle('ListTasks', { cluster: CLUSTER });

    await call();
    await call();
    const throttled = await apiError(call());
    const otherOperation = await harness.twin.api.handle('ListServices', { cluster: CLUSTER });
    await new Promise((resolve) => setTimeout(resolve, 120));
    const recovered = await call();

    expect(throttled).toMatchObject({ name: 'ThrottlingException', message: 'Rate exceeded', statusCode: 400 });
    expect(otherOperation).toEqual({ serviceArns: [] });
    expect(recovered).toEqual({ taskArns: [] });
    expect(harness.twin.snapshot()).toMatchObject({ apiCalls: { ListTasks: 4, ListServices: 1 }, throttled: { ListTasks: 1 } });
  });

  it('injects ServerException (500) at the configured error rate and stops when throttling is turned off', async () => {
    const harness = startTwin({ throttling: { ratePerSecond: 1000, burst: 1000, errorRate: 1 } });

    const failed = await apiError(harness.twin.api.handle('ListServices', { cluster: CLUSTER }));
    harness.twin.setThrottling(undefined);
    const passed = await harness.twin.api.handle('ListServices', { cluster: CLUSTER });

    expect(failed).toMatchObject({ name: 'ServerException', statusCode: 500 });
    expect(passed).toEqual({ serviceArns: [] });
    expect(harness.twin.snapshot().serverErrors).toEqual({ ListServices: 1 });
  });
});
