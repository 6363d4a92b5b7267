import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { liveTasks, Rehearsal, runningTasks, service } from '@ecs-session-drain/local';
import { taskDefinitionArn } from './support/scenario.js';

/**
 * Issue 3, scenario 4: a scale-in while every task holds sessions. ECS cannot stop a protected
 * task, so the service stays above its desired count until the reconciler drains the task with
 * the fewest sessions; once it is empty it is stopped and the desired count holds. Should the
 * desired count be raised again first, the drain is given back and the task serves again.
 */
describe('a scale-in of a service whose tasks all hold sessions', () => {
  let rehearsal: Rehearsal;
  let clusterArn: string;
  const sessionsPerTask = [5, 2, 7, 4];

  beforeAll(async () => {
    rehearsal = await Rehearsal.start({ scale: 0.01, clusterNames: ['games'] });
    clusterArn = rehearsal.twin.createCluster('games');
    rehearsal.twin.createService({ cluster: clusterArn, name: 'lobby', desiredCount: 4, taskDefinition: taskDefinitionArn(rehearsal, 'lobby', 1) });
    await rehearsal.waitFor('4 tasks accepting', () => rehearsal.apps.acceptingTasks().length === 4);
  }, 120_000);

  afterAll(async () => {
    await rehearsal?.stop();
  });

  it('drains and stops the task with the fewest sessions, and honours the desired count', async () => {
    const tasks = runningTasks(rehearsal.twin, 'lobby').map((task) => task.taskArn);
    for (const [index, taskArn] of tasks.entries()) {
      const lightest = sessionsPerTask[index] === 2;
      // The lightest task's sessions outlast the protection wait on a loaded machine (18 s at this
      // scale): had they ended first, ECS would meet the scale-in by stopping it unprotected.
      await rehearsal.openSessions(taskArn, sessionsPerTask[index] ?? 1, lightest ? 30 * 60 : 90 * 60, `t${index}`);
    }
    const lightestTask = tasks[sessionsPerTask.indexOf(2)];
    await rehearsal.waitFor('every task protected', () => runningTasks(rehearsal.twin, 'lobby').every((task) => task.protection.enabled));

    rehearsal.twin.setDesiredCount(clusterArn, 'lobby', 3);
    await rehearsal.waitFor('3 tasks left', () => liveTasks(rehearsal.twin, 'lobby').length === 3, 90_000);
    await rehearsal.clock.sleep(13 * 60);

    const executions = await rehearsal.drainExecutions();
    expect(executions.map((execution) => [execution.reason, execution.outcome, execution.taskArn])).toEqual([['SCALE_IN', 'DRAINED', lightestTask]]);
    expect(liveTasks(rehearsal.twin, 'lobby').map((task) => task.taskArn).sort()).toEqual(tasks.filter((arn) => arn !== lightestTask).sort());
    expect(service(rehearsal.twin, 'lobby')?.desiredCount).toBe(3);
    expect(rehearsal.ledger.dropped()).toEqual([]);
  });

  it('gives a scale-in drain back when the desired count is raised again before the task empties', async () => {
    // prepare: a second service whose three tasks hold sessions for longer than the scenario
    rehearsal.twin.createService({ cluster: clusterArn, name: 'arena', desiredCount: 3, taskDefinition: taskDefinitionArn(rehearsal, 'arena', 1) });
    const tasks = await rehearsal.waitFor('3 arena tasks accepting', () => {
      const running = runningTasks(rehearsal.twin, 'arena').map((task) => task.taskArn);
      return running.length === 3 && running.every((arn) => rehearsal.apps.acceptingTasks().some((task) => task.taskArn === arn)) ? running : undefined;
    });
    for (const [index, taskArn] of tasks.entries()) await rehearsal.openSessions(taskArn, 1 + index, 120 * 60, `arena${index}`);
    await rehearsal.waitFor('every arena task protected', () => runningTasks(rehearsal.twin, 'arena').every((task) => task.protection.enabled));
    rehearsal.twin.setDesiredCount(clusterArn, 'arena', 2);
    const lightest = tasks[0] ?? '';
    await rehearsal.waitFor('the lightest arena task draining', async () => (await rehearsal.taskItem(lightest))?.status === 'DRAINING', 60_000);

    // act: the load came back
    rehearsal.twin.setDesiredCount(clusterArn, 'arena', 3);

    // assert: the drain ends CANCELLED, the task serves again, protected, and nothing else moved
    const ended = await rehearsal.waitFor('the scale-in drain to end', async () => {
      const executions = (await rehearsal.drainExecutions()).filter((execution) => tasks.includes(execution.taskArn ?? ''));
      return executions.length > 0 && executions.every((execution) => execution.status === 'SUCCEEDED') ? executions : undefined;
    }, 60_000);
    expect(ended.map((execution) => [execution.reason, execution.outcome, execution.taskArn])).toEqual([['SCALE_IN', 'CANCELLED', lightest]]);
    await rehearsal.waitFor('the task accepting sessions again', () => rehearsal.apps.acceptingTasks().some((task) => task.taskArn === lightest), 30_000);
    expect((await rehearsal.taskItem(lightest))?.status).toBe('ACTIVE');
    expect(runningTasks(rehearsal.twin, 'arena').find((task) => task.taskArn === lightest)?.protection.enabled).toBe(true);
    expect(liveTasks(rehearsal.twin, 'arena').map((task) => task.taskArn).sort()).toEqual([...tasks].sort());
    expect(rehearsal.ledger.dropped()).toEqual([]);
  });
});
