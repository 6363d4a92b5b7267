import { StopTaskCommand } from '@aws-sdk/client-ecs';
import { z } from 'zod';
import { ClusterArn, ExecutionArn, TaskArn } from '../../events/arns.js';
import { registryTable } from '../../registry/conditional-write.js';
import { cancelDrain } from '../../registry/tasks/drain.js';
import { markStopping as markStoppingTransition, recordOutcome, recordOutcomeServing } from '../../registry/tasks/endings.js';
import { readTask } from '../../registry/tasks.js';
import { DrainOutcome, DrainReason, epochSeconds, type TaskItem } from '../../registry/model.js';
import type { Deps } from '../../shared/deps.js';
import { asRetryable } from '../ecs/errors.js';
import { setTaskProtection } from '../protection/task-protection.js';
import { continueIfBlueDrained } from '../deployments/blue-green.js';
import { deploymentView } from '../deployments/pace-service.js';
import { type EcsTaskView, keptByService } from '../deployments/pacing.js';
import { describeService, describeTasks } from '../ecs/lookups.js';

/** Outcomes that end with this step stopping the task. */
const STOPPING_OUTCOMES = [DrainOutcome.Drained, DrainOutcome.DeadlineForced, DrainOutcome.ForceStopped, DrainOutcome.HeartbeatLost] as const;

export const stopDrainedTaskInputSchema = z.object({
  cluster: ClusterArn,
  taskArn: TaskArn,
  executionArn: ExecutionArn,
  outcome: z.enum(STOPPING_OUTCOMES),
  /** ECS stops the task itself (blue/green clean-up): release protection and record the outcome, no StopTask. */
  ecsStopsTask: z.boolean().optional(),
});
export type StopDrainedTaskInput = z.output<typeof stopDrainedTaskInputSchema>;

export interface StopDrainedTaskResult {
  /** The requested outcome, or TASK_GONE when ECS no longer knew the task. */
  outcome: DrainOutcome;
  /** Seconds from "Record drain" to the stop; null when the registry has no start time. */
  secondsDrained: number | null;
}

export function stopReason(outcome: DrainOutcome): string {
  return `ecs-session-drain: ${outcome}`;
}

/** StopTask's answer for a task ECS has forgotten (stopped long ago, or never in this cluster). */
function isUnknownTask(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  return (error.name === 'InvalidParameterException' || error.name === 'ClientException') && /not (be )?found|does not exist/i.test(error.message);
}

/**
 * Releases scale-in protection, then stops the task. Protection is released first so a task that
 * survives a failed StopTask (and any retry) is no longer held against the service's scale-in.
 */
export async function stopDrainedTask(
  deps: Pick<Deps, 'ecs' | 'ddb' | 'config' | 'logger' | 'now'>,
  input: StopDrainedTaskInput,
): Promise<StopDrainedTaskResult> {
  if (mayBeKept(input) && (await keptByItsService(deps, input))) return giveBack(deps, input);
  await setTaskProtection(deps, { clusterArn: input.cluster, taskArns: [input.taskArn], enabled: false });
  if (input.ecsStopsTask === true) return leaveToEcs(deps, input);

  let outcome: DrainOutcome = input.outcome;
  try {
    await deps.ecs.send(new StopTaskCommand({ cluster: input.cluster, task: input.taskArn, reason: stopReason(input.outcome) }));
  } catch (error) {
    if (!isUnknownTask(error)) throw asRetryable(error, 'StopTask');
    deps.logger.info('ECS no longer knows the task: nothing to stop', { taskArn: input.taskArn, error: (error as Error).message });
    outcome = DrainOutcome.TaskGone;
  }

  const task = await markStopping(deps, input, outcome);
  const secondsDrained = task?.drainStartedAt === undefined ? null : Math.max(0, epochSeconds(deps.now()) - task.drainStartedAt);
  deps.logger.info('drained task stopped', { taskArn: input.taskArn, outcome, secondsDrained });
  return { outcome, secondsDrained };
}

/**
 * A deployment drain whose task the service keeps after all: a rollback or a newer deployment made
 * the task's own deployment PRIMARY again (or the new one FAILED) after the wait had ended, too late
 * for the pacer's cancel. Stopping it would cost the service a task that ECS then replaces.
 */
function mayBeKept(input: StopDrainedTaskInput): boolean {
  // An operator's force-stop and a silent agent are stopped whoever keeps the task.
  return input.ecsStopsTask !== true && (input.outcome === DrainOutcome.Drained || input.outcome === DrainOutcome.DeadlineForced);
}

async function keptByItsService(deps: Pick<Deps, 'ecs' | 'ddb' | 'config'>, input: StopDrainedTaskInput): Promise<boolean> {
  const item = await readTask(registryTable(deps), input.taskArn);
  if (item?.drainReason !== DrainReason.Deployment || item.serviceName === undefined || item.executionArn !== input.executionArn) return false;
  // Both lookups turn ECS throttling and faults into RetryableEcsError: the workflow retries the step.
  const service = await describeService(deps, input.cluster, item.serviceName);
  const view = service === undefined ? undefined : deploymentView(service);
  const [task] = await describeTasks(deps, input.cluster, [input.taskArn]);
  if (view === undefined || task?.taskArn === undefined || task.lastStatus !== 'RUNNING') return false;
  return keptByService({ ...task, taskArn: task.taskArn } as EcsTaskView, view.primary);
}

/**
 * The task serves again, still protected if it holds sessions: the drain ends CANCELLED, as the
 * pacer's cancel in time would have ended it. This step only asks for the cancel, recorded as the
 * pacer records it (cancelledBy DEPLOYMENT); the workflow's "Return task to service" makes the task
 * ACTIVE again, as it does for every cancelled drain, once this step answers CANCELLED.
 */
async function giveBack(deps: Pick<Deps, 'ecs' | 'ddb' | 'config' | 'logger'>, input: StopDrainedTaskInput): Promise<StopDrainedTaskResult> {
  const cancelled = await cancelDrain(registryTable(deps), { taskArn: input.taskArn, executionArn: input.executionArn, reason: DrainReason.Deployment });
  // An empty task needs no protection: ECS may scale it in like any other.
  if (cancelled.applied && (cancelled.item as TaskItem | undefined)?.sessionCount === 0) {
    await setTaskProtection(deps, { clusterArn: input.cluster, taskArns: [input.taskArn], enabled: false });
  }
  deps.logger.info('drained task kept: its service keeps it after a rollback or a newer deployment', { taskArn: input.taskArn, outcome: input.outcome });
  return { outcome: DrainOutcome.Cancelled, secondsDrained: null };
}

/**
 * A blue/green deployment's blue task: ECS removes it at clean-up, which the deployment lifecycle
 * hook holds until the drains end. The task stays DRAINING (it takes no new session meanwhile,
 * and a rollback returns it to service); only the outcome is recorded.
 */
async function leaveToEcs(deps: Pick<Deps, 'ecs' | 'ddb' | 'config' | 'logger' | 'now'>, input: StopDrainedTaskInput): Promise<StopDrainedTaskResult> {
  // An empty blue task takes sessions again: it carries no production traffic, and should the
  // deployment roll back during bake time, it is ready for the traffic that comes back at once.
  // One still holding sessions at the deadline stays DRAINING until ECS removes it.
  const emptied = input.outcome === DrainOutcome.Drained;
  const table = registryTable(deps);
  const recorded = emptied
    ? await recordOutcomeServing(table, input.taskArn, input.executionArn, input.outcome)
    : await recordOutcome(table, input.taskArn, input.executionArn, input.outcome);
  // A task that is no longer DRAINING (stopped meanwhile) still gets its outcome, if the item is ours.
  const written = recorded.applied || !emptied ? recorded : await recordOutcome(table, input.taskArn, input.executionArn, input.outcome);
  const item = written.applied ? written.item : undefined;
  const secondsDrained = item?.drainStartedAt === undefined ? null : Math.max(0, epochSeconds(deps.now()) - item.drainStartedAt);
  deps.logger.info('drained task left for ECS to stop', { taskArn: input.taskArn, outcome: input.outcome, secondsDrained });
  if (item?.serviceName !== undefined) {
    const continued = await continueIfBlueDrained(deps, { clusterArn: input.cluster, serviceName: item.serviceName });
    deps.logger.info('blue deployment hook checked', { taskArn: input.taskArn, continued });
  }
  return { outcome: input.outcome, secondsDrained };
}

/**
 * STOPPING never overrides STOPPED (the task-stopped handler may have been first), and a drain
 * that lost ownership of the item leaves it alone.
 */
async function markStopping(
  deps: Pick<Deps, 'ddb' | 'config'>,
  input: StopDrainedTaskInput,
  outcome: DrainOutcome,
): Promise<{ drainStartedAt?: number } | undefined> {
  const table = registryTable(deps);
  const stopping = await markStoppingTransition(table, input.taskArn, input.executionArn, outcome);
  // Already STOPPED (or STOPPING): record the outcome only, if the item is still ours.
  const recorded = stopping.applied ? stopping : await recordOutcome(table, input.taskArn, input.executionArn, outcome);
  // Undefined when another drain owns the item now: its start time is not ours to report.
  return recorded.applied ? recorded.item : undefined;
}

