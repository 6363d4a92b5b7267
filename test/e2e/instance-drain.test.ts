import { ECSClient, UpdateContainerInstancesStateCommand } from '@aws-sdk/client-ecs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { liveTasks, Rehearsal, runningTasks } from '@ecs-session-drain/local';
import { sessionsOn, stopsVersusLastSessions, taskDefinitionArn } from './support/scenario.js';

/**
 * Issue 3, scenario 5: an operator sets an EC2 container instance to DRAINING (as an instance
 * refresh does), through the ECS API. The tasks on it are drained session-aware: each stops only
 * once its sessions have closed, and the service keeps its size on the other instances.
 */
describe('a container instance set to DRAINING', () => {
  let rehearsal: Rehearsal;
  let clusterArn: string;

  beforeAll(async () => {
    // AWS documents that protection holds against scale-in and deployments; whether it holds a task
    // on a DRAINING instance is not documented. This scenario assumes it does (README, Limits).
    rehearsal = await Rehearsal.start({ scale: 0.01, clusterNames: ['fleet'], drainingHonoursProtection: true });
    clusterArn = rehearsal.twin.createCluster('fleet');
    for (let index = 0; index < 3; index += 1) rehearsal.twin.registerContainerInstance(clusterArn, { ec2InstanceId: `i-0f1ee7000000000${index}` });
    rehearsal.twin.createService({ cluster: clusterArn, name: 'desktops', desiredCount: 4, launchType: 'EC2', taskDefinition: taskDefinitionArn(rehearsal, 'desktops', 1) });
    await rehearsal.waitFor('4 tasks accepting', () => rehearsal.apps.acceptingTasks().length === 4);
  }, 120_000);

  afterAll(async () => {
    await rehearsal?.stop();
  });

  it('drains the tasks on the instance session-aware and keeps the service whole elsewhere', async () => {
    // Users who stay until the test lets them go: sessions of a fixed length could end before the
    // instance is set DRAINING on a busy machine, and an idle task then leaves without a drain.
    const tasks = runningTasks(rehearsal.twin, 'desktops');
    for (const [index, task] of tasks.entries()) await rehearsal.openSessions(task.taskArn, 3, 8 * 3600, `d${index}`);
    await rehearsal.waitFor('every task protected', () => runningTasks(rehearsal.twin, 'desktops').every((task) => task.protection.enabled));
    const instanceArn = tasks[0]?.containerInstanceArn ?? '';
    const onInstance = tasks.filter((task) => task.containerInstanceArn === instanceArn).map((task) => task.taskArn);
    const ecs = new ECSClient(rehearsal.cloud.clientConfig);

    await ecs.send(new UpdateContainerInstancesStateCommand({ cluster: 'fleet', containerInstances: [instanceArn], status: 'DRAINING' }));
    await rehearsal.waitFor('the instance\'s tasks DRAINING', async () => (await Promise.all(onInstance.map((taskArn) => rehearsal.taskItem(taskArn)))).every((item) => item?.status === 'DRAINING'), 60_000, 250);
    // The users of the instance's tasks leave one task after the other.
    for (const taskArn of onInstance) await rehearsal.apps.endSessions(taskArn);
    await rehearsal.waitFor('the instance to hold no task', () => !liveTasks(rehearsal.twin, 'desktops').some((task) => task.containerInstanceArn === instanceArn), 90_000);
    await rehearsal.waitFor('4 tasks running elsewhere', () => runningTasks(rehearsal.twin, 'desktops').length === 4, 30_000);

    // Replacement tasks started for the drain may be stopped again when their capacity is given back;
    // of the tasks that held sessions, exactly those on the instance were stopped.
    const original = new Set(tasks.map((task) => task.taskArn));
    const stops = stopsVersusLastSessions(rehearsal, 'desktops', 'fleet').filter((stop) => original.has(stop.taskArn));
    expect(stops.map((stop) => stop.taskArn).sort()).toEqual([...onInstance].sort());
    for (const stop of stops) {
      expect(stop.stillOpenOrDropped, stop.taskArn).toBe(0);
      expect(stop.lastSessionEnded, stop.taskArn).toBeLessThanOrEqual(stop.stopRequested);
    }
    expect(onInstance.flatMap((taskArn) => sessionsOn(rehearsal, taskArn)).length).toBeGreaterThan(0);
    await rehearsal.waitFor('every drain to end', async () => (await rehearsal.drainExecutions()).every((execution) => execution.status !== 'RUNNING'), 30_000);
    const executions = await rehearsal.drainExecutions();
    const instanceDrains = executions.filter((execution) => execution.reason === 'INSTANCE');
    // Once a task's last session closed, its drain stops it (DRAINED); if ECS stops the unprotected,
    // empty task on the DRAINING instance first, the drain ends TASK_GONE. Either way after the last
    // session (asserted above), which is what matters; on a busy machine the second happens too.
    expect(instanceDrains.map((execution) => execution.taskArn).sort()).toEqual([...onInstance].sort());
    for (const execution of instanceDrains) expect(['DRAINED', 'TASK_GONE'], execution.taskArn).toContain(execution.outcome);
    // Giving the replacement capacity back can leave the service one task over for a moment; the
    // reconciler may drain an idle one for that, never a task that holds sessions.
    expect(executions.filter((execution) => execution.reason !== 'INSTANCE' && (execution.sessionsAtStart ?? 0) > 0)).toEqual([]);
    expect(rehearsal.ledger.dropped()).toEqual([]);
  });
});
