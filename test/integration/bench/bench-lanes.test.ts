import { describe, expect, it } from 'vitest';
import { type BenchConfig, DEFAULT_CONFIG } from '../../../bench/config.js';
import { POLL_CHECK, POLL_WAIT } from '../../../bench/polling-asl.js';
import { laneResult } from '../../../bench/results.js';
import { runLanes } from '../../../bench/run-lanes.js';
import { strategy } from '../../../bench/strategies.js';

/*
 * The benchmark end to end on a small scenario: 2 tasks, sessions of exactly 5 scenario minutes
 * (they outlast the new tasks' 60 s start-up and the paced drain's start: with 2 minutes, an old
 * task could empty and be stopped by ECS before its drain began, which ends TASK_GONE),
 * the polling strategy (the bench's own state machine, swapped into the stack at run time). It
 * checks the plumbing the bench relies on: the swap, the observations, the metrics from them.
 */
const SMALL: BenchConfig = {
  ...DEFAULT_CONFIG,
  scale: 0.02,
  tasks: 2,
  sessionsPerTask: 2,
  durations: { medianSeconds: 300, sigma: 0 },
  warmupSeconds: 60,
  drainDeadlineSeconds: 3600,
  pollRealSeconds: 1,
  minHeartbeatMs: 1000,
};

describe('benchmark run', () => {
  it('drains every replaced task with the polling workflow and measures it', { timeout: 90_000 }, async () => {
    const run = await runLanes({ config: SMALL, strategies: [strategy('polling')] });
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
    // Users keep arriving while the deployment runs (new tasks start for 60 s, then pass health checks), and every refusal is counted.
    const arrivedDuring = (lane?.sessions ?? []).filter((record) => record.openedAt >= (lane?.deployStartedAt ?? 0) && record.openedAt <= (lane?.deploymentCompletedAt ?? 0));
    expect(arrivedDuring.length).toBeGreaterThan(0);
    expect(result.outcome.refused).toBe((lane?.sessions ?? []).filter((record) => record.end === 'rejected').length);
  });
});
