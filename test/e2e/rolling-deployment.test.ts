import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deploymentState, Rehearsal, serviceTasks } from '@ecs-session-drain/local';
import { drainingMarks, stopsVersusLastSessions, taskDefinitionArn } from './support/scenario.js';

/**
 * Issue 3, scenarios 1 and 2. The same service, workload and rolling deployment run side by side
 * in two clusters: "guarded" is in the stack's scope, "unguarded" is not, so there the orchestrator
 * never acts and ECS alone replaces the tasks (SIGTERM, SIGKILL after the 120 s stopTimeout).
 */
const SESSIONS = 40;
const durations = { medianSeconds: 6 * 60, sigma: 0.6, maxSeconds: 25 * 60 };

describe('a rolling deployment of a service holding sessions', () => {
  let rehearsal: Rehearsal;
  const deployedAt: Record<string, number> = {};
  const deploymentIds: Record<string, string> = {};

  async function deployWithSessions(cluster: string): Promise<void> {
    const clusterArn = rehearsal.twin.createCluster(cluster);
    rehearsal.twin.createService({ cluster: clusterArn, name: 'chat', desiredCount: 4, taskDefinition: taskDefinitionArn(rehearsal, 'chat', 1), stopTimeoutSeconds: 120 });
    const inCluster = (task: { clusterArn: string }) => task.clusterArn === clusterArn;
    await rehearsal.waitFor(`4 tasks accepting in ${cluster}`, () => rehearsal.apps.acceptingTasks(inCluster).length === 4);
    // A service that has run for a while (the simulated apps take sessions as soon as they run):
    // the orchestrator has seen its tasks register before the users come.
    await rehearsal.clock.sleep(150);
    const workload = rehearsal.workload({ seed: 42, arrivalsPerMinute: 5, durations, targets: inCluster, idPrefix: cluster });
    await workload.burst(SESSIONS);
    workload.start();
    await rehearsal.clock.sleep(3 * 60);

    deployedAt[cluster] = Date.now();
    deploymentIds[cluster] = rehearsal.twin.deploy(clusterArn, 'chat', taskDefinitionArn(rehearsal, 'chat', 2));
    await rehearsal.waitFor(`the ${cluster} deployment to complete`, () => deploymentState(rehearsal.twin, 'chat', deploymentIds[cluster] ?? '', cluster) === 'COMPLETED', 120_000, 200);
    await workload.stop();
  }

  beforeAll(async () => {
    rehearsal = await Rehearsal.start({ scale: 0.01, clusterNames: ['guarded'] });
    await Promise.all([deployWithSessions('guarded'), deployWithSessions('unguarded')]);
  }, 180_000);

  afterAll(async () => {
    await rehearsal?.stop();
  });

  const sessionsIn = (cluster: string) => rehearsal.ledger.records().filter((record) => record.id.startsWith(`${cluster}-`) && record.end !== 'rejected');

  it('drops no session, and stops each old task only after its last session closed', () => {
    const oldTasks = stopsVersusLastSessions(rehearsal, 'chat', 'guarded').filter((task) => task.taskDefinitionArn.endsWith(':1'));

    expect(sessionsIn('guarded').filter((record) => record.end === 'dropped')).toEqual([]);
    expect(oldTasks).toHaveLength(4);
    for (const task of oldTasks) {
      expect(task.stillOpenOrDropped, task.taskArn).toBe(0);
      expect(task.lastSessionEnded, task.taskArn).toBeLessThanOrEqual(task.stopRequested);
    }
    expect(oldTasks.some((task) => task.sessions > 0)).toBe(true);
  });

  it('sends new sessions to the new tasks once the old ones drain, and completes the deployment', async () => {
    const tasks = serviceTasks(rehearsal.twin, 'chat', 'guarded');
    const newTaskArns = new Set(tasks.filter((task) => task.taskDefinitionArn.endsWith(':2')).map((task) => task.taskArn));
    const marks = await drainingMarks(rehearsal);
    const oldTaskArns = tasks.filter((task) => task.taskDefinitionArn.endsWith(':1')).map((task) => task.taskArn);
    // Drains start as the service can spare each old task; from its mark on, a task refuses sessions.
    const lastMarked = Math.max(...oldTaskArns.map((taskArn) => marks.get(taskArn) ?? Number.POSITIVE_INFINITY));
    const lateSessions = rehearsal.ledger.records().filter((record) => record.id.startsWith('guarded-') && record.openedAt > lastMarked);

    expect(deploymentState(rehearsal.twin, 'chat', deploymentIds.guarded ?? '', 'guarded')).toBe('COMPLETED');
    expect(oldTaskArns.filter((taskArn) => !marks.has(taskArn))).toEqual([]);
    expect(lateSessions.length).toBeGreaterThan(0);
    expect(lateSessions.filter((record) => record.end === 'rejected' || !newTaskArns.has(record.taskArn ?? ''))).toEqual([]);
  });

  it('refuses no more sessions than ECS alone does with the same users', () => {
    const refused = (cluster: string) => rehearsal.ledger.records().filter((record) => record.id.startsWith(`${cluster}-`) && record.end === 'rejected');

    expect(refused('guarded').length).toBeLessThanOrEqual(refused('unguarded').length);
  });

  it('drops sessions when the orchestrator is not there (the cluster outside its scope)', () => {
    const dropped = sessionsIn('unguarded').filter((record) => record.end === 'dropped');

    expect(dropped.length).toBeGreaterThan(0);
    expect(new Set(dropped.map((record) => record.dropCause))).toEqual(new Set(['SIGKILL']));
  });
});
