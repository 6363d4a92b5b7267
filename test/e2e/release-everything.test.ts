import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rehearsal, runningTasks, service, serviceTasks } from '@ecs-session-drain/local';
import { taskDefinitionArn } from './support/scenario.js';

/**
 * Issue 12, "Uninstall": what removing the orchestrator leaves behind. A drain is open on a task
 * holding sessions and the service's busy tasks are protected; then (a) an operator's DrainControl
 * release-all, and (b) the stack's deletion (its custom resource's Delete request, answered through
 * the ResponseURL the local cloud serves) leave every task ACTIVE, unprotected, no drain running, and
 * the agents taking sessions again. The reconciler runs every 10 minutes here, so that a running
 * orchestrator does not protect the busy tasks again before they are looked at.
 */
describe('release everything', () => {
  let rehearsal: Rehearsal;
  let tasks: string[];

  beforeAll(async () => {
    rehearsal = await Rehearsal.start({ scale: 0.01, clusterNames: ['edge'], reconcilerPeriodMs: 600_000 });
    const clusterArn = rehearsal.twin.createCluster('edge');
    rehearsal.twin.createService({ cluster: clusterArn, name: 'rdp', desiredCount: 3, taskDefinition: taskDefinitionArn(rehearsal, 'rdp', 1) });
    await rehearsal.waitFor('3 tasks accepting', () => rehearsal.apps.acceptingTasks().length === 3);
    tasks = runningTasks(rehearsal.twin, 'rdp').map((task) => task.taskArn);
    for (const [index, taskArn] of tasks.entries()) await rehearsal.openSessions(taskArn, 2, 8 * 3600, `busy${index}`);
    await rehearsal.waitFor('the busy tasks protected', () => tasks.every((taskArn) => isProtected(taskArn)), 30_000);
  }, 120_000);

  afterAll(async () => {
    await rehearsal?.stop();
  });

  function isProtected(taskArn: string): boolean {
    return serviceTasks(rehearsal.twin, 'rdp').find((task) => task.taskArn === taskArn)?.protection.enabled === true;
  }

  async function drainControl(payload: Record<string, unknown>): Promise<Record<string, unknown>> {
    const result = await rehearsal.cloud.invoke('DrainControlFunction', payload);
    expect(result.functionError).toBeUndefined();
    return result.payload as Record<string, unknown>;
  }

  async function drainOpenOn(taskArn: string): Promise<void> {
    expect(await drainControl({ action: 'drain', taskArn, cluster: 'edge' })).toMatchObject({ ok: true, result: 'started' });
    await rehearsal.waitFor(`${taskArn} DRAINING`, async () => (await rehearsal.taskItem(taskArn))?.status === 'DRAINING', 30_000);
    // The agent sees DRAINING and refuses: the state an uninstall must not leave behind.
    expect(await rehearsal.apps.open(taskArn, `refused-${taskArn.slice(-6)}`, 60)).toBe(false);
  }

  async function waitForAccepting(taskArns: string[]): Promise<void> {
    await rehearsal.waitFor('every task accepting sessions', () => {
      const accepting = new Set(rehearsal.apps.acceptingTasks().map((task) => task.taskArn));
      return taskArns.every((taskArn) => accepting.has(taskArn));
    }, 30_000);
  }

  async function runningDrains(): Promise<string[]> {
    return (await rehearsal.drainExecutions()).filter((execution) => execution.status === 'RUNNING').map((execution) => execution.taskArn ?? '');
  }

  it('(a) DrainControl release-all: the drain stopped, the task ACTIVE and taking sessions, no task protected', async () => {
    // prepare
    const drained = tasks[0] ?? '';
    await drainOpenOn(drained);
    expect(await runningDrains()).toEqual([drained]);

    // act
    const response = await drainControl({ action: 'release-all' });

    // assert
    expect(response).toMatchObject({ ok: true, action: 'release-all', drainsStopped: 1, tasksReleased: 1, tasksUnprotected: 3, failures: 0 });
    expect(await runningDrains()).toEqual([]);
    expect(await rehearsal.taskItem(drained)).toMatchObject({ status: 'ACTIVE', drainOutcome: 'RELEASED', protectionState: 'UNPROTECTED' });
    expect(tasks.filter(isProtected)).toEqual([]);
    // Every task takes sessions again, the released one included, once its agent read its item
    // (every 5 s): openSessions throws on a refusal.
    await waitForAccepting(tasks);
    for (const [index, taskArn] of tasks.entries()) await rehearsal.openSessions(taskArn, 1, 8 * 3600, `after-release${index}`);
    // A second release has nothing left to do.
    expect(await drainControl({ action: 'release-all' })).toMatchObject({ ok: true, drainsStopped: 0, tasksReleased: 0, tasksUnprotected: 0, failures: 0 });

    // The orchestrator keeps running after the release: its next reconciler run must not give back
    // the released drain's replacement (a replacement flag left with no drain open reads as one
    // nobody gave back), or ECS would stop a task of its choice, busy ones included, now unprotected.
    const desiredAfterRelease = service(rehearsal.twin, 'rdp')?.desiredCount;
    const run = await rehearsal.cloud.invoke('ReconcilerFunction', { 'detail-type': 'Scheduled Event', source: 'aws.events', detail: {} });
    expect(run.functionError).toBeUndefined();
    expect(service(rehearsal.twin, 'rdp')?.desiredCount).toBe(desiredAfterRelease);
    // That run protects the busy tasks again (the orchestrator is still installed); (b) starts from none protected.
    await drainControl({ action: 'release-all' });
  }, 120_000);

  it('(b) deleting the stack: its custom resource releases every task before the stack is gone', async () => {
    // prepare: a new drain, and the replacement the first drain launched now holding a protected session
    const drained = tasks[1] ?? '';
    await drainOpenOn(drained);
    const replacement = await rehearsal.waitFor('the replacement running', () =>
      runningTasks(rehearsal.twin, 'rdp').find((task) => !tasks.includes(task.taskArn))?.taskArn,
    );
    await rehearsal.waitFor('the replacement accepting', () => rehearsal.apps.acceptingTasks().some((task) => task.taskArn === replacement));
    await rehearsal.openSessions(replacement, 1, 8 * 3600, 'on-replacement');
    await rehearsal.waitFor('the replacement protected', () => isProtected(replacement), 30_000);
    const desiredBefore = service(rehearsal.twin, 'rdp')?.desiredCount;

    // act
    const answers = await rehearsal.cloud.deleteStack();

    // assert
    expect(answers).toEqual([expect.objectContaining({ Status: 'SUCCESS', LogicalResourceId: 'ReleaseOnRemoval', Reason: expect.stringContaining('1 drain(s) stopped, 1 task(s) back to ACTIVE, 1 task(s) unprotected') })]);
    expect(answers[0]?.Reason).not.toContain('failure');
    expect(await runningDrains()).toEqual([]);
    expect(await rehearsal.taskItem(drained)).toMatchObject({ status: 'ACTIVE', drainOutcome: 'RELEASED' });
    expect([...tasks, replacement].filter(isProtected)).toEqual([]);
    await waitForAccepting([...tasks, replacement]);
    for (const taskArn of [...tasks, replacement]) await rehearsal.openSessions(taskArn, 1, 8 * 3600, `after-delete-${taskArn.slice(-6)}`);
    // The replacements stay as ordinary service tasks: the desired count the drains raised is left as it is.
    expect(service(rehearsal.twin, 'rdp')?.desiredCount).toBe(desiredBefore);
    expect(runningTasks(rehearsal.twin, 'rdp').map((task) => task.taskArn)).toEqual(expect.arrayContaining([...tasks, replacement]));
  }, 120_000);
});
