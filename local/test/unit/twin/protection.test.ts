import { describe, expect, it } from 'vitest';
import { apiError, CLUSTER, runningOf, startService, startTwin, taskDefinition, tasksOf, waitFor } from './support.js';

interface ProtectionResponse {
  protectedTasks: { taskArn: string; protectionEnabled: boolean; expirationDate?: number }[];
  failures: { arn: string; reason: string; detail?: string }[];
}

describe('UpdateTaskProtection', () => {
  it('protects for 120 minutes by default, with the expiry scaled by the clock', async () => {
    const harness = startTwin();
    await startService(harness, { name: 'chat', desiredCount: 1 });
    const [task] = runningOf(harness.twin, 'chat');
    const before = Date.now();

    const response = (await harness.twin.api.handle('UpdateTaskProtection', { cluster: CLUSTER, tasks: [task?.taskArn], protectionEnabled: true })) as ProtectionResponse;

    expect(response.failures).toEqual([]);
    expect(response.protectedTasks).toEqual([{ taskArn: task?.taskArn, protectionEnabled: true, expirationDate: expect.any(Number) }]);
    const expiresInMs = (response.protectedTasks[0]?.expirationDate ?? 0) * 1000 - before;
    expect(expiresInMs).toBeGreaterThanOrEqual(harness.clock.ms(120 * 60) - 5);
    expect(expiresInMs).toBeLessThanOrEqual(harness.clock.ms(120 * 60) + 50);
  });

  it.each([0, 2881])('refuses expiresInMinutes %i', async (minutes) => {
    const harness = startTwin();
    await startService(harness, { name: 'chat', desiredCount: 1 });
    const [task] = runningOf(harness.twin, 'chat');

    const error = await apiError(
      harness.twin.api.handle('UpdateTaskProtection', { cluster: CLUSTER, tasks: [task?.taskArn], protectionEnabled: true, expiresInMinutes: minutes }),
    );

    expect(error).toMatchObject({ name: 'InvalidParameterException', statusCode: 400 });
    expect(error.message).toContain('2880');
  });

  it('refuses more than 10 tasks in one call', async () => {
    const harness = startTwin();
    const tasks = Array.from({ length: 11 }, (_, index) => `task-${index}`);

    const error = await apiError(harness.twin.api.handle('UpdateTaskProtection', { cluster: CLUSTER, tasks, protectionEnabled: true }));

    expect(error.name).toBe('InvalidParameterException');
  });

  it('lets protection lapse when it expires, and every call resets the expiry', async () => {
    const harness = startTwin();
    await startService(harness, { name: 'chat', desiredCount: 2 });
    const [renewed, lapsing] = runningOf(harness.twin, 'chat');
    const protect = (taskArn: string | undefined) =>
      harness.twin.api.handle('UpdateTaskProtection', { cluster: CLUSTER, tasks: [taskArn], protectionEnabled: true, expiresInMinutes: 1 });
    await protect(renewed?.taskArn);
    await protect(lapsing?.taskArn);

    await new Promise((resolve) => setTimeout(resolve, harness.clock.ms(40)));
    await protect(renewed?.taskArn);
    await new Promise((resolve) => setTimeout(resolve, harness.clock.ms(30)));
    const read = (await harness.twin.api.handle('GetTaskProtection', { cluster: CLUSTER, tasks: [renewed?.taskArn, lapsing?.taskArn] })) as ProtectionResponse;

    expect(read.protectedTasks.map((task) => [task.taskArn, task.protectionEnabled])).toEqual([
      [renewed?.taskArn, true],
      [lapsing?.taskArn, false],
    ]);
    expect(read.protectedTasks[1]).not.toHaveProperty('expirationDate');
  });

  it('fails with DEPLOYMENT_BLOCKED a task whose protection would leave more protected tasks than the desired count', async () => {
    const harness = startTwin();
    await startService(harness, { name: 'chat', desiredCount: 2 });
    const old = runningOf(harness.twin, 'chat').map((task) => task.taskArn);
    await harness.twin.api.handle('UpdateTaskProtection', { cluster: CLUSTER, tasks: old, protectionEnabled: true });
    harness.twin.deploy(CLUSTER, 'chat', taskDefinition(2));
    await waitFor('the new tasks to run', () => runningOf(harness.twin, 'chat').length === 4);
    const fresh = runningOf(harness.twin, 'chat').filter((task) => !old.includes(task.taskArn)).map((task) => task.taskArn);

    const response = (await harness.twin.api.handle('UpdateTaskProtection', {
      cluster: CLUSTER,
      tasks: [old[0], fresh[0]],
      protectionEnabled: true,
    })) as ProtectionResponse;

    expect(response.protectedTasks.map((task) => task.taskArn)).toEqual([old[0]]);
    expect(response.failures).toEqual([{ arn: fresh[0], reason: 'DEPLOYMENT_BLOCKED', detail: expect.stringContaining('desired count of 2') }]);
  });

  it('fails a standalone task with TASK_NOT_VALID, an unknown one with MISSING, and a stopped one with TASK_NOT_VALID', async () => {
    const harness = startTwin();
    await startService(harness, { name: 'chat', desiredCount: 1 });
    const standalone = harness.twin.runTask(CLUSTER, { taskDefinition: taskDefinition(1, 'batch') });
    const [stopped] = runningOf(harness.twin, 'chat');
    harness.twin.crashTask(stopped?.taskArn ?? '');
    await waitFor('the crashed task to stop', () => tasksOf(harness.twin, 'chat').find((task) => task.taskArn === stopped?.taskArn)?.lastStatus === 'STOPPED');
    const unknown = `arn:aws:ecs:us-east-1:123456789012:task/${CLUSTER}/00000000000000000000000000000000`;

    const response = (await harness.twin.api.handle('UpdateTaskProtection', {
      cluster: CLUSTER,
      tasks: [standalone, unknown, stopped?.taskArn],
      protectionEnabled: true,
    })) as ProtectionResponse;

    expect(response.protectedTasks).toEqual([]);
    expect(response.failures.map((failure) => [failure.arn, failure.reason])).toEqual([
      [standalone, 'TASK_NOT_VALID'],
      [unknown, 'MISSING'],
      [stopped?.taskArn, 'TASK_NOT_VALID'],
    ]);
  });

  it('accepts task ids as well as ARNs and answers GetTaskProtection in the same shape', async () => {
    const harness = startTwin();
    await startService(harness, { name: 'chat', desiredCount: 1 });
    const [task] = runningOf(harness.twin, 'chat');

    await harness.twin.api.handle('UpdateTaskProtection', { cluster: CLUSTER, tasks: [task?.taskId], protectionEnabled: true, expiresInMinutes: 60 });
    const read = (await harness.twin.api.handle('GetTaskProtection', { cluster: `arn:aws:ecs:us-east-1:123456789012:cluster/${CLUSTER}`, tasks: [task?.taskArn] })) as ProtectionResponse;

    expect(read).toEqual({ protectedTasks: [{ taskArn: task?.taskArn, protectionEnabled: true, expirationDate: expect.any(Number) }], failures: [] });
  });
});
