import { describe, expect, it } from 'vitest';
import type { TargetHealthDescription, TwinTask } from '../../../twin/index.js';
import { steadyOn } from './rolling-support.js';
import { CLUSTER, runningOf, serviceSnapshot, startService, startTwin, taskDefinition, tasksOf, type TwinHarness, waitFor } from './support.js';

/*
 * The target groups of a service behind a load balancer (DescribeTargetHealth): ECS registers a
 * task once RUNNING (ip target: its private address and the container port); the target is
 * initial until it passes the health checks, healthy from the very moment the scheduler counts
 * it, draining while ECS deregisters it before a stop, and gone once deregistered.
 */

const TARGET_GROUP = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/chat/73e2d6bc24d8a067';
const LOAD_BALANCERS = [{ targetGroupArn: TARGET_GROUP, containerName: 'app', containerPort: 8080 }];

function addressOf(task: TwinTask | undefined): string {
  return task?.networkInterface?.privateIPv4Address ?? '';
}

function stateOf(harness: TwinHarness, task: TwinTask | undefined): string | undefined {
  return harness.twin.targetHealth(TARGET_GROUP).find((description) => description.Target.Id === addressOf(task))?.TargetHealth.State;
}

describe('load balancer target health', () => {
  it('registers a RUNNING task as an ip target on its container port, initial (registration, then initial health checks) until targetHealthCheckSeconds, then healthy; the deployment counts it only then', async () => {
    // prepare
    const harness = startTwin();
    let registering: TargetHealthDescription[] = [];
    harness.twin.onChange((change) => {
      if (change.kind === 'task' && change.task.lastStatus === 'RUNNING' && change.previous?.lastStatus !== 'RUNNING') registering = harness.twin.targetHealth(TARGET_GROUP);
    });
    harness.twin.createService({ cluster: CLUSTER, name: 'chat', desiredCount: 1, taskDefinition: taskDefinition(1), loadBalancers: LOAD_BALANCERS, targetHealthCheckSeconds: 200 });

    // act
    const task = await waitFor('RUNNING', () => runningOf(harness.twin, 'chat')[0]);
    await new Promise((resolve) => setTimeout(resolve, harness.clock.ms(20)));
    const checking = harness.twin.targetHealth(TARGET_GROUP);
    const countedWhileChecking = serviceSnapshot(harness.twin, 'chat').deployments[0]?.rolloutState;
    await waitFor('healthy', () => stateOf(harness, task) === 'healthy', 5000);
    const healthy = harness.twin.targetHealth(TARGET_GROUP);

    // assert
    const target = { Id: addressOf(task), Port: 8080 };
    expect(registering).toEqual<TargetHealthDescription[]>([
      { Target: target, HealthCheckPort: '8080', TargetHealth: { State: 'initial', Reason: 'Elb.RegistrationInProgress', Description: 'Target registration is in progress' } },
    ]);
    expect(checking).toEqual<TargetHealthDescription[]>([
      { Target: target, HealthCheckPort: '8080', TargetHealth: { State: 'initial', Reason: 'Elb.InitialHealthChecking', Description: 'Initial health checks in progress' } },
    ]);
    expect(countedWhileChecking).toBe('IN_PROGRESS');
    expect(healthy).toEqual<TargetHealthDescription[]>([{ Target: target, HealthCheckPort: '8080', TargetHealth: { State: 'healthy' } }]);
    expect(Date.now() - (task.startedAt?.getTime() ?? 0)).toBeGreaterThanOrEqual(harness.clock.ms(200) - 5);
  });

  it('in a rolling deployment, stops an old task only once its replacement\'s target is healthy; the old target drains while deregistered, then leaves the group', async () => {
    // prepare
    const harness = startTwin();
    await startService(harness, { name: 'chat', desiredCount: 2, maximumPercent: 150, loadBalancers: LOAD_BALANCERS, healthCheckSeconds: 10, targetHealthCheckSeconds: 50, deregistrationDelaySeconds: 20 });
    const originals = runningOf(harness.twin, 'chat');
    // At every change: the targets, and whether an old task is asked to stop.
    const moments: Array<{ states: Map<string, string>; stopping: string[] }> = [];
    harness.twin.onChange(() => {
      moments.push({
        states: new Map(harness.twin.targetHealth(TARGET_GROUP).map((description) => [description.Target.Id, description.TargetHealth.State])),
        stopping: tasksOf(harness.twin, 'chat').filter((task) => task.desiredStatus === 'STOPPED' && task.lastStatus !== 'STOPPED').map(addressOf),
      });
    });

    // act
    harness.twin.deploy(CLUSTER, 'chat', taskDefinition(2));
    await steadyOn(harness, 'chat');
    await waitFor('the old tasks gone', () => originals.every((task) => tasksOf(harness.twin, 'chat').find((candidate) => candidate.taskArn === task.taskArn)?.lastStatus === 'STOPPED'));

    // assert
    const replacements = runningOf(harness.twin, 'chat');
    const oldAddresses = originals.map(addressOf);
    const newAddresses = replacements.map(addressOf);
    for (const moment of moments) {
      const stoppingOld = moment.stopping.filter((address) => oldAddresses.includes(address)).length;
      const healthyNew = newAddresses.filter((address) => moment.states.get(address) === 'healthy').length;
      // minimumHealthyPercent 100 of 2 tasks: each old task may go only for a healthy new target.
      expect(stoppingOld, JSON.stringify([...moment.states])).toBeLessThanOrEqual(healthyNew);
    }
    const oldStates = oldAddresses.map((address) => moments.map((moment) => moment.states.get(address) ?? 'gone').filter((state, index, all) => state !== all[index - 1]));
    expect(oldStates).toEqual([
      ['healthy', 'draining', 'gone'],
      ['healthy', 'draining', 'gone'],
    ]);
    expect(new Set(moments.flatMap((moment) => newAddresses.map((address) => moment.states.get(address) ?? 'gone')))).toEqual(new Set(['gone', 'initial', 'healthy']));
    expect(harness.twin.targetHealth(TARGET_GROUP).map((description) => description.Target.Id).sort()).toEqual([...newAddresses].sort());
  });

  it('reports the target of a revision that fails its checks unhealthy (Target.FailedHealthChecks)', async () => {
    // prepare
    const harness = startTwin();
    harness.twin.setTaskDefinitionBehaviour(taskDefinition(1), { unhealthy: true, unhealthyAfterSeconds: 20 });

    // act
    harness.twin.createService({ cluster: CLUSTER, name: 'chat', desiredCount: 1, taskDefinition: taskDefinition(1), loadBalancers: LOAD_BALANCERS, healthCheckGracePeriodSeconds: 600 });
    const task = await waitFor('RUNNING', () => runningOf(harness.twin, 'chat')[0]);
    await waitFor('unhealthy', () => stateOf(harness, task) === 'unhealthy');

    // assert
    expect(harness.twin.targetHealth(TARGET_GROUP)[0]?.TargetHealth).toEqual({ State: 'unhealthy', Reason: 'Target.FailedHealthChecks', Description: 'Health checks failed' });
  });

  it('describes the targets a caller names, unused (Target.NotRegistered) when not registered, and refuses a target group no service names', async () => {
    // prepare
    const harness = startTwin();
    await startService(harness, { name: 'chat', desiredCount: 1, loadBalancers: LOAD_BALANCERS });
    const [task] = runningOf(harness.twin, 'chat');

    // act
    const named = harness.twin.targetHealth(TARGET_GROUP, [{ id: addressOf(task), port: 8080 }, { id: '10.0.250.1', port: 8080 }]);

    // assert
    expect(named.map((description) => description.TargetHealth)).toEqual([
      { State: 'healthy' },
      { State: 'unused', Reason: 'Target.NotRegistered', Description: 'Target is not registered to the target group' },
    ]);
    expect(() => harness.twin.targetHealth(`${TARGET_GROUP}-other`)).toThrow(/no service of the twin names target group/);
    expect(harness.twin.knowsTargetGroup(TARGET_GROUP)).toBe(true);
  });

  it('tells load balancers which tasks take sessions: undefined without a load balancer, unused until registered, then the target state', async () => {
    // prepare
    const harness = startTwin();
    await startService(harness, { name: 'plain', desiredCount: 1 });
    harness.twin.createService({ cluster: CLUSTER, name: 'chat', desiredCount: 1, taskDefinition: taskDefinition(1), loadBalancers: LOAD_BALANCERS });

    // act
    const pending = await waitFor('a task', () => tasksOf(harness.twin, 'chat')[0]);
    const beforeRunning = harness.twin.targetHealthState(pending.taskArn);
    const running = await waitFor('RUNNING', () => runningOf(harness.twin, 'chat')[0]);
    const afterRunning = harness.twin.targetHealthState(running.taskArn);

    // assert
    expect(harness.twin.targetHealthState(runningOf(harness.twin, 'plain')[0]?.taskArn ?? '')).toBeUndefined();
    expect(beforeRunning).toBe('unused');
    expect(afterRunning).toBe('initial');
  });

  it('shows loadBalancers in DescribeServices and on the deployment, as declared', async () => {
    // prepare
    const harness = startTwin();
    const serviceArn = await startService(harness, { name: 'chat', desiredCount: 1, loadBalancers: LOAD_BALANCERS });

    // act
    const described = (await harness.twin.api.handle('DescribeServices', { cluster: CLUSTER, services: [serviceArn] })) as { services: Array<{ loadBalancers: unknown; deployments: Array<{ loadBalancers?: unknown }> }> };

    // assert
    expect(described.services[0]?.loadBalancers).toEqual(LOAD_BALANCERS);
    expect(described.services[0]?.deployments[0]?.loadBalancers).toEqual(LOAD_BALANCERS);
  });
});
