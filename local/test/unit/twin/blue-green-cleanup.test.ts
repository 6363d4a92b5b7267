import { describe, expect, it } from 'vitest';
import { apiError, CLUSTER, runningOf, taskDefinition, tasksOf, waitFor } from './support.js';
import { lambdaHook, primaryOf, startStrategyService, startTwin } from './strategy-support.js';

describe('BLUE_GREEN clean-up and task scale-in protection', () => {
  it('by default stops a protected blue task at CLEAN_UP all the same (protection ignored)', async () => {
    const harness = startTwin();
    await startStrategyService(harness, 'chat', 2, { strategy: 'BLUE_GREEN', bakeTimeInMinutes: 0 });
    const [held] = runningOf(harness.twin, 'chat');
    await harness.twin.api.handle('UpdateTaskProtection', { cluster: CLUSTER, tasks: [held?.taskArn], protectionEnabled: true });

    const greenId = harness.twin.deploy(CLUSTER, 'chat', taskDefinition(2));
    await waitFor('the deployment to complete', () => primaryOf(harness, 'chat')?.id === greenId && primaryOf(harness, 'chat')?.rolloutState === 'COMPLETED', 5000);

    expect(tasksOf(harness.twin, 'chat').find((task) => task.taskArn === held?.taskArn)).toMatchObject({ lastStatus: 'STOPPED', stopCode: 'ServiceSchedulerInitiated' });
    expect(harness.runtime.sigterms.some((entry) => entry.task.taskArn === held?.taskArn)).toBe(true);
  });

  it('with blueGreenHonoursProtection keeps the protected blue task through CLEAN_UP until protection is released', async () => {
    const harness = startTwin({ blueGreenHonoursProtection: true });
    await startStrategyService(harness, 'chat', 2, { strategy: 'BLUE_GREEN', bakeTimeInMinutes: 0 });
    const [held, free] = runningOf(harness.twin, 'chat');
    await harness.twin.api.handle('UpdateTaskProtection', { cluster: CLUSTER, tasks: [held?.taskArn], protectionEnabled: true });

    const greenId = harness.twin.deploy(CLUSTER, 'chat', taskDefinition(2));
    await waitFor('the unprotected blue task to stop', () => tasksOf(harness.twin, 'chat').find((task) => task.taskArn === free?.taskArn)?.lastStatus === 'STOPPED', 5000);
    await new Promise((resolve) => setTimeout(resolve, harness.clock.ms(30)));

    expect(harness.twin.serviceDeployment(CLUSTER, 'chat')).toMatchObject({ status: 'IN_PROGRESS', lifecycleStage: 'CLEAN_UP' });
    expect(tasksOf(harness.twin, 'chat').find((task) => task.taskArn === held?.taskArn)).toMatchObject({ lastStatus: 'RUNNING', desiredStatus: 'RUNNING' });
    expect(harness.twin.trafficTarget(held?.taskArn ?? '').weight).toBe(0);

    await harness.twin.api.handle('UpdateTaskProtection', { cluster: CLUSTER, tasks: [held?.taskArn], protectionEnabled: false });
    await waitFor('the deployment to complete', () => primaryOf(harness, 'chat')?.id === greenId && primaryOf(harness, 'chat')?.rolloutState === 'COMPLETED', 5000);
    expect(tasksOf(harness.twin, 'chat').find((task) => task.taskArn === held?.taskArn)?.lastStatus).toBe('STOPPED');
  });
});

describe('strategy configuration', () => {
  it('is refused as ECS refuses it: BLUE_GREEN without bakeTimeInMinutes, a pause hook at PRODUCTION_TRAFFIC_SHIFT, a strategy with another controller', async () => {
    const harness = startTwin();
    const create = (name: string, extra: Record<string, unknown>) =>
      harness.twin.api.handle('CreateService', { cluster: CLUSTER, serviceName: name, desiredCount: 1, taskDefinition: taskDefinition(1), ...extra });

    expect(await apiError(create('a', { deploymentConfiguration: { strategy: 'BLUE_GREEN' } }))).toMatchObject({ name: 'InvalidParameterException' });
    expect(
      await apiError(create('b', { deploymentConfiguration: { strategy: 'BLUE_GREEN', bakeTimeInMinutes: 1, lifecycleHooks: [{ targetType: 'PAUSE', lifecycleStages: ['PRODUCTION_TRAFFIC_SHIFT'] }] } })),
    ).toMatchObject({ name: 'InvalidParameterException' });
    expect(await apiError(create('c', { deploymentController: { type: 'EXTERNAL' }, deploymentConfiguration: { strategy: 'LINEAR' } }))).toMatchObject({
      name: 'InvalidParameterException',
    });
    expect(await apiError(create('d', { deploymentConfiguration: { strategy: 'LINEAR', linearConfiguration: { stepPercent: 2 } } }))).toMatchObject({ name: 'InvalidParameterException' });
    expect(harness.twin.snapshot().services).toEqual([]);
  });

  it('is reported by DescribeServices with the controller, and a Lambda hook without invokeHook rolls the first deployment back as failed', async () => {
    const harness = startTwin();
    await harness.twin.api.handle('CreateService', {
      cluster: CLUSTER,
      serviceName: 'chat',
      desiredCount: 1,
      taskDefinition: 'chat:1',
      deploymentConfiguration: { strategy: 'BLUE_GREEN', bakeTimeInMinutes: 5, lifecycleHooks: [lambdaHook(['PRE_SCALE_UP'])] },
    });
    await waitFor('the first deployment to fail', () => primaryOf(harness, 'chat')?.rolloutState === 'FAILED', 5000);

    const described = (await harness.twin.api.handle('DescribeServices', { cluster: CLUSTER, services: ['chat'] })) as { services: Record<string, unknown>[] };
    expect(described.services[0]).toMatchObject({
      deploymentController: { type: 'ECS' },
      deploymentConfiguration: { strategy: 'BLUE_GREEN', bakeTimeInMinutes: 5, lifecycleHooks: [{ targetType: 'AWS_LAMBDA', lifecycleStages: ['PRE_SCALE_UP'], timeoutConfiguration: { timeoutInMinutes: 1440, action: 'ROLLBACK' } }] },
    });
    expect(harness.errors.some((error) => error.includes('invokeHook'))).toBe(true);
    expect(harness.events.some((event) => event.detail.eventName === 'SERVICE_DEPLOYMENT_FAILED')).toBe(true);
  });
});
