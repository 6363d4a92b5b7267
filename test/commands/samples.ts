import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { npmRun } from '../support/npm-run.js';

/**
 * Every sample in events/, run as README says (`npm run invoke -- <Function> events/<file>`): each
 * exits 0 with an answer that is not an error. The command makes real what a sample refers to
 * (local/cli/invoke-setup.ts), so the workflow steps' samples act on a registered task and its drain.
 * Two files share the samples (the AWS events; the workflow, operator and internal ones), so that
 * both of the machine's cores can take them beside the unit and integration files.
 */
export const FUNCTION_OF: Record<string, string> = {
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


export const SAMPLES = readdirSync('events').filter((file) => file.endsWith('.json')).sort();

/** The workflow steps, the operator's control and the functions fed by the stack's own resources. */
const WORKFLOW_AND_OPERATOR = new Set([
  'ArmDrainWaitFunction',
  'DrainControlFunction',
  'ExecutionEndedFunction',
  'LaunchReplacementFunction',
  'ReconcilerFunction',
  'RecordDrainFunction',
  'RegistryStreamFunction',
  'ReleaseReplacementFunction',
  'StopDrainedTaskFunction',
]);

export function samplesOf(kind: 'aws-events' | 'workflow-and-operator'): string[] {
  return SAMPLES.filter((file) => {
    const logicalId = FUNCTION_OF[file];
    return logicalId !== undefined && WORKFLOW_AND_OPERATOR.has(logicalId) === (kind === 'workflow-and-operator');
  });
}

/** What npm run invoke says it prepared first, for samples that need a task and a drain (README, "Try a handler"). */
const PREPARED: Record<string, readonly RegExp[]> = {
  'drain-control-cancel.json': [
    /prepared: service "chat" in cluster "sessions" runs the sample's task 0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c/,
    /prepared: DrainControlFunction started a drain/,
  ],
};

/** Runs each sample through npm run invoke, one at a time (the other core runs other files). */
export function invokesEach(title: string, files: readonly string[]): void {
  describe(title, () => {
    it.each(files)('%s', async (file) => {
      const run = await npmRun('invoke', [FUNCTION_OF[file] ?? '', `events/${file}`]);

      expect(run.code, run.output.slice(-3000)).toBe(0);
      // stdout is the function's answer alone (its logs go to stderr, as with sam local invoke).
      expect(run.stdout, run.output.slice(-3000)).not.toMatch(/"errorType"|"ok": false|"batchItemFailures": \[\s*\{/);
      for (const line of PREPARED[file] ?? []) expect(run.output).toMatch(line);
    }, 600_000);
  });
}
