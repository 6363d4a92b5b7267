import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { npmRun, type Run } from './support/npm-run.js';

/**
 * Every sample in events/, run as README says (`npm run invoke -- <Function> events/<file>`): each
 * exits 0 with an answer that is not an error. The command makes real what a sample refers to
 * (local/cli/invoke-setup.ts), so the workflow steps' samples act on a registered task and its drain.
 */
const FUNCTION_OF: Record<string, string> = {
  'arm-drain-wait.json': 'ArmDrainWaitFunction',
  'autoscaling-terminate-lifecycle-action.json': 'LifecycleTerminateFunction',
  'container-instance-draining.json': 'ContainerInstanceDrainingFunction',
  'deployment-completed.json': 'DeploymentEventFunction',
  'deployment-in-progress.json': 'DeploymentEventFunction',
  'drain-control-cancel.json': 'DrainControlFunction',
  'drain-control-drain.json': 'DrainControlFunction',
  'drain-control-force-stop.json': 'DrainControlFunction',
  'execution-failed.json': 'ExecutionEndedFunction',
  'ec2-rebalance-recommendation.json': 'RebalanceRecommendationFunction',
  'ec2-scheduled-instance-retirement.json': 'ScheduledMaintenanceFunction',
  'ec2-spot-interruption-warning.json': 'SpotInterruptionFunction',
  'fargate-spot-warning-no-stop-code.json': 'SpotInterruptionFunction',
  'fargate-spot-warning-spot-interruption.json': 'SpotInterruptionFunction',
  'fargate-spot-warning-termination-notice.json': 'SpotInterruptionFunction',
  'hook-awaiting-action.json': 'DeploymentHookFunction',
  'launch-replacement.json': 'LaunchReplacementFunction',
  'reconciler-schedule.json': 'ReconcilerFunction',
  'record-drain.json': 'RecordDrainFunction',
  'registry-stream-sessions-drained.json': 'RegistryStreamFunction',
  'release-replacement.json': 'ReleaseReplacementFunction',
  'stop-task.json': 'StopDrainedTaskFunction',
  'task-running.json': 'DeploymentPacerFunction',
  'task-stopped.json': 'TaskStoppedFunction',
};

const SAMPLES = readdirSync('events').filter((file) => file.endsWith('.json')).sort();

/** Two at a time: each run is a local cloud of its own, and the machine may have two cores. */
function limited<T>(concurrency: number): (work: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: Array<() => void> = [];
  return async (work) => {
    while (running >= concurrency) await new Promise<void>((resolve) => waiting.push(resolve));
    running += 1;
    try {
      return await work();
    } finally {
      running -= 1;
      waiting.shift()?.();
    }
  };
}
const slot = limited<Run>(2);

describe.concurrent('npm run invoke on every sample in events/', () => {
  it('knows the function of every sample', () => {
    expect(SAMPLES.filter((file) => FUNCTION_OF[file] === undefined)).toEqual([]);
  });

  it.each(SAMPLES.filter((file) => FUNCTION_OF[file] !== undefined))('%s', async (file) => {
    const run = await slot(() => npmRun('invoke', [FUNCTION_OF[file] ?? '', `events/${file}`]));

    expect(run.code, run.output.slice(-3000)).toBe(0);
    // stdout is the function's answer alone (its logs go to stderr, as with sam local invoke).
    expect(run.stdout, run.output.slice(-3000)).not.toMatch(/"errorType"|"ok": false|"batchItemFailures": \[\s*\{/);
  }, 600_000);
});
