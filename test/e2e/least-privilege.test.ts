import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deploymentState, type DrainExecution, type InvocationRecord, Rehearsal, runningTasks } from '@ecs-session-drain/local';
import { taskDefinitionArn } from './support/scenario.js';

/**
 * Issue 6, "enforcement bites". The local cloud runs every function under its template role
 * (iam: 'enforce', the default). A rolling deployment of a service holding sessions drains each
 * old task with the template's roles; the same scenario, once the stop-task function's role has
 * lost one needed statement (ecs:StopTask, policy EcsStopTaskPolicy), no longer completes: the
 * step fails with AccessDeniedException and the drains end FAILED.
 */
describe('least privilege, enforced: a rolling deployment drain', () => {
  let rehearsal: Rehearsal;
  let clusterArn: string;
  const invocations: InvocationRecord[] = [];

  beforeAll(async () => {
    rehearsal = await Rehearsal.start({ scale: 0.01, clusterNames: ['sessions'] });
    rehearsal.cloud.functions.onInvocation((record) => invocations.push(record));
    clusterArn = rehearsal.twin.createCluster('sessions');
    rehearsal.twin.createService({ cluster: clusterArn, name: 'chat', desiredCount: 2, taskDefinition: taskDefinitionArn(rehearsal, 'chat', 1), stopTimeoutSeconds: 120 });
    await rehearsal.waitFor('2 tasks accepting', () => rehearsal.apps.acceptingTasks().length === 2);
  }, 120_000);

  afterAll(async () => {
    await rehearsal?.stop();
  });

  /** Deploys a new revision over tasks holding sessions; resolves with the old tasks' ended drains. */
  async function rollOut(revision: number): Promise<{ deploymentId: string; drains: DrainExecution[] }> {
    const oldTasks = runningTasks(rehearsal.twin, 'chat').map((task) => task.taskArn);
    // 1200 scenario seconds (12 s real) outlast the replacements' start-up and the paced drain's start
    // on a loaded machine; with 300 (3 s real) both old tasks emptied first and ECS stopped them: TASK_GONE.
    for (const [index, taskArn] of oldTasks.entries()) await rehearsal.openSessions(taskArn, 2, 1200, `r${revision}-${index}`);
    // Deploy once the tasks are protected, or ECS replaces them before any drain can begin.
    await rehearsal.waitFor('the old tasks to be protected', async () => {
      const items = await Promise.all(oldTasks.map((taskArn) => rehearsal.taskItem(taskArn)));
      return items.every((item) => item?.protectionState === 'PROTECTED');
    });
    const deploymentId = rehearsal.twin.deploy(clusterArn, 'chat', taskDefinitionArn(rehearsal, 'chat', revision));
    const drains = await rehearsal.waitFor(
      `the drains of revision ${revision - 1}'s tasks to end`,
      async () => {
        const ended = (await rehearsal.drainExecutions()).filter((execution) => oldTasks.includes(execution.taskArn ?? '') && execution.status !== 'RUNNING');
        return ended.length === oldTasks.length ? ended : undefined;
      },
      45_000,
      250,
    );
    return { deploymentId, drains };
  }

  it('drains every old task with the template roles, and nothing is refused', async () => {
    const { deploymentId, drains } = await rollOut(2);

    expect(drains.map((drain) => [drain.status, drain.outcome])).toEqual([
      ['SUCCEEDED', 'DRAINED'],
      ['SUCCEEDED', 'DRAINED'],
    ]);
    await rehearsal.waitFor('the deployment to complete', () => deploymentState(rehearsal.twin, 'chat', deploymentId) === 'COMPLETED', 30_000, 200);
    expect(rehearsal.ledger.records().filter((record) => record.end === 'dropped')).toEqual([]);
    expect(rehearsal.cloud.iam?.denials()).toEqual([]);
    expect(invocations.filter((record) => !record.execution.ok).map((record) => record.logicalId)).toEqual([]);
  }, 90_000);

  it('fails the same drains once StopDrainedTaskFunction loses ecs:StopTask, with AccessDeniedException', async () => {
    await rehearsal.cloud.iam?.revoke('StopDrainedTaskFunction', { policy: 'EcsStopTaskPolicy' });

    const { drains } = await rollOut(3);

    expect(drains.map((drain) => drain.status)).toEqual(['FAILED', 'FAILED']);
    const refused = rehearsal.cloud.iam?.denials() ?? [];
    expect(refused.map((denial) => denial.action)).toContain('ecs:StopTask');
    expect(refused[0]?.principal).toMatch(/assumed-role\/ecs-session-drain-StopDrainedTaskFunctionRole\//);
    const failedSteps = invocations.filter((record) => record.logicalId === 'StopDrainedTaskFunction' && !record.execution.ok);
    expect(failedSteps.length).toBeGreaterThanOrEqual(2);
    for (const step of failedSteps) {
      expect(step.execution.ok ? undefined : step.execution.error).toMatchObject({ errorType: 'AccessDeniedException', errorMessage: expect.stringContaining('ecs:StopTask') });
    }
  }, 90_000);
});
