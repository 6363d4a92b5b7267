import { describe, expect, it } from 'vitest';
import { parseTaskStateChange } from '../../../../functions/events/ecs.js';
import type { TwinTask } from '../../../twin/index.js';
import { CLUSTER, runningOf, startService, startTwin, taskDefinition, taskEvents, tasksOf, type TwinHarness, waitFor } from './support.js';
import { steadyOn, wantedTasks } from './rolling-support.js';

/*
 * Start-up and health pacing of a rolling update: a new task counts toward minimumHealthyPercent
 * only once it is RUNNING and passes its health checks (or 40 s after RUNNING without any check),
 * so ECS stops an old task only then.
 */

interface Moment {
  healthy: number;
  tasks: TwinTask[];
}

/** The service's tasks at every change, with how many of them are RUNNING, wanted and HEALTHY. */
function recordMoments(harness: TwinHarness, name: string): Moment[] {
  const moments: Moment[] = [];
  harness.twin.onChange(() => {
    const tasks = wantedTasks(harness, name);
    moments.push({ healthy: tasks.filter((task) => task.lastStatus === 'RUNNING' && task.healthStatus === 'HEALTHY').length, tasks });
  });
  return moments;
}

function stopOf(harness: TwinHarness, taskArn: string): TwinTask | undefined {
  return tasksOf(harness.twin, 'chat').find((task) => task.taskArn === taskArn);
}

describe('task start-up and health', () => {
  it('takes 60 scenario seconds to RUNNING by default, reports UNKNOWN health until its container health check passes, then HEALTHY', async () => {
    // prepare
    const harness = startTwin();

    // act
    harness.twin.createService({ cluster: CLUSTER, name: 'chat', desiredCount: 1, taskDefinition: taskDefinition(1), healthCheckSeconds: 20 });
    const running = await waitFor('RUNNING', () => runningOf(harness.twin, 'chat')[0]);
    const healthy = await waitFor('HEALTHY', () => runningOf(harness.twin, 'chat').find((task) => task.healthStatus === 'HEALTHY'));
    const described = (await harness.twin.api.handle('DescribeTasks', { cluster: CLUSTER, tasks: [healthy.taskArn] })) as { tasks: { healthStatus: string; containers: { healthStatus: string }[] }[] };

    // assert
    const startup = (running.startedAt?.getTime() ?? 0) - running.createdAt.getTime();
    expect(startup).toBeGreaterThanOrEqual(harness.clock.ms(60) - 5);
    expect(running.healthStatus).toBe('UNKNOWN');
    expect(described.tasks[0]).toMatchObject({ healthStatus: 'HEALTHY', containers: [{ healthStatus: 'HEALTHY' }] });
  });

  it('passes a health check only once the app answers it: a check before that fails, and the next one an interval later passes', async () => {
    // prepare: the app serves only from a moment well after the check's time (a registration that took long)
    const harness = startTwin();
    let serving = false;
    harness.runtime.answering = () => serving;
    harness.twin.createService({ cluster: CLUSTER, name: 'chat', desiredCount: 1, taskDefinition: taskDefinition(1), healthCheckSeconds: 20 });
    const running = await waitFor('RUNNING', () => runningOf(harness.twin, 'chat')[0]);

    // act
    await new Promise((resolve) => setTimeout(resolve, harness.clock.ms(60)));
    const beforeServing = runningOf(harness.twin, 'chat')[0]?.healthStatus;
    serving = true;
    const servingAt = Date.now();
    await waitFor('HEALTHY', () => runningOf(harness.twin, 'chat').find((task) => task.healthStatus === 'HEALTHY'));

    // assert: not at 20 s, but at a check after the app served (checks 30 s apart: 50, 80, ...)
    expect(running.healthStatus).toBe('UNKNOWN');
    expect(beforeServing).toBe('UNKNOWN');
    expect(Date.now() - servingAt).toBeLessThanOrEqual(harness.clock.ms(30) + 50);
  });

  it('keeps minimumHealthyPercent of HEALTHY tasks: an old task stops only after its replacement passed its health check, not when it runs', async () => {
    // prepare
    const harness = startTwin();
    await startService(harness, { name: 'chat', desiredCount: 2, maximumPercent: 150, healthCheckSeconds: 50 });
    const originals = runningOf(harness.twin, 'chat').map((task) => task.taskArn);
    const moments = recordMoments(harness, 'chat');
    // At the moment an old task is asked to stop: the healthy tasks of revision 2.
    const healthyNewAtStop: number[] = [];
    harness.twin.onChange((change) => {
      if (change.kind !== 'task' || !originals.includes(change.task.taskArn)) return;
      if (change.previous?.desiredStatus !== 'RUNNING' || change.task.desiredStatus !== 'STOPPED') return;
      healthyNewAtStop.push(wantedTasks(harness, 'chat').filter((task) => task.taskDefinitionArn === taskDefinition(2) && task.healthStatus === 'HEALTHY').length);
    });

    // act
    harness.twin.deploy(CLUSTER, 'chat', taskDefinition(2));
    await steadyOn(harness, 'chat');

    // assert
    expect(Math.min(...moments.map((moment) => moment.healthy))).toBeGreaterThanOrEqual(2);
    expect(Math.max(...moments.map((moment) => moment.tasks.length))).toBe(3);
    expect(healthyNewAtStop).toEqual([1, 2]);
  });

  it('without a container health check waits 40 s after RUNNING before counting a new task, and its health stays UNKNOWN', async () => {
    // prepare
    const harness = startTwin();
    await startService(harness, { name: 'chat', desiredCount: 1, healthCheckSeconds: false });
    const [original] = runningOf(harness.twin, 'chat');

    // act
    harness.twin.deploy(CLUSTER, 'chat', taskDefinition(2));
    await steadyOn(harness, 'chat');

    // assert
    const [replacement] = runningOf(harness.twin, 'chat');
    const waited = (stopOf(harness, original?.taskArn ?? '')?.stoppingAt?.getTime() ?? 0) - (replacement?.startedAt?.getTime() ?? 0);
    expect(waited).toBeGreaterThanOrEqual(harness.clock.ms(40) - 5);
    expect(replacement?.healthStatus).toBe('UNKNOWN');
  });

  it('behind a load balancer also waits for the target group to report the target healthy', async () => {
    // prepare
    const harness = startTwin();
    await startService(harness, { name: 'chat', desiredCount: 1, healthCheckSeconds: 10, targetHealthCheckSeconds: 80 });
    const [original] = runningOf(harness.twin, 'chat');

    // act
    harness.twin.deploy(CLUSTER, 'chat', taskDefinition(2));
    await steadyOn(harness, 'chat');

    // assert
    const [replacement] = runningOf(harness.twin, 'chat');
    const waited = (stopOf(harness, original?.taskArn ?? '')?.stoppingAt?.getTime() ?? 0) - (replacement?.startedAt?.getTime() ?? 0);
    expect(waited).toBeGreaterThanOrEqual(harness.clock.ms(80) - 5);
  });

  it('stops a task that fails its health checks only after healthCheckGracePeriodSeconds, and replaces it', async () => {
    // prepare
    const harness = startTwin();
    harness.twin.setTaskDefinitionBehaviour(taskDefinition(1), { unhealthy: true, unhealthyAfterSeconds: 20 });

    // act
    harness.twin.createService({ cluster: CLUSTER, name: 'chat', desiredCount: 1, taskDefinition: taskDefinition(1), healthCheckGracePeriodSeconds: 150 });
    const first = await waitFor('the first task RUNNING', () => runningOf(harness.twin, 'chat')[0]);
    const unhealthy = await waitFor('UNHEALTHY', () => runningOf(harness.twin, 'chat').find((task) => task.healthStatus === 'UNHEALTHY'));
    const stopped = await waitFor('the unhealthy task stopped', () => tasksOf(harness.twin, 'chat').find((task) => task.taskArn === first.taskArn && task.desiredStatus === 'STOPPED'));
    await waitFor('a replacement', () => tasksOf(harness.twin, 'chat').some((task) => task.taskArn !== first.taskArn));

    // assert
    expect(unhealthy.desiredStatus).toBe('RUNNING');
    expect((stopped.stoppingAt?.getTime() ?? 0) - (first.startedAt?.getTime() ?? 0)).toBeGreaterThanOrEqual(harness.clock.ms(150) - 5);
    expect(stopped).toMatchObject({ stopCode: 'ServiceSchedulerInitiated', stoppedReason: 'Task failed container health checks' });
  });
});

describe('health status events', () => {
  it('by default reports the HEALTHY status in DescribeTasks only: AWS documents no task event for it', async () => {
    // prepare
    const harness = startTwin();

    // act
    await startService(harness, { name: 'chat', desiredCount: 1 });

    // assert
    const [task] = runningOf(harness.twin, 'chat');
    expect(task?.healthStatus).toBe('HEALTHY');
    expect(taskEvents(harness.events, task?.taskArn).map((detail) => [detail.lastStatus, detail.healthStatus])).toEqual([
      ['PROVISIONING', undefined],
      ['PENDING', undefined],
      ['RUNNING', undefined],
    ]);
  });

  it("with healthEvents 'task-state-change' emits a task state change for it, with a new version, that the product's parser accepts", async () => {
    // prepare
    const harness = startTwin({ healthEvents: 'task-state-change' });

    // act
    await startService(harness, { name: 'chat', desiredCount: 1 });

    // assert
    const [task] = runningOf(harness.twin, 'chat');
    const details = taskEvents(harness.events, task?.taskArn);
    expect(details.map((detail) => [detail.lastStatus, detail.healthStatus, detail.version])).toEqual([
      ['PROVISIONING', 'UNKNOWN', 1],
      ['PENDING', 'UNKNOWN', 2],
      ['RUNNING', 'UNKNOWN', 3],
      ['RUNNING', 'HEALTHY', 4],
    ]);
    const event = harness.events.filter((candidate) => candidate['detail-type'] === 'ECS Task State Change').at(-1);
    expect(parseTaskStateChange(event)).toMatchObject({ ok: true, event: { detail: { taskArn: task?.taskArn, version: 4, lastStatus: 'RUNNING' } } });
  });
});
