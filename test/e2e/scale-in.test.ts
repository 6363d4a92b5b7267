import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rehearsal } from '../../local/rehearsal/rehearsal.js';
import { liveTasks, runningTasks, service } from '../../local/rehearsal/twin-queries.js';
import { taskDefinitionArn } from './support/scenario.js';

/**
 * Issue 3, scenario 4: a scale-in while every task holds sessions. ECS cannot stop a protected
 * task, so the service stays above its desired count until the reconciler drains the task with
 * the fewest sessions; once it is empty it is stopped and the desired count holds.
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
      await rehearsal.openSessions(taskArn, sessionsPerTask[index] ?? 1, lightest ? 12 * 60 : 60 * 60, `t${index}`);
    }
    const lightestTask = tasks[sessionsPerTask.indexOf(2)];
    await rehearsal.waitFor('every task protected', () => runningTasks(rehearsal.twin, 'lobby').every((task) => task.protection.enabled));

    rehearsal.twin.setDesiredCount(clusterArn, 'lobby', 3);
    await rehearsal.waitFor('3 tasks left', () => liveTasks(rehearsal.twin, 'lobby').length === 3, 60_000);
    await rehearsal.clock.sleep(13 * 60);

    const executions = await rehearsal.drainExecutions();
    expect(executions.map((execution) => [execution.reason, execution.outcome, execution.taskArn])).toEqual([['SCALE_IN', 'DRAINED', lightestTask]]);
    expect(liveTasks(rehearsal.twin, 'lobby').map((task) => task.taskArn).sort()).toEqual(tasks.filter((arn) => arn !== lightestTask).sort());
    expect(service(rehearsal.twin, 'lobby')?.desiredCount).toBe(3);
    expect(rehearsal.ledger.dropped()).toEqual([]);
  });
});
