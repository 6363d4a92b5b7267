import { describe, expect, it } from 'vitest';
import { twinWithApps } from './apps-support.js';
import { SessionWorkload } from '../../workload/workload.js';
import { CLUSTER, runningOf, taskDefinition, tasksOf, waitFor } from './twin/support.js';

/*
 * The simulated workload routes as the load balancer would: behind a load balancer a task gets
 * new sessions only while the twin reports its target healthy (the moment ECS also counts it);
 * without one a task takes sessions as soon as it runs (and, managed, registered). Apps register
 * nothing here, so no registry is needed.
 */

const TARGET_GROUP = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/chat/73e2d6bc24d8a067';
const LOAD_BALANCERS = [{ targetGroupArn: TARGET_GROUP, containerName: 'app', containerPort: 8080 }];

const harness = () => twinWithApps({ routeByTargetHealth: true });

describe('routing new sessions by the twin\'s target health', () => {
  it('gives a task behind a load balancer no session until its target is healthy, and a task without one sessions as soon as it runs', async () => {
    // prepare
    const h = harness();
    h.twin.createService({ cluster: CLUSTER, name: 'chat', desiredCount: 1, taskDefinition: taskDefinition(1), loadBalancers: LOAD_BALANCERS, targetHealthCheckSeconds: 150 });
    h.twin.createService({ cluster: CLUSTER, name: 'plain', desiredCount: 1, taskDefinition: taskDefinition(1, 'plain') });
    const [behind, plain] = await waitFor('both tasks RUNNING', () => {
      const both = [runningOf(h.twin, 'chat')[0], runningOf(h.twin, 'plain')[0]];
      return both.every((task) => task !== undefined) && both;
    });

    // act
    const acceptingAtStart = h.apps.acceptingTasks().map((task) => task.taskArn);
    const refusedWhileInitial = await h.apps.open(behind?.taskArn ?? '', 'early', 10);
    await waitFor('the target healthy', () => h.twin.targetHealthState(behind?.taskArn ?? '') === 'healthy', 5000);
    const acceptingOnceHealthy = h.apps.acceptingTasks().map((task) => task.taskArn);
    const openedOnceHealthy = await h.apps.open(behind?.taskArn ?? '', 'late', 10);

    // assert
    expect(acceptingAtStart).toEqual([plain?.taskArn]);
    expect(refusedWhileInitial).toBe(false);
    expect(acceptingOnceHealthy.sort()).toEqual([behind?.taskArn, plain?.taskArn].sort());
    expect(openedOnceHealthy).toBe(true);
    expect(Date.now() - (behind?.startedAt?.getTime() ?? 0)).toBeGreaterThanOrEqual(h.clock.ms(150) - 5);
  });

  it('during a rolling deployment behind a load balancer, opens every session on a task whose target is healthy: never on a new task still in its initial checks, nor on a draining one', async () => {
    // prepare
    const h = harness();
    h.twin.createService({
      cluster: CLUSTER,
      name: 'chat',
      desiredCount: 2,
      taskDefinition: taskDefinition(1),
      loadBalancers: LOAD_BALANCERS,
      targetHealthCheckSeconds: 60,
      deregistrationDelaySeconds: 30,
    });
    await waitFor('two healthy targets', () => h.twin.targetHealth(TARGET_GROUP).filter((target) => target.TargetHealth.State === 'healthy').length === 2, 5000);
    const statesAtOpen: string[] = [];
    const open = h.apps.open.bind(h.apps);
    h.apps.open = async (taskArn, sessionId, seconds) => {
      const state = h.twin.targetHealthState(taskArn) ?? 'none';
      const opened = await open(taskArn, sessionId, seconds);
      if (opened) statesAtOpen.push(state);
      return opened;
    };
    const workload = new SessionWorkload({ apps: h.apps, ledger: h.ledger, clock: h.clock, seed: 3, arrivalsPerMinute: 0, durations: { medianSeconds: 20, sigma: 0.2 } });

    // act
    h.twin.deploy(CLUSTER, 'chat', taskDefinition(2));
    let rejected = 0;
    while (tasksOf(h.twin, 'chat').some((task) => task.taskDefinitionArn === taskDefinition(1) && task.lastStatus !== 'STOPPED')) {
      rejected += 3 - (await workload.burst(3));
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await workload.burst(3);

    // assert
    expect(statesAtOpen.length).toBeGreaterThan(10);
    expect(new Set(statesAtOpen)).toEqual(new Set(['healthy']));
    expect(rejected).toBe(0);
    const newTasks = runningOf(h.twin, 'chat').map((task) => task.taskArn);
    expect(h.ledger.records().some((record) => newTasks.includes(record.taskArn ?? ''))).toBe(true);
  });
});
