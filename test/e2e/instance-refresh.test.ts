import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { liveTasks, Rehearsal, runningTasks } from '@ecs-session-drain/local';
import { sessionsOn, stopsVersusLastSessions, taskDefinitionArn } from './support/scenario.js';

/**
 * Issue 16: an instance refresh of an Auto Scaling group whose terminate lifecycle hook the user
 * added for the orchestrator. Each old instance waits in Terminating:Wait while the tasks on it
 * drain session-aware (a replacement each, on the new instances), is kept alive with heartbeats,
 * and goes when the orchestrator sends CONTINUE after its last session-holding task stopped. The
 * twin keeps its default: protection does not hold a task on a DRAINING instance, and the
 * orchestrator never sets one DRAINING.
 */
describe('an instance refresh of an Auto Scaling group with a terminate lifecycle hook', () => {
  let rehearsal: Rehearsal;
  let clusterArn: string;
  let oldInstances: string[];

  beforeAll(async () => {
    rehearsal = await Rehearsal.start({ scale: 0.01, clusterNames: ['fleet'] });
    clusterArn = rehearsal.twin.createCluster('fleet');
    // A heartbeat timeout of 3000 scenario seconds is 30 real seconds here: the reconciler (every 2 s) keeps each action alive.
    oldInstances = rehearsal.autoScaling.createGroup('fleet-asg', {
      cluster: clusterArn,
      size: 2,
      lifecycleHooks: [{ name: 'ecs-session-drain', heartbeatTimeoutSeconds: 3000, defaultResult: 'CONTINUE' }],
    });
    rehearsal.twin.createService({ cluster: clusterArn, name: 'desktops', desiredCount: 4, launchType: 'EC2', taskDefinition: taskDefinitionArn(rehearsal, 'desktops', 1) });
    await rehearsal.waitFor('4 tasks accepting', () => rehearsal.apps.acceptingTasks().length === 4);
  }, 120_000);

  afterAll(async () => {
    await rehearsal?.stop();
  });

  it('drains every session-holding task on the old instances before they go: 0 sessions dropped, each action completed by CONTINUE', async () => {
    // prepare: sessions of 6 to 12 scenario minutes (3.6 to 7.2 real seconds) on every task. The
    // refresh starts at once: the drains, not protection, keep these sessions (ECS is never asked
    // to drain the instances, and a terminated instance takes protected tasks too).
    const tasks = runningTasks(rehearsal.twin, 'desktops');
    for (const [index, task] of tasks.entries()) await rehearsal.openSessions(task.taskArn, 3, (6 + index * 2) * 60, `r${index}`);
    const instanceOf = new Map(tasks.map((task) => [task.taskArn, rehearsal.twin.snapshot().containerInstances.find((instance) => instance.containerInstanceArn === task.containerInstanceArn)?.ec2InstanceId]));

    // act
    await rehearsal.autoScaling.startInstanceRefresh('fleet-asg');
    await rehearsal.waitFor('4 tasks running on the new instances', () => runningTasks(rehearsal.twin, 'desktops').length === 4, 30_000);

    // assert: both old instances went through the hook, ended by the orchestrator's CONTINUE
    const actions = rehearsal.autoScaling.actions;
    expect(actions.map((action) => action.instanceId).sort()).toEqual([...oldInstances].sort());
    for (const action of actions) expect(action, action.instanceId).toMatchObject({ endedBy: 'CompleteLifecycleAction', result: 'CONTINUE' });
    expect(rehearsal.autoScaling.instancesOf('fleet-asg').filter((id) => oldInstances.includes(id))).toEqual([]);
    // every original task stopped only after its last session, and its instance went after that
    const stops = stopsVersusLastSessions(rehearsal, 'desktops', 'fleet').filter((stop) => tasks.some((task) => task.taskArn === stop.taskArn));
    expect(stops.map((stop) => stop.taskArn).sort()).toEqual(tasks.map((task) => task.taskArn).sort());
    for (const stop of stops) {
      expect(stop.stillOpenOrDropped, stop.taskArn).toBe(0);
      expect(stop.lastSessionEnded, stop.taskArn).toBeLessThanOrEqual(stop.stopRequested);
      const action = actions.find((candidate) => candidate.instanceId === instanceOf.get(stop.taskArn));
      expect(action?.endedAt?.getTime() ?? 0, stop.taskArn).toBeGreaterThanOrEqual(stop.lastSessionEnded);
    }
    expect(tasks.flatMap((task) => sessionsOn(rehearsal, task.taskArn)).length).toBe(12);
    expect(liveTasks(rehearsal.twin, 'desktops').every((task) => !oldInstances.includes(instanceOf.get(task.taskArn) ?? ''))).toBe(true);
    await rehearsal.waitFor('every drain to end', async () => (await rehearsal.drainExecutions()).every((execution) => execution.status !== 'RUNNING'), 30_000);
    const instanceDrains = (await rehearsal.drainExecutions()).filter((execution) => execution.reason === 'INSTANCE' && tasks.some((task) => task.taskArn === execution.taskArn));
    expect(instanceDrains.map((execution) => execution.outcome)).toEqual(['DRAINED', 'DRAINED', 'DRAINED', 'DRAINED']);
    expect(rehearsal.ledger.dropped()).toEqual([]);
    expect(rehearsal.errors).toEqual([]);
  }, 120_000);
});
