import { describe, expect, it } from 'vitest';
import { twinWithApps } from '../apps-support.js';
import { CLUSTER, runningOf, taskDefinition, tasksOf, waitFor } from '../twin/support.js';

/*
 * Benchmark strategy 2: a service behind a load balancer with a deregistration delay. The twin
 * deregisters a task before stopping it; the simulated app keeps its sessions until they close
 * or the delay runs out. Apps register nothing here, so no registry is needed.
 */

const harness = () => twinWithApps();

async function serviceWithOneSession(h: ReturnType<typeof harness>, sessionSeconds: number, deregistrationDelaySeconds = 300) {
  h.twin.createService({ cluster: CLUSTER, name: 'chat', desiredCount: 1, taskDefinition: taskDefinition(1), stopTimeoutSeconds: 120, deregistrationDelaySeconds });
  const [task] = await waitFor('the task to accept sessions', () => {
    const accepting = h.apps.acceptingTasks();
    return accepting.length === 1 && accepting;
  });
  expect(await h.apps.open(task?.taskArn ?? '', 'user-1', sessionSeconds)).toBe(true);
  h.ledger.opened({ id: 'user-1', taskArn: task?.taskArn ?? '', openedAt: Date.now(), plannedSeconds: sessionSeconds });
  return task?.taskArn ?? '';
}

const oldTask = (h: ReturnType<typeof harness>, taskArn: string) => tasksOf(h.twin, 'chat').find((task) => task.taskArn === taskArn);

describe('load balancer deregistration delay', () => {
  it('keeps an open session through the delay, takes no new one, and stops the task as soon as the session closes', async () => {
    // A delay 30 times the session: a stop when the session closes and one when the delay runs out
    // stay seconds apart however late a busy machine fires the session's timer.
    const h = harness();
    const delaySeconds = 3000;
    const taskArn = await serviceWithOneSession(h, 100, delaySeconds);

    h.twin.deploy(CLUSTER, 'chat', taskDefinition(2));
    await waitFor('the old task to be deregistering', () => oldTask(h, taskArn)?.desiredStatus === 'STOPPED');
    const deregisteredAt = Date.now();
    const refused = await h.apps.open(taskArn, 'user-2', 10);
    await waitFor('the old task to stop', () => oldTask(h, taskArn)?.lastStatus === 'STOPPED', h.clock.ms(delaySeconds) + 5000);

    expect(refused).toBe(false);
    const session = h.ledger.records().find((record) => record.id === 'user-1');
    expect(session?.end).toBe('user');
    const stoppingAt = oldTask(h, taskArn)?.stoppingAt?.getTime() ?? 0;
    expect(stoppingAt).toBeGreaterThanOrEqual(session?.endedAt ?? Number.POSITIVE_INFINITY);
    expect(stoppingAt - deregisteredAt).toBeLessThan(h.clock.ms(delaySeconds) / 2);
    expect(h.runtime.kills).toEqual([]);
    await waitFor('the replacement to run', () => runningOf(h.twin, 'chat').length === 1);
  });

  it('cuts a session that outlives the delay when the delay ends, then stops the task without waiting for SIGKILL', async () => {
    const h = harness();
    const taskArn = await serviceWithOneSession(h, 10_000);

    h.twin.deploy(CLUSTER, 'chat', taskDefinition(2));
    await waitFor('the old task to be deregistering', () => oldTask(h, taskArn)?.desiredStatus === 'STOPPED');
    const deregisteredAt = Date.now();
    await waitFor('the old task to stop', () => oldTask(h, taskArn)?.lastStatus === 'STOPPED', 5000);

    const record = h.ledger.records().find((candidate) => candidate.id === 'user-1');
    expect(record).toMatchObject({ end: 'dropped', dropCause: 'LB_DEREGISTERED', stopReason: 'ServiceScheduler' });
    expect((record?.endedAt ?? 0) - deregisteredAt).toBeGreaterThanOrEqual(h.clock.ms(300) - 5);
    expect((oldTask(h, taskArn)?.stoppingAt?.getTime() ?? 0) - deregisteredAt).toBeGreaterThanOrEqual(h.clock.ms(300) - 5);
    expect(oldTask(h, taskArn)?.exitCode).toBe(0);
  });

  it('refuses a delay above the 3600 s a target group allows', () => {
    const h = harness();

    expect(() => h.twin.createService({ cluster: CLUSTER, name: 'chat', desiredCount: 1, taskDefinition: taskDefinition(1), deregistrationDelaySeconds: 3601 })).toThrow(/between 0 and 3600/);
  });
});
