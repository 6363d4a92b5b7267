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

  it('drains the tasks of an instance AWS Health schedules for retirement ahead of the retirement, its start as deadline', async () => {
    // prepare: the sessions of one (new) instance's tasks, and its retirement 90 real seconds away
    const tasks = runningTasks(rehearsal.twin, 'desktops');
    const containerInstanceArn = tasks[0]?.containerInstanceArn;
    const onInstance = tasks.filter((task) => task.containerInstanceArn === containerInstanceArn);
    const instanceId = rehearsal.twin.snapshot().containerInstances.find((instance) => instance.containerInstanceArn === containerInstanceArn)?.ec2InstanceId ?? '';
    for (const [index, task] of onInstance.entries()) await rehearsal.openSessions(task.taskArn, 2, (6 + index * 2) * 60, `h${index}`);
    const startTime = new Date(Math.ceil(Date.now() / 1000) * 1000 + 90_000);

    // act: AWS Health's event, as the schema page shows EC2 scheduled events (an HTTP-date startTime)
    await rehearsal.cloud.publish({
      version: '0',
      id: 'a1b2c3d4-0000-4000-8000-000000000001',
      'detail-type': 'AWS Health Event',
      source: 'aws.health',
      account: rehearsal.cloud.stack.accountId,
      time: `${new Date().toISOString().slice(0, 19)}Z`,
      region: rehearsal.cloud.stack.region,
      resources: [instanceId],
      detail: {
        eventArn: `arn:aws:health:${rehearsal.cloud.stack.region}::event/EC2/AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED/AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED_e2e`,
        service: 'EC2',
        eventTypeCode: 'AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED',
        eventTypeCategory: 'scheduledChange',
        statusCode: 'upcoming',
        startTime: startTime.toUTCString(),
        eventDescription: [{ language: 'en_US', latestDescription: 'The instance is scheduled for retirement.' }],
        affectedEntities: [{ entityValue: instanceId }],
      },
    });
    const deadlines = await rehearsal.waitFor('the instance\'s tasks draining', async () => {
      const items = await Promise.all(onInstance.map((task) => rehearsal.taskItem(task.taskArn)));
      return items.every((item) => item?.status === 'DRAINING') ? items.map((item) => item?.drainDeadline) : undefined;
    }, 30_000);
    // (Their replacements may land on the same instance: it stays ACTIVE until EC2 retires it.)
    await rehearsal.waitFor('the drained tasks to stop', () => !liveTasks(rehearsal.twin, 'desktops').some((task) => onInstance.some((drained) => drained.taskArn === task.taskArn)), 60_000);

    // assert: each task stopped after its last session and before the retirement; nothing dropped
    expect(deadlines).toEqual(onInstance.map(() => startTime.toISOString()));
    const stops = stopsVersusLastSessions(rehearsal, 'desktops', 'fleet').filter((stop) => onInstance.some((task) => task.taskArn === stop.taskArn));
    expect(stops).toHaveLength(onInstance.length);
    for (const stop of stops) {
      expect(stop.stillOpenOrDropped, stop.taskArn).toBe(0);
      expect(stop.lastSessionEnded, stop.taskArn).toBeLessThanOrEqual(stop.stopRequested);
      expect(stop.stopRequested, stop.taskArn).toBeLessThan(startTime.getTime());
    }
    expect(rehearsal.ledger.dropped()).toEqual([]);
  }, 120_000);
});
