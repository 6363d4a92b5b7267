import { describe, expect, it } from 'vitest';
import { CLUSTER, runningOf, taskDefinition, tasksOf, waitFor } from './support.js';
import { deploymentEvents, HOOK_ARN, lambdaHook, primaryOf, recordingHook, revisionArn, startStrategyService, startTwin, tasksOfDeployment } from './strategy-support.js';

describe('BLUE_GREEN deployment', () => {
  it('waits for a hook that answers IN_PROGRESS twice, passing its hookDetails back, then shifts all production traffic, bakes and cleans up blue', async () => {
    const hook = recordingHook((call) => {
      const attempt = Number(call.payload.hookDetails?.attempt ?? 0);
      return attempt < 2 ? { hookStatus: 'IN_PROGRESS', callBackDelay: 10, hookDetails: { attempt: attempt + 1 } } : { hookStatus: 'SUCCEEDED' };
    });
    const harness = startTwin({ invokeHook: hook.invokeHook });
    await startStrategyService(harness, 'chat', 2, {
      strategy: 'BLUE_GREEN',
      bakeTimeInMinutes: 1,
      lifecycleHooks: [lambdaHook(['POST_TEST_TRAFFIC_SHIFT'], { hookDetails: { bucket: 'approvals' } }), lambdaHook(['PRODUCTION_TRAFFIC_SHIFT'])],
    });
    const blue = runningOf(harness.twin, 'chat');
    hook.calls.length = 0;

    const greenId = harness.twin.deploy(CLUSTER, 'chat', taskDefinition(2));
    await waitFor('the deployment to complete', () => primaryOf(harness, 'chat')?.id === greenId && primaryOf(harness, 'chat')?.rolloutState === 'COMPLETED', 5000);

    const approvals = hook.calls.filter((call) => call.payload.lifecycleStage === 'POST_TEST_TRAFFIC_SHIFT');
    expect(approvals.map((call) => call.payload.hookDetails)).toEqual([{ bucket: 'approvals' }, { bucket: 'approvals', attempt: 1 }, { bucket: 'approvals', attempt: 2 }]);
    expect(new Set(approvals.map((call) => call.payload.executionId)).size).toBe(1);
    expect((approvals[1]?.at ?? 0) - (approvals[0]?.at ?? 0)).toBeGreaterThanOrEqual(harness.clock.ms(10) - 2);
    expect(approvals[0]?.payload).toMatchObject({
      resourceArn: expect.stringMatching(/^arn:aws:ecs:us-east-1:123456789012:service-deployment\/sessions\/chat\/[A-Za-z0-9]{21}$/),
      executionDetails: {
        serviceArn: 'arn:aws:ecs:us-east-1:123456789012:service/sessions/chat',
        targetServiceRevisionArn: revisionArn('chat', greenId),
        testTrafficWeights: {},
        productionTrafficWeights: {},
      },
    });
    const [shift] = hook.calls.filter((call) => call.payload.lifecycleStage === 'PRODUCTION_TRAFFIC_SHIFT');
    const blueId = blue[0]?.startedBy ?? '';
    expect(shift?.payload.executionDetails.productionTrafficWeights).toEqual({ [revisionArn('chat', greenId)]: 100, [revisionArn('chat', blueId)]: 0 });
    expect(hook.calls.indexOf(shift as (typeof hook.calls)[number])).toBeGreaterThan(hook.calls.indexOf(approvals[2] as (typeof hook.calls)[number]));

    const green = tasksOfDeployment(harness, 'chat', greenId);
    expect(green.map((task) => [task.lastStatus, task.taskDefinitionArn])).toEqual([
      ['RUNNING', taskDefinition(2)],
      ['RUNNING', taskDefinition(2)],
    ]);
    const blueStops = harness.runtime.sigterms.filter((entry) => blue.some((task) => task.taskArn === entry.task.taskArn));
    expect(blueStops).toHaveLength(2);
    // Blue keeps running through the bake time after the production shift, then gets SIGTERM.
    for (const stop of blueStops) expect(stop.at - (shift?.at ?? 0)).toBeGreaterThanOrEqual(harness.clock.ms(60) - 5);
    expect(tasksOf(harness.twin, 'chat').filter((task) => blue.some((old) => old.taskArn === task.taskArn)).map((task) => task.stopCode)).toEqual([
      'ServiceSchedulerInitiated',
      'ServiceSchedulerInitiated',
    ]);
    expect(harness.twin.snapshot().services[0]?.deployments.map((deployment) => deployment.id)).toEqual([greenId]);
    expect(deploymentEvents(harness.events, greenId).map((event) => event.eventName)).toEqual(['SERVICE_DEPLOYMENT_IN_PROGRESS', 'SERVICE_DEPLOYMENT_COMPLETED']);
    expect(hook.calls.every((call) => call.functionArn === HOOK_ARN)).toBe(true);
  });

  it('rolls back when a hook answers FAILED: blue keeps production, TEST_TRAFFIC_SHIFT hooks run again, green is stopped', async () => {
    let fail = false;
    const hook = recordingHook((call) => (fail && call.payload.lifecycleStage === 'POST_TEST_TRAFFIC_SHIFT' ? { hookStatus: 'FAILED' } : undefined));
    const harness = startTwin({ invokeHook: hook.invokeHook });
    const serviceArn = await startStrategyService(harness, 'chat', 2, {
      strategy: 'BLUE_GREEN',
      bakeTimeInMinutes: 1,
      lifecycleHooks: [lambdaHook(['TEST_TRAFFIC_SHIFT', 'POST_TEST_TRAFFIC_SHIFT', 'PRODUCTION_TRAFFIC_SHIFT'])],
    });
    const blue = runningOf(harness.twin, 'chat');
    const blueId = blue[0]?.startedBy ?? '';
    hook.calls.length = 0;
    fail = true;

    const greenId = harness.twin.deploy(CLUSTER, 'chat', taskDefinition(2));
    await waitFor('the rollback to complete', () => primaryOf(harness, 'chat')?.id === blueId && primaryOf(harness, 'chat')?.rolloutState === 'COMPLETED', 5000);

    expect(hook.calls.map((call) => [call.payload.lifecycleStage, call.payload.executionDetails.testTrafficWeights])).toEqual([
      ['TEST_TRAFFIC_SHIFT', { [revisionArn('chat', greenId)]: 100, [revisionArn('chat', blueId)]: 0 }],
      ['POST_TEST_TRAFFIC_SHIFT', {}],
      // The rollback: test traffic back to blue; production never moved, so no PRODUCTION_TRAFFIC_SHIFT hook.
      ['TEST_TRAFFIC_SHIFT', { [revisionArn('chat', greenId)]: 0, [revisionArn('chat', blueId)]: 100 }],
    ]);
    expect(tasksOfDeployment(harness, 'chat', greenId).map((task) => [task.lastStatus, task.stopCode])).toEqual([
      ['STOPPED', 'ServiceSchedulerInitiated'],
      ['STOPPED', 'ServiceSchedulerInitiated'],
    ]);
    expect(runningOf(harness.twin, 'chat').map((task) => task.taskArn)).toEqual(blue.map((task) => task.taskArn));
    expect(blue.every((task) => harness.twin.trafficTarget(task.taskArn).weight === 100)).toBe(true);
    expect(deploymentEvents(harness.events).slice(-4)).toEqual([
      { eventName: 'SERVICE_DEPLOYMENT_IN_PROGRESS', eventType: 'INFO', deploymentId: greenId, reason: `ECS deployment ${greenId} in progress.` },
      { eventName: 'SERVICE_DEPLOYMENT_FAILED', eventType: 'ERROR', deploymentId: greenId, reason: expect.stringContaining(`lifecycle hook ${HOOK_ARN} returned hookStatus FAILED at POST_TEST_TRAFFIC_SHIFT`) },
      { eventName: 'SERVICE_DEPLOYMENT_IN_PROGRESS', eventType: 'INFO', deploymentId: blueId, reason: `ECS deployment ${greenId}: rolling back to deploymentId ${blueId}.` },
      { eventName: 'SERVICE_DEPLOYMENT_COMPLETED', eventType: 'INFO', deploymentId: blueId, reason: `ECS deployment ${blueId} completed.` },
    ]);
    const listed = (await harness.twin.api.handle('ListServiceDeployments', { cluster: CLUSTER, service: 'chat' })) as { serviceDeployments: { serviceDeploymentArn: string; status: string }[] };
    const [latest] = listed.serviceDeployments;
    const described = (await harness.twin.api.handle('DescribeServiceDeployments', { serviceDeploymentArns: [latest?.serviceDeploymentArn] })) as {
      serviceDeployments: Record<string, unknown>[];
    };
    expect(described.serviceDeployments[0]).toMatchObject({
      serviceArn,
      status: 'ROLLBACK_SUCCESSFUL',
      targetServiceRevision: { arn: revisionArn('chat', greenId) },
      sourceServiceRevisions: [{ arn: revisionArn('chat', blueId) }],
      rollback: { reason: expect.stringContaining('FAILED'), serviceRevisionArn: revisionArn('chat', blueId) },
    });
  });

  it('rolls back during bake time on StopServiceDeployment: production traffic returns to blue and blue is never stopped', async () => {
    const hook = recordingHook();
    const harness = startTwin({ invokeHook: hook.invokeHook });
    await startStrategyService(harness, 'chat', 2, { strategy: 'BLUE_GREEN', bakeTimeInMinutes: 0, lifecycleHooks: [lambdaHook(['PRODUCTION_TRAFFIC_SHIFT'])] });
    const blue = runningOf(harness.twin, 'chat');
    const blueId = blue[0]?.startedBy ?? '';
    hook.calls.length = 0;
    const { greenId, baking } = await deployAndBake(harness);
    const green = tasksOfDeployment(harness, 'chat', greenId);
    expect(green.map((task) => harness.twin.trafficTarget(task.taskArn))).toEqual([
      { group: greenId, weight: 100 },
      { group: greenId, weight: 100 },
    ]);
    expect(blue.map((task) => harness.twin.trafficTarget(task.taskArn).weight)).toEqual([0, 0]);

    await harness.twin.api.handle('StopServiceDeployment', { serviceDeploymentArn: baking.serviceDeploymentArn, stopType: 'ROLLBACK' });
    await waitFor('the rollback to complete', () => primaryOf(harness, 'chat')?.id === blueId && primaryOf(harness, 'chat')?.rolloutState === 'COMPLETED', 5000);

    expect(blue.map((task) => harness.twin.trafficTarget(task.taskArn).weight)).toEqual([100, 100]);
    expect(harness.runtime.sigterms.filter((entry) => blue.some((task) => task.taskArn === entry.task.taskArn))).toEqual([]);
    expect(tasksOfDeployment(harness, 'chat', greenId).every((task) => task.lastStatus === 'STOPPED')).toBe(true);
    expect(hook.calls.map((call) => call.payload.executionDetails.productionTrafficWeights)).toEqual([
      { [revisionArn('chat', greenId)]: 100, [revisionArn('chat', blueId)]: 0 },
      { [revisionArn('chat', greenId)]: 0, [revisionArn('chat', blueId)]: 100 },
    ]);
    await expect(harness.twin.api.handle('StopServiceDeployment', { serviceDeploymentArn: baking.serviceDeploymentArn })).rejects.toMatchObject({ name: 'ConflictException' });
  });

  it.each([
    ['at-once', 'stops green as the rollback starts, while its PRODUCTION_TRAFFIC_SHIFT hook still answers IN_PROGRESS', true],
    ['after-hooks', 'keeps green running until the rollback\'s PRODUCTION_TRAFFIC_SHIFT hook answers SUCCEEDED', false],
  ] as const)('with blueGreenRollbackScalesGreenDown %s, %s', async (order, _what, stoppedWhileHeld) => {
    // The hook holds the rollback (IN_PROGRESS) for its first two rollback invocations.
    let held = 0;
    const hook = recordingHook((call) => {
      const rollingBack = Object.values(call.payload.executionDetails.productionTrafficWeights).includes(100) && call.payload.executionDetails.productionTrafficWeights[call.payload.executionDetails.targetServiceRevisionArn] === 0;
      if (!rollingBack || held >= 2) return undefined;
      held += 1;
      return { hookStatus: 'IN_PROGRESS', callBackDelay: 1 };
    });
    const harness = startTwin({ invokeHook: hook.invokeHook, blueGreenRollbackScalesGreenDown: order });
    await startStrategyService(harness, 'chat', 2, { strategy: 'BLUE_GREEN', bakeTimeInMinutes: 0, lifecycleHooks: [lambdaHook(['PRODUCTION_TRAFFIC_SHIFT'])] });
    const { greenId, baking } = await deployAndBake(harness);

    await harness.twin.api.handle('StopServiceDeployment', { serviceDeploymentArn: baking.serviceDeploymentArn, stopType: 'ROLLBACK' });
    await waitFor('the rollback hook to hold the rollback', () => held === 1 || undefined, 5000);
    const greenWhileHeld = tasksOfDeployment(harness, 'chat', greenId).map((task) => task.desiredStatus);
    await waitFor('the rollback to complete', () => primaryOf(harness, 'chat')?.rolloutState === 'COMPLETED' && primaryOf(harness, 'chat')?.id !== greenId, 5000);

    expect(greenWhileHeld).toEqual(stoppedWhileHeld ? ['STOPPED', 'STOPPED'] : ['RUNNING', 'RUNNING']);
    expect(held).toBe(2);
    expect(tasksOfDeployment(harness, 'chat', greenId).every((task) => task.lastStatus === 'STOPPED')).toBe(true);
  });

  it('pauses at a PAUSE hook until ContinueServiceDeployment, reporting the hook in DescribeServiceDeployments and ECS Hook State Change events', async () => {
    const harness = startTwin();
    await startStrategyService(harness, 'chat', 1, { strategy: 'BLUE_GREEN', bakeTimeInMinutes: 0 });
    await harness.twin.api.handle('UpdateService', {
      cluster: CLUSTER,
      service: 'chat',
      taskDefinition: taskDefinition(2),
      deploymentConfiguration: { lifecycleHooks: [{ targetType: 'PAUSE', lifecycleStages: ['POST_TEST_TRAFFIC_SHIFT'], timeoutConfiguration: { timeoutInMinutes: 10, action: 'ROLLBACK' } }] },
    });
    const paused = await waitFor('the pause', () => harness.events.find((event) => event['detail-type'] === 'ECS Hook State Change'), 5000);
    const current = harness.twin.serviceDeployment(CLUSTER, 'chat');
    const described = (await harness.twin.api.handle('DescribeServiceDeployments', { serviceDeploymentArns: [current?.serviceDeploymentArn] })) as {
      serviceDeployments: { lifecycleStage: string; lifecycleHookDetails: Record<string, unknown>[] }[];
    };
    expect(paused.detail).toMatchObject({ eventName: 'HOOK_AWAITING_ACTION', hookType: 'PAUSE', lifecycleStage: 'POST_TEST_TRAFFIC_SHIFT', serviceDeploymentArn: current?.serviceDeploymentArn });
    expect(described.serviceDeployments[0]).toMatchObject({
      lifecycleStage: 'POST_TEST_TRAFFIC_SHIFT',
      lifecycleHookDetails: [{ hookId: paused.detail.hookId, targetType: 'PAUSE', status: 'AWAITING_ACTION', timeoutAction: 'ROLLBACK' }],
    });
    expect(String(paused.detail.hookId)).toMatch(/^ecs-pause-[A-Za-z0-9_-]{43}$/);

    await harness.twin.api.handle('ContinueServiceDeployment', { hookId: paused.detail.hookId, action: 'CONTINUE' });
    await waitFor('the deployment to complete', () => primaryOf(harness, 'chat')?.taskDefinitionArn === taskDefinition(2) && primaryOf(harness, 'chat')?.rolloutState === 'COMPLETED', 5000);
    expect(harness.events.filter((event) => event['detail-type'] === 'ECS Hook State Change').map((event) => event.detail.eventName)).toEqual(['HOOK_AWAITING_ACTION', 'HOOK_SUCCEEDED']);
  });
});

/** Deploys revision 2 of 'chat' with a 30-minute bake time and waits until it bakes: green's deployment id and the service deployment. */
async function deployAndBake(harness: ReturnType<typeof startTwin>) {
  await harness.twin.api.handle('UpdateService', { cluster: CLUSTER, service: 'chat', taskDefinition: taskDefinition(2), deploymentConfiguration: { bakeTimeInMinutes: 30 } });
  const greenId = primaryOf(harness, 'chat')?.id ?? '';
  const baking = await waitFor('the bake time', () => {
    const current = harness.twin.serviceDeployment(CLUSTER, 'chat');
    return current?.lifecycleStage === 'BAKE_TIME' ? current : undefined;
  }, 5000);
  return { greenId, baking };
}
