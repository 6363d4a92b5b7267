import { StopExecutionCommand } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rehearsal } from '../../local/rehearsal/rehearsal.js';
import { runningTasks } from '../../local/rehearsal/twin-queries.js';
import { taskDefinitionArn } from './support/scenario.js';

/**
 * Issue 12: a drain's workflow that ends without finishing the drain is learnt of from its
 * "Step Functions Execution Status Change" event (local/moto_execution_events.py sends them as AWS
 * does), not by the reconciler asking Step Functions about every open drain. The reconciler is
 * kept out of the way here, so only the event can restart the drain.
 */
describe('a drain whose workflow was stopped by hand', () => {
  let rehearsal: Rehearsal;
  let taskArn: string;

  beforeAll(async () => {
    rehearsal = await Rehearsal.start({ scale: 0.01, clusterNames: ['edge'], reconcilerPeriodMs: 3_600_000 });
    const clusterArn = rehearsal.twin.createCluster('edge');
    rehearsal.twin.createService({ cluster: clusterArn, name: 'rdp', desiredCount: 2, taskDefinition: taskDefinitionArn(rehearsal, 'rdp', 1) });
    await rehearsal.waitFor('2 tasks accepting', () => rehearsal.apps.acceptingTasks().length === 2);
    taskArn = runningTasks(rehearsal.twin, 'rdp')[0]?.taskArn ?? '';
    await rehearsal.openSessions(taskArn, 2, 8 * 3600, 'kept');
  }, 120_000);

  afterAll(async () => {
    await rehearsal?.stop();
  });

  it('is restarted by ExecutionEndedFunction from the ABORTED event, the task still draining with its sessions', async () => {
    // prepare: a drain waiting for two sessions
    const drained = await rehearsal.cloud.invoke('DrainControlFunction', { action: 'drain', taskArn, cluster: 'edge', deadline: new Date(Date.now() + 240_000).toISOString() });
    expect(drained.functionError).toBeUndefined();
    const waiting = await rehearsal.waitFor('the drain to wait for sessions', async () => {
      const item = await rehearsal.taskItem(taskArn);
      return item?.status === 'DRAINING' && item.taskToken !== undefined ? item : undefined;
    });
    const first = waiting.executionArn ?? '';

    // act: an operator stops the execution in the console
    await rehearsal.sfn.send(new StopExecutionCommand({ executionArn: first, error: 'Operator', cause: 'stopped by hand' }));

    // assert: attempt 2 runs and waits again; nothing was stopped, no session dropped
    const restarted = await rehearsal.waitFor('the drain to be restarted', async () => {
      const item = await rehearsal.taskItem(taskArn);
      return item?.executionArn !== undefined && item.executionArn !== first && item.taskToken !== undefined ? item : undefined;
    }, 45_000, 200);
    expect(restarted.executionArn).toBe(first.replace(/-1$/, '-2'));
    expect(restarted).toMatchObject({ status: 'DRAINING', drainAttempt: 2, drainReason: 'MANUAL', sessionCount: 2 });
    const executions = await rehearsal.drainExecutions();
    expect(executions.filter((execution) => execution.taskArn === taskArn).map((execution) => [execution.name.slice(-2), execution.status]).sort()).toEqual([
      ['-1', 'ABORTED'],
      ['-2', 'RUNNING'],
    ]);
    expect(runningTasks(rehearsal.twin, 'rdp').some((task) => task.taskArn === taskArn)).toBe(true);
    expect(rehearsal.ledger.summary()).toMatchObject({ dropped: 0, rejected: 0 });
  });
});
