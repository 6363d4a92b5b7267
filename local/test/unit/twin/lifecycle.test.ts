import { describe, expect, it } from 'vitest';
import { apiError, CLUSTER, runningOf, startService, startTwin, taskDefinition, taskEvents, tasksOf, waitFor } from './support.js';

describe('task lifecycle', () => {
  it('goes PROVISIONING, PENDING, RUNNING after startupSeconds, with the version rising by one per change', async () => {
    const harness = startTwin();
    const startedAt = Date.now();
    await startService(harness, { name: 'chat', desiredCount: 1, startupSeconds: 20 });
    const [task] = runningOf(harness.twin, 'chat');

    const events = taskEvents(harness.events, task?.taskArn);
    expect(events.map((detail) => [detail.lastStatus, detail.desiredStatus, detail.version])).toEqual([
      ['PROVISIONING', 'RUNNING', 1],
      ['PENDING', 'RUNNING', 2],
      ['RUNNING', 'RUNNING', 3],
    ]);
    expect(harness.runtime.startedTasks.map((started) => started.task.taskArn)).toEqual([task?.taskArn]);
    expect((harness.runtime.startedTasks[0]?.at ?? 0) - startedAt).toBeGreaterThanOrEqual(harness.clock.ms(20) - 2);
    expect(task).toMatchObject({ group: 'service:chat', launchType: 'FARGATE', startedBy: expect.stringMatching(/^ecs-svc\/\d{19}$/) });
    expect(task?.taskArn).toMatch(/^arn:aws:ecs:us-east-1:123456789012:task\/sessions\/[0-9a-f]{32}$/);
  });

  it('StopTask sends SIGTERM at once and SIGKILL after the stop timeout, then the task stops and is replaced', async () => {
    const harness = startTwin();
    await startService(harness, { name: 'chat', desiredCount: 1, stopTimeoutSeconds: 30 });
    const [task] = runningOf(harness.twin, 'chat');
    const before = Date.now();

    const response = (await harness.twin.api.handle('StopTask', { cluster: CLUSTER, task: task?.taskArn, reason: 'ecs-session-drain: DRAINED' })) as {
      task: { desiredStatus: string; lastStatus: string; stopCode: string; stoppedReason: string };
    };
    await waitFor('the task to stop', () => tasksOf(harness.twin, 'chat').find((candidate) => candidate.taskArn === task?.taskArn)?.lastStatus === 'STOPPED');

    expect(response.task).toMatchObject({ desiredStatus: 'STOPPED', lastStatus: 'RUNNING', stopCode: 'UserInitiated', stoppedReason: 'ecs-session-drain: DRAINED' });
    const [sigterm] = harness.runtime.sigterms;
    expect(sigterm?.info.reason).toBe('StopTask');
    expect((sigterm?.at ?? 0) - before).toBeLessThan(harness.clock.ms(5));
    expect(sigterm?.info.killAt.getTime()).toBeGreaterThanOrEqual(before + harness.clock.ms(30) - 2);
    const [kill] = harness.runtime.kills;
    expect(kill?.cause).toBe('SIGKILL');
    expect((kill?.at ?? 0) - (sigterm?.at ?? 0)).toBeGreaterThanOrEqual(harness.clock.ms(30) - 2);
    expect(taskEvents(harness.events, task?.taskArn).slice(3).map((detail) => [detail.lastStatus, detail.desiredStatus, detail.stopCode])).toEqual([
      ['RUNNING', 'STOPPED', 'UserInitiated'],
      ['DEPROVISIONING', 'STOPPED', 'UserInitiated'],
      ['STOPPED', 'STOPPED', 'UserInitiated'],
    ]);
    await waitFor('a replacement', () => runningOf(harness.twin, 'chat').length === 1);
  });

  it('stops the task without SIGKILL when the app exits after SIGTERM', async () => {
    const harness = startTwin();
    await startService(harness, { name: 'chat', desiredCount: 1, stopTimeoutSeconds: 120 });
    const [task] = runningOf(harness.twin, 'chat');
    harness.runtime.exitAfterSigtermMs = harness.clock.ms(2);
    const before = Date.now();

    await harness.twin.api.handle('StopTask', { cluster: CLUSTER, task: task?.taskArn });
    await waitFor('the task to stop', () => tasksOf(harness.twin, 'chat').find((candidate) => candidate.taskArn === task?.taskArn)?.lastStatus === 'STOPPED');

    expect(harness.runtime.kills).toEqual([]);
    expect(Date.now() - before).toBeLessThan(harness.clock.ms(120));
    expect(tasksOf(harness.twin, 'chat').find((candidate) => candidate.taskArn === task?.taskArn)).toMatchObject({
      exitCode: 0,
      stopCode: 'UserInitiated',
      stoppedReason: 'Task stopped by user',
    });
  });

  it('a crash stops the task at once, without SIGTERM, and the service replaces it', async () => {
    const harness = startTwin();
    await startService(harness, { name: 'chat', desiredCount: 1 });
    const [task] = runningOf(harness.twin, 'chat');

    harness.twin.crashTask(task?.taskArn ?? '');
    await waitFor('a replacement running', () => runningOf(harness.twin, 'chat').some((candidate) => candidate.taskArn !== task?.taskArn));

    expect(harness.runtime.sigterms).toEqual([]);
    expect(harness.runtime.kills.map((kill) => kill.cause)).toEqual(['CRASH']);
    expect(tasksOf(harness.twin, 'chat').find((candidate) => candidate.taskArn === task?.taskArn)).toMatchObject({
      desiredStatus: 'STOPPED',
      stopCode: 'EssentialContainerExited',
      exitCode: 1,
    });
  });

  it('an app that ends by itself without being asked stops with EssentialContainerExited', async () => {
    const harness = startTwin();
    await startService(harness, { name: 'chat', desiredCount: 1 });
    const [task] = runningOf(harness.twin, 'chat');

    harness.twin.containerExited(task?.taskArn ?? '', 0);

    expect(tasksOf(harness.twin, 'chat').find((candidate) => candidate.taskArn === task?.taskArn)).toMatchObject({
      desiredStatus: 'STOPPED',
      lastStatus: 'DEPROVISIONING',
      stopCode: 'EssentialContainerExited',
    });
    expect(harness.runtime.kills).toEqual([]);
  });

  it('rejects a Fargate stopTimeout above 120 s and accepts it on EC2', async () => {
    const harness = startTwin();

    const error = await apiError(
      Promise.resolve().then(() => harness.twin.createService({ cluster: CLUSTER, name: 'slow', desiredCount: 1, taskDefinition: taskDefinition(1), stopTimeoutSeconds: 121 })),
    );
    const ec2 = harness.twin.createService({ cluster: CLUSTER, name: 'ec2', desiredCount: 0, taskDefinition: taskDefinition(1), launchType: 'EC2', stopTimeoutSeconds: 600 });

    expect(error.name).toBe('ClientException');
    expect(error.message).toContain('120');
    expect(harness.twin.snapshot().services.map((service) => service.serviceName)).toEqual(['ec2']);
    expect(ec2).toBe(`arn:aws:ecs:us-east-1:123456789012:service/${CLUSTER}/ec2`);
  });
});
