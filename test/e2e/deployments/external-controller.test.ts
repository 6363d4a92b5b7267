import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Rehearsal } from '@ecs-session-drain/local';
import { functionLog, metricCount, onBothSides, report, revision, type Side, type SideRun, startPair, startRehearsal, within } from './support.js';

/*
 * A service whose deployments an EXTERNAL controller runs through task sets (README "Deployment
 * kinds": the orchestrator does nothing for them, logs one line and counts DeploymentsNotPaced).
 * The controller deploys as such controllers do: a new task set at 100 %, made primary once its
 * tasks are healthy, the old one scaled to 0 and deleted; ECS stops the old tasks (SIGTERM, SIGKILL
 * after 120 s). The orchestrator cannot hold them (the twin, as AWS documents nothing else, lets
 * scale-in protection hold no task a task set scales in), so users lose what they lose under ECS
 * alone: the scenario asserts they lose no more, and that the orchestrator stayed out of the way.
 */
const NAME = 'external';

interface TaskSetView {
  id: string;
  taskSetArn: string;
  status: string;
  taskDefinition: string;
  runningCount: number;
  stabilityStatus: string;
}

describe('an EXTERNAL deployment controller replacing its task set', () => {
  let rehearsal: Rehearsal;
  let runs: Record<Side, SideRun>;
  const sets = new Map<SideRun, { blue: TaskSetView; green: TaskSetView }>();

  const api = async <T>(run: { clusterArn: string }, operation: string, input: Record<string, unknown>) =>
    (await rehearsal.twin.api.handle(operation, { cluster: run.clusterArn, service: NAME, ...input })) as T;
  const taskSets = async (run: SideRun) => (await api<{ taskSets: TaskSetView[] }>(run, 'DescribeTaskSets', {})).taskSets;

  beforeAll(async () => {
    rehearsal = await startRehearsal();
    // The revisions the controller's task sets run, registered before it names them (CreateTaskSet refuses others, as ECS does).
    for (const number of [1, 2]) rehearsal.twin.registerTaskDefinition(revision(rehearsal, NAME, number));
    runs = await startPair(
      rehearsal,
      { name: NAME, desiredCount: 4, deploymentController: 'EXTERNAL' },
      { afterCreate: async (run) => void (await api(run, 'CreateTaskSet', { taskDefinition: revision(rehearsal, NAME, 1), scale: { value: 100, unit: 'PERCENT' } })) },
    );
    await onBothSides(runs, async (run) => {
      const [blue] = await taskSets(run);
      if (blue === undefined) throw new Error(`${run.label} has no task set`);
      run.deploying();
      const { taskSet: green } = await api<{ taskSet: TaskSetView }>(run, 'CreateTaskSet', { taskDefinition: revision(rehearsal, NAME, 2), scale: { value: 100, unit: 'PERCENT' } });
      sets.set(run, { blue, green });
      // The controller moves production once the new tasks passed their health checks.
      await within(rehearsal, `${run.label}'s new task set to be healthy`, 30 * 60, () => run.tasks().filter((task) => task.startedBy === green.id && task.healthStatus === 'HEALTHY').length === 4, run);
      await api(run, 'UpdateServicePrimaryTaskSet', { primaryTaskSet: green.taskSetArn });
      await api(run, 'UpdateTaskSet', { taskSet: blue.id, scale: { value: 0, unit: 'PERCENT' } });
      await within(rehearsal, `${run.label}'s old task set to scale in`, 30 * 60, () => run.tasks().filter((task) => task.startedBy === blue.id).every((task) => task.lastStatus === 'STOPPED'), run);
      await api(run, 'DeleteTaskSet', { taskSet: blue.id });
      await within(rehearsal, `${run.label}'s old task set to go`, 30 * 60, async () => (await taskSets(run)).length === 1, run);
      await rehearsal.clock.sleep(3 * 60);
      await run.finish();
    });
    report('EXTERNAL controller', runs);
  }, 180_000);

  afterAll(async () => {
    await rehearsal?.stop();
  });

  it('ends as the controller meant: the new task set alone serves, as PRIMARY, on both sides', async () => {
    for (const run of Object.values(runs)) {
      const { green } = sets.get(run) ?? {};
      expect((await taskSets(run)).map((set) => [set.id, set.status, set.taskDefinition, set.runningCount, set.stabilityStatus]), run.label).toEqual([
        [green?.id, 'PRIMARY', revision(rehearsal, NAME, 2), 4, 'STEADY_STATE'],
      ]);
      expect(run.running().every((task) => task.startedBy === green?.id), run.label).toBe(true);
    }
  });

  it('leaves the task sets alone: no drain started for the service, and each event about it counted as DeploymentsNotPaced', async () => {
    const guarded = runs.guarded;
    expect(await guarded.drains()).toEqual([]);
    const notPaced = functionLog(rehearsal, 'DeploymentPacerFunction').filter((line) => line.message === 'event rejected' && String(line.reason ?? '').includes(`service ${NAME} uses the EXTERNAL deployment controller`));
    expect(notPaced.length).toBeGreaterThan(0);
    expect(metricCount(rehearsal, 'DeploymentPacerFunction', 'DeploymentsNotPaced')).toBeGreaterThan(0);
    expect(await guarded.leftDraining()).toEqual([]);
  });

  it('drops no more sessions than ECS alone does with the same users, and ECS alone does drop some (the scenario can fail)', () => {
    expect(runs.unguarded.dropped().length).toBeGreaterThan(0);
    // The orchestrator takes no action on this service (the test above), so both sides are ECS alone;
    // users land on tasks in real-time order, and two such runs differ by a session or two (14 against 15 in CI).
    expect(runs.guarded.dropped().length).toBeLessThanOrEqual(runs.unguarded.dropped().length + 2);
  });

  it('refuses no more users than ECS alone does with the same users', () => {
    expect(runs.guarded.refused().length).toBeLessThanOrEqual(runs.unguarded.refused().length);
  });
});
