/*
 * workflow/: the Lambda steps of the drain workflow (statemachines/drain.asl.json), a file a step:
 * "Record drain" (record-drain.ts), "Launch replacement" and "Release replacement capacity"
 * (replacement-capacity.ts), "Wait for sessions to drain" (arm-drain-wait.ts), "Release protection
 * and stop task" (stop-drained-task.ts); shared/handler-kit.ts parses a step's input. May import drain/,
 * deployments/, protection/, ecs/, registry/, events/ and shared/; never reconcile/, interruptions/
 * or handlers/.
 */
import { z } from 'zod';
import { ClusterArn, ExecutionArn, TaskArn } from '../../events/arns.js';
import { registryTable } from '../../registry/conditional-write.js';
import { DRAIN_REASONS, DrainReason, epochSeconds, type TaskItem, TaskStatus } from '../../registry/model.js';
import { recordDrain as recordDrainTransition } from '../../registry/tasks/drain.js';
import { readTask } from '../../registry/tasks.js';
import type { Deps } from '../../shared/deps.js';
import { InvalidInputError, NamedError, TaskGoneError } from '../../shared/errors.js';
import { MetricName, MetricUnit } from '../../shared/powertools.js';
import { isExecutionRunning } from '../drain/executions.js';
import { resolveDeadline } from '../drain/start.js';
import { definedOnly } from '../../shared/optional.js';

/** Another execution that is still running owns this task's drain; this one must not interfere. */
export class DrainAlreadyRunningError extends NamedError {
  override readonly name = 'DrainAlreadyRunning';
}

export const recordDrainInputSchema = z.object({
  executionArn: ExecutionArn,
  request: z.object({
    cluster: ClusterArn,
    taskArn: TaskArn,
    service: z.string().min(1).optional(),
    reason: z.enum(DRAIN_REASONS),
    deadline: z.iso.datetime({ offset: true }).optional(),
    /** ECS stops the task itself once the drain ends (a blue/green deployment's clean-up): release protection only. */
    ecsStopsTask: z.boolean().optional(),
    /** ECS replaces the task itself (its container instance is DRAINING): no surge on top of it. */
    ecsReplacesTask: z.boolean().optional(),
  }),
});
export type RecordDrainInput = z.output<typeof recordDrainInputSchema>;

/** What the workflow carries as $.drain from here on. */
export interface RecordedDrain {
  cluster: string;
  taskArn: string;
  service?: string;
  reason: DrainReason;
  deadline: string;
  waitSeconds: number;
  sessionsAtStart: number;
  replacementNeeded: boolean;
  drainStartedAt: number;
  ecsStopsTask: boolean;
}

/** Reasons where the task goes away whether or not the service wants it: keep capacity by surging. */
const REPLACEMENT_REASONS: ReadonlySet<DrainReason> = new Set([DrainReason.Spot, DrainReason.Instance, DrainReason.Manual]);

export function needsReplacement(serviceName: string | undefined, reason: DrainReason): boolean {
  return serviceName !== undefined && REPLACEMENT_REASONS.has(reason);
}

function isGone(task: TaskItem | undefined): task is undefined {
  return task === undefined || task.status === TaskStatus.Stopping || task.status === TaskStatus.Stopped;
}

/**
 * First workflow step. Executions normally arrive with the drain claimed by startDrain
 * (item.executionArn is this execution); one started by hand from the console takes over only
 * when the previous owner is no longer running, so two workflows never drive one task.
 */
export async function recordDrain(
  deps: Pick<Deps, 'ddb' | 'sfn' | 'config' | 'logger' | 'metrics' | 'now'>,
  input: RecordDrainInput,
): Promise<RecordedDrain> {
  const { request, executionArn } = input;
  const task = await readTask(registryTable(deps), request.taskArn);
  if (isGone(task)) {
    throw new TaskGoneError(`task ${request.taskArn} is ${task === undefined ? 'not in the registry' : 'already stopping'}`);
  }
  if (task.clusterArn !== request.cluster) {
    throw new InvalidInputError(`task ${request.taskArn} belongs to cluster ${task.clusterArn}, not ${request.cluster}`);
  }
  const previousOwner = task.executionArn;
  if (previousOwner !== undefined && previousOwner !== executionArn && (await isExecutionRunning(deps, previousOwner))) {
    throw new DrainAlreadyRunningError(`execution ${previousOwner} is already draining task ${request.taskArn}`);
  }

  const now = deps.now();
  const deadline = resolveDeadline(deps, request.deadline === undefined ? undefined : new Date(request.deadline));
  const waitSeconds = Math.max(1, Math.ceil((deadline.getTime() - now.getTime()) / 1000));
  const service = request.service ?? task.serviceName;
  const takingOver = previousOwner !== executionArn;
  const claimed = await recordDrainTransition(registryTable(deps), {
    taskArn: request.taskArn,
    executionArn,
    previousOwner,
    reason: request.reason,
    deadline: deadline.toISOString(),
    startedAt: epochSeconds(now),
  });
  if (!claimed.applied) {
    // The item changed since we read it: either the task went away or another drain claimed it.
    const current = await readTask(registryTable(deps), request.taskArn);
    if (isGone(current)) throw new TaskGoneError(`task ${request.taskArn} stopped while the drain was being recorded`, { cause: claimed.cause });
    throw new DrainAlreadyRunningError(`execution ${current.executionArn ?? '(none)'} claimed task ${request.taskArn} first`, { cause: claimed.cause });
  }

  const recorded: RecordedDrain = {
    cluster: request.cluster,
    taskArn: request.taskArn,
    ...definedOnly({ service }),
    reason: request.reason,
    deadline: deadline.toISOString(),
    waitSeconds,
    sessionsAtStart: task.sessionCount ?? 0,
    replacementNeeded: needsReplacement(service, request.reason) && request.ecsReplacesTask !== true,
    drainStartedAt: epochSeconds(now),
    ecsStopsTask: request.ecsStopsTask === true,
  };
  deps.metrics.addMetric(MetricName.SessionsAtDrainStart, MetricUnit.Count, recorded.sessionsAtStart);
  deps.logger.info('drain recorded', { ...recorded, executionArn, takenOverFrom: takingOver ? previousOwner : undefined });
  return recorded;
}
