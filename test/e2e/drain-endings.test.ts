import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rehearsal, runningTasks } from '@ecs-session-drain/local';
import { taskDefinitionArn } from './support/scenario.js';

/**
 * Issue 3, scenario 7: drains that do not end with an empty task. A task that crashes mid-drain
 * ends TASK_GONE; one whose sessions outlive the deadline is stopped as DEADLINE_FORCED; a
 * cancelled drain gives the task back to service, ACTIVE and taking sessions.
 */
describe('drains that end other than drained', () => {
  let rehearsal: Rehearsal;
  let tasks: string[];

  beforeAll(async () => {
    rehearsal = await Rehearsal.start({ scale: 0.01, clusterNames: ['edge'] });
    const clusterArn = rehearsal.twin.createCluster('edge');
    rehearsal.twin.createService({ cluster: clusterArn, name: 'rdp', desiredCount: 4, taskDefinition: taskDefinitionArn(rehearsal, 'rdp', 1) });
    await rehearsal.waitFor('4 tasks accepting', () => rehearsal.apps.acceptingTasks().length === 4);
    tasks = runningTasks(rehearsal.twin, 'rdp').map((task) => task.taskArn);
    for (const [index, taskArn] of tasks.entries()) await rehearsal.openSessions(taskArn, 2, 8 * 3600, `x${index}`);
  }, 120_000);

  afterAll(async () => {
    await rehearsal?.stop();
  });

  async function drainControl(payload: Record<string, unknown>): Promise<Record<string, unknown>> {
    const result = await rehearsal.cloud.invoke('DrainControlFunction', payload);
    expect(result.functionError).toBeUndefined();
    return result.payload as Record<string, unknown>;
  }

  async function outcomeOf(taskArn: string): Promise<string | undefined> {
    return rehearsal.waitFor(`the drain of ${taskArn} to end`, async () => {
      const execution = (await rehearsal.drainExecutions()).find((candidate) => candidate.taskArn === taskArn && candidate.status !== 'RUNNING');
      return execution?.outcome;
    }, 45_000, 200);
  }

  it('ends TASK_GONE when the task crashes mid-drain', async () => {
    const taskArn = tasks[0] ?? '';
    expect(await drainControl({ action: 'drain', taskArn, cluster: 'edge' })).toMatchObject({ ok: true });
    await rehearsal.waitFor('the task to be DRAINING', async () => (await rehearsal.taskItem(taskArn))?.status === 'DRAINING');

    rehearsal.twin.crashTask(taskArn);

    expect(await outcomeOf(taskArn)).toBe('TASK_GONE');
    expect((await rehearsal.taskItem(taskArn))?.status).toBe('STOPPED');
  });

  it('ends DEADLINE_FORCED and stops the task when its sessions outlive the deadline', async () => {
    const taskArn = tasks[1] ?? '';

    expect(await drainControl({ action: 'drain', taskArn, cluster: 'edge', deadline: new Date(Date.now() + 4000).toISOString() })).toMatchObject({ ok: true });

    expect(await outcomeOf(taskArn)).toBe('DEADLINE_FORCED');
    await rehearsal.waitFor('the twin to stop the task', () => !runningTasks(rehearsal.twin, 'rdp').some((task) => task.taskArn === taskArn), 20_000);
  });

  it('leaves a cancelled task ACTIVE and taking sessions', async () => {
    const taskArn = tasks[2] ?? '';
    expect(await drainControl({ action: 'drain', taskArn, cluster: 'edge' })).toMatchObject({ ok: true });
    await rehearsal.waitFor('the task to be DRAINING', async () => (await rehearsal.taskItem(taskArn))?.status === 'DRAINING');

    expect(await drainControl({ action: 'cancel', taskArn })).toMatchObject({ ok: true });

    expect(await outcomeOf(taskArn)).toBe('CANCELLED');
    expect((await rehearsal.taskItem(taskArn))?.status).toBe('ACTIVE');
    await rehearsal.openSessions(taskArn, 1, 60, 'after-cancel');
    expect(runningTasks(rehearsal.twin, 'rdp').some((task) => task.taskArn === taskArn)).toBe(true);
  });
});
