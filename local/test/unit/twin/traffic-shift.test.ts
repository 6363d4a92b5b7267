import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../../../random.js';
import { routeOrder } from '../../../workload/routing.js';
import { CLUSTER, runningOf, taskDefinition, waitFor } from './support.js';
import { lambdaHook, primaryOf, recordingHook, revisionArn, startStrategyService, startTwin, tasksOfDeployment } from './strategy-support.js';

/** Green's production weight in each hook call of the stage. */
function greenWeights(calls: ReturnType<typeof recordingHook>['calls'], stage: string, green: string): (number | undefined)[] {
  return calls.filter((call) => call.payload.lifecycleStage === stage).map((call) => call.payload.executionDetails.productionTrafficWeights[green]);
}

describe('LINEAR deployment', () => {
  it('shifts production traffic in equal steps, invoking PRE_ and PRODUCTION_TRAFFIC_SHIFT hooks at every step, with the step bake time between steps but not after 100%', async () => {
    const hook = recordingHook();
    const harness = startTwin({ invokeHook: hook.invokeHook });
    await startStrategyService(harness, 'chat', 2, {
      strategy: 'LINEAR',
      bakeTimeInMinutes: 0,
      linearConfiguration: { stepPercent: 25, stepBakeTimeInMinutes: 1 },
      lifecycleHooks: [lambdaHook(['PRE_PRODUCTION_TRAFFIC_SHIFT', 'PRODUCTION_TRAFFIC_SHIFT', 'POST_PRODUCTION_TRAFFIC_SHIFT'])],
    });
    const blueId = runningOf(harness.twin, 'chat')[0]?.startedBy ?? '';
    hook.calls.length = 0;

    const greenId = harness.twin.deploy(CLUSTER, 'chat', taskDefinition(2));
    const green = revisionArn('chat', greenId);
    const blue = revisionArn('chat', blueId);
    await waitFor('the second step', () => hook.calls.filter((call) => call.payload.lifecycleStage === 'PRODUCTION_TRAFFIC_SHIFT').length === 2, 5000);
    const [first] = tasksOfDeployment(harness, 'chat', greenId);
    const during = { green: harness.twin.trafficTarget(first?.taskArn ?? ''), blue: harness.twin.trafficTarget(runningOf(harness.twin, 'chat').find((task) => task.startedBy === blueId)?.taskArn ?? '') };
    await waitFor('the deployment to complete', () => primaryOf(harness, 'chat')?.id === greenId && primaryOf(harness, 'chat')?.rolloutState === 'COMPLETED', 5000);

    expect(during).toEqual({ green: { group: greenId, weight: 50 }, blue: { group: blueId, weight: 50 } });
    expect(greenWeights(hook.calls, 'PRE_PRODUCTION_TRAFFIC_SHIFT', green)).toEqual([0, 25, 50, 75]);
    expect(greenWeights(hook.calls, 'PRODUCTION_TRAFFIC_SHIFT', green)).toEqual([25, 50, 75, 100]);
    expect(hook.calls.filter((call) => call.payload.lifecycleStage === 'PRODUCTION_TRAFFIC_SHIFT').map((call) => call.payload.executionDetails.productionTrafficWeights[blue])).toEqual([
      75, 50, 25, 0,
    ]);
    const shifts = hook.calls.filter((call) => call.payload.lifecycleStage === 'PRODUCTION_TRAFFIC_SHIFT').map((call) => call.at);
    for (let step = 1; step < shifts.length; step += 1) expect((shifts[step] ?? 0) - (shifts[step - 1] ?? 0)).toBeGreaterThanOrEqual(harness.clock.ms(60) - 5);
    const [post] = hook.calls.filter((call) => call.payload.lifecycleStage === 'POST_PRODUCTION_TRAFFIC_SHIFT');
    expect((post?.at ?? 0) - (shifts[3] ?? 0)).toBeLessThan(harness.clock.ms(60));
  });
});

describe('CANARY deployment', () => {
  it('shifts canaryPercent first, waits the canary bake time, then shifts the rest at once', async () => {
    const hook = recordingHook();
    const harness = startTwin({ invokeHook: hook.invokeHook });
    await startStrategyService(harness, 'chat', 2, {
      strategy: 'CANARY',
      bakeTimeInMinutes: 0,
      canaryConfiguration: { canaryPercent: 10, canaryBakeTimeInMinutes: 2 },
      lifecycleHooks: [lambdaHook(['PRODUCTION_TRAFFIC_SHIFT'])],
    });
    hook.calls.length = 0;

    const greenId = harness.twin.deploy(CLUSTER, 'chat', taskDefinition(2));
    await waitFor('the deployment to complete', () => primaryOf(harness, 'chat')?.id === greenId && primaryOf(harness, 'chat')?.rolloutState === 'COMPLETED', 5000);

    expect(greenWeights(hook.calls, 'PRODUCTION_TRAFFIC_SHIFT', revisionArn('chat', greenId))).toEqual([10, 100]);
    const [canary, rest] = hook.calls.map((call) => call.at);
    expect((rest ?? 0) - (canary ?? 0)).toBeGreaterThanOrEqual(harness.clock.ms(120) - 5);
  });

  it('takes the documented defaults (5% for 10 minutes) when canaryConfiguration is left out', async () => {
    const harness = startTwin();
    await startStrategyService(harness, 'chat', 1, { strategy: 'CANARY', bakeTimeInMinutes: 0, canaryConfiguration: { canaryBakeTimeInMinutes: 0 } });
    const described = (await harness.twin.api.handle('DescribeServices', { cluster: CLUSTER, services: ['chat'] })) as { services: { deploymentConfiguration: Record<string, unknown> }[] };
    expect(described.services[0]?.deploymentConfiguration).toMatchObject({ strategy: 'CANARY', bakeTimeInMinutes: 0, canaryConfiguration: { canaryPercent: 5, canaryBakeTimeInMinutes: 0 } });
  });
});

describe('new sessions follow the production weights', () => {
  it('a 25/75 split sends about a quarter of new sessions to green, and a 0-weight group none', () => {
    const random = new SeededRandom(3);
    const targets = [
      { arn: 'green-1', group: 'green', weight: 25 },
      { arn: 'blue-1', group: 'blue', weight: 75 },
      { arn: 'blue-2', group: 'blue', weight: 75 },
      { arn: 'old-1', group: 'old', weight: 0 },
    ];
    const firsts = Array.from({ length: 4000 }, () => routeOrder(targets, (target) => target, random)[0]?.group);

    const greenShare = firsts.filter((group) => group === 'green').length / firsts.length;
    expect(greenShare).toBeGreaterThan(0.22);
    expect(greenShare).toBeLessThan(0.28);
    expect(firsts).not.toContain('old');
    expect(routeOrder(targets, (target) => target, random).map((target) => target.arn)).not.toContain('old-1');
  });

  it('draws nothing when every task is in one group, so seeded rolling scenarios are unchanged', () => {
    const random = new SeededRandom(3);
    const before = new SeededRandom(3).next();
    const order = routeOrder(['a', 'b'], () => ({ group: 'default', weight: 100 }), random);

    expect(order).toEqual(['a', 'b']);
    expect(random.next()).toBe(before);
  });
});
