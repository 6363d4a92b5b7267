import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deploymentState, Rehearsal, runningTasks } from '@ecs-session-drain/local';
import { drainsByTask, taskDefinitionArn } from './support/scenario.js';

/**
 * Issue 3, scenario 6: EventBridge delivers at least once and in no particular order. Here every
 * ECS event arrives three times, each copy delayed by up to 1.5 s (seeded), through a deployment
 * and a Spot interruption. Each task still gets exactly one drain, and every drain ends.
 */
describe('every ECS event delivered three times and out of order', () => {
  let rehearsal: Rehearsal;

  beforeAll(async () => {
    // At this scale the Spot warning leaves 6 s before the kill: room for a copy delayed by 1.5 s.
    rehearsal = await Rehearsal.start({ scale: 0.05, clusterNames: ['echo'], duplicateEvents: { copies: 3, maxDelayMs: 1500, seed: 3 } });
  }, 120_000);

  afterAll(async () => {
    await rehearsal?.stop();
  });

  it('starts exactly one drain per task, and each drain reaches an outcome', async () => {
    const clusterArn = rehearsal.twin.createCluster('echo');
    rehearsal.twin.createService({ cluster: clusterArn, name: 'rooms', desiredCount: 4, capacityProvider: 'FARGATE_SPOT', taskDefinition: taskDefinitionArn(rehearsal, 'rooms', 1), stopTimeoutSeconds: 120 });
    await rehearsal.waitFor('4 tasks accepting', () => rehearsal.apps.acceptingTasks().length === 4);
    // Sessions of 20 to 32 real seconds: every task is still busy when the last one is protected, on a loaded machine too.
    for (const [index, task] of runningTasks(rehearsal.twin, 'rooms').entries()) await rehearsal.openSessions(task.taskArn, 2, (10 + 2 * index) * 40, `e${index}`);
    await rehearsal.waitFor('every task protected', () => runningTasks(rehearsal.twin, 'rooms').every((task) => task.protection.enabled));

    const deploymentId = rehearsal.twin.deploy(clusterArn, 'rooms', taskDefinitionArn(rehearsal, 'rooms', 2));
    await rehearsal.waitFor('the deployment to complete', () => deploymentState(rehearsal.twin, 'rooms', deploymentId) === 'COMPLETED', 90_000);
    const spotVictim = runningTasks(rehearsal.twin, 'rooms')[0]?.taskArn ?? '';
    // Sessions that outlive the two-minute warning: the drain ends when the reclaimed task is gone.
    await rehearsal.openSessions(spotVictim, 2, 30 * 60, 'spot');
    rehearsal.twin.interruptFargateSpot(spotVictim, 'SpotInterruption');
    await rehearsal.waitFor('the Spot task to stop', () => !runningTasks(rehearsal.twin, 'rooms').some((task) => task.taskArn === spotVictim), 30_000);
    await rehearsal.waitFor('the Spot drain to have ended, with every other', async () => {
      const executions = await rehearsal.drainExecutions();
      return executions.some((execution) => execution.reason === 'SPOT') && executions.every((execution) => execution.status !== 'RUNNING');
    }, 30_000);

    const executions = await rehearsal.drainExecutions();
    const byTask = drainsByTask(executions);
    expect([...byTask.values()].filter((names) => names.length !== 1)).toEqual([]);
    expect(executions.map((execution) => execution.status)).toEqual(executions.map(() => 'SUCCEEDED'));
    // A copy of the deployment event can arrive after an old task already left on its own (its
    // sessions ended): that drain ends TASK_GONE, which is right. What may not happen is a second drain.
    expect(executions.filter((execution) => execution.reason === 'DEPLOYMENT' && !['DRAINED', 'TASK_GONE'].includes(execution.outcome ?? ''))).toEqual([]);
    // Paced drains start as the service can spare each old task; an old task whose sessions all
    // ended first is unprotected and ECS replaces it without a drain. Never more than one per old task.
    const deploymentDrains = executions.filter((execution) => execution.reason === 'DEPLOYMENT');
    expect(deploymentDrains.length).toBeGreaterThan(0);
    expect(deploymentDrains.length).toBeLessThanOrEqual(4);
    // The Spot drain's deadline is the moment AWS stops the task, so its sessions that outlive the
    // warning end the drain one way or the other: AWS's stop (TASK_GONE) or the deadline (DEADLINE_FORCED).
    const spotDrains = executions.filter((execution) => execution.reason === 'SPOT');
    expect(spotDrains.map((execution) => execution.taskArn)).toEqual([spotVictim]);
    expect(['TASK_GONE', 'DEADLINE_FORCED']).toContain(spotDrains[0]?.outcome);
    expect(rehearsal.ledger.dropped().map((record) => record.taskArn)).toEqual([spotVictim, spotVictim]);
  });
});
