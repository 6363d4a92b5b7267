import type { Rehearsal } from '@ecs-session-drain/local';
import { describe, expect, it } from 'vitest';
import { type BenchConfig, DEFAULT_CONFIG } from '../../../bench/config.js';
import { POLL_CHECK, POLL_WAIT } from '../../../bench/polling-asl.js';
import { laneResult } from '../../../bench/results.js';
import { runLanes } from '../../../bench/run-lanes.js';
import { strategy } from '../../../bench/strategies.js';

/*
 * The benchmark end to end on a small scenario: 2 tasks, 2 sessions each, the polling strategy
 * (the bench's own state machine, swapped into the stack at run time). It checks the plumbing the
 * bench relies on: the swap, the observations, the metrics from them.
 * The users decide when sessions end, not the clock: sessions are planned for an hour, and their
 * users leave once both old tasks are DRAINING. Scenario time is compressed but the orchestrator's
 * own latency is real, so on a busy machine a drain can start seconds late; sessions of fixed
 * length could end first and leave no drain to measure.
 */
const SMALL: BenchConfig = {
  ...DEFAULT_CONFIG,
  scale: 0.02,
  tasks: 2,
  sessionsPerTask: 2,
  durations: { medianSeconds: 3600, sigma: 0 },
  warmupSeconds: 60,
  drainDeadlineSeconds: 3600,
  pollRealSeconds: 1,
  minHeartbeatMs: 1000,
};

const ofRevision = (revision: number) => (task: { taskDefinitionArn?: string }) => task.taskDefinitionArn?.endsWith(`:${revision}`) === true;

/** The old tasks' users stay until their drains mark them DRAINING; a new user arrives on a new task; then the old tasks' users leave. */
async function usersLeaveOnceDraining(rehearsal: Rehearsal): Promise<void> {
  const oldTasks = rehearsal.apps.acceptingTasks(ofRevision(1)).map((task) => task.taskArn);
  const draining = async () => (await Promise.all(oldTasks.map((taskArn) => rehearsal.taskItem(taskArn)))).every((item) => item?.status === 'DRAINING');
  await rehearsal.waitFor('both old tasks DRAINING', draining, 120_000, 200);
  await rehearsal.waitFor('a new task accepting sessions', () => rehearsal.apps.acceptingTasks(ofRevision(2)).length > 0, 120_000, 200);
  const [newTask] = rehearsal.apps.acceptingTasks(ofRevision(2));
  await rehearsal.openSessions(newTask?.taskArn ?? '', 1, 60, 'polling-arrival');
  for (const taskArn of oldTasks) await rehearsal.apps.endSessions(taskArn);
}

describe('benchmark run', () => {
  it('drains every replaced task with the polling workflow and measures it', { timeout: 90_000 }, async () => {
    const run = await runLanes({ config: SMALL, strategies: [strategy('polling')], whileDeploying: usersLeaveOnceDraining });
    const [lane] = run.lanes;

    expect(lane?.deploymentCompletedAt).toBeDefined();
    expect(lane?.executions.length).toBe(2);
    for (const execution of lane?.executions ?? []) {
      expect(execution.outcome).toBe('DRAINED');
      expect(execution.states.map((state) => state.name)).toEqual(expect.arrayContaining([POLL_WAIT, POLL_CHECK]));
      expect(execution.states.map((state) => state.name)).not.toContain('Wait for sessions to drain');
    }
    const result = laneResult(lane as NonNullable<typeof lane>, run, SMALL);
    expect(result.outcome.dropped).toBe(0);
    expect(result.outcome.atRisk).toBeGreaterThanOrEqual(4);
    expect(result.transitions?.awsMean).toBeGreaterThan(9);
    expect(result.latency?.samples).toBe(2);
    expect(run.taskWrites.open).toBeGreaterThan(0);
    // A user arrived while the deployment ran, and every refusal is counted.
    const arrivedDuring = (lane?.sessions ?? []).filter((record) => record.openedAt >= (lane?.deployStartedAt ?? 0) && record.openedAt <= (lane?.deploymentCompletedAt ?? 0));
    expect(arrivedDuring.length).toBeGreaterThan(0);
    expect(result.outcome.refused).toBe((lane?.sessions ?? []).filter((record) => record.end === 'rejected').length);
  });
});
