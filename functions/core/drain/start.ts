/*
 * drain/: one task's drain as every trigger sees it: start it (start.ts), cancel it (cancel.ts),
 * let an operator steer it (control.ts), tell whether it is still open (unfinished.ts: the item;
 * executions.ts: Step Functions), end its wait for sessions (wait-signals.ts), and release every
 * drain and protection at once (release-all.ts). May import protection/, registry/, events/ and
 * shared/; never workflow/, deployments/, reconcile/ or handlers/.
 */
import { ExecutionAlreadyExists, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { Deps } from '../../shared/deps.js';
import { ConfigurationError } from '../../shared/errors.js';
import { MetricName, MetricUnit } from '../../shared/powertools.js';
import { registryTable } from '../../registry/conditional-write.js';
import { claimDrainAttempt } from '../../registry/tasks/drain.js';
import { drainExecutionName, type DrainReason, type TaskItem, TaskStatus } from '../../registry/model.js';
import { readTask } from '../../registry/tasks.js';
import { executionState } from './executions.js';
import { definedOnly } from '../../shared/optional.js';

export interface DrainRequest {
  clusterArn: string;
  taskArn: string;
  serviceName?: string;
  reason: DrainReason;
  /** Absolute deadline; defaults to DEFAULT_DRAIN_SECONDS from now, never later than MAX_DRAIN_SECONDS. */
  deadline?: Date;
  /** ECS removes the task itself when the drain ends (blue/green clean-up): the workflow only releases protection. */
  ecsStopsTask?: boolean;
  /**
   * ECS starts the task's replacement itself (its container instance is DRAINING: "replacement
   * service tasks are started on other container instances", API UpdateContainerInstancesState;
   * container-instance-draining.html), so the drain must not raise the desired count as well.
   */
  ecsReplacesTask?: boolean;
  /**
   * When the event asking for this drain happened (its `time`), for event-driven starts. An event
   * older than an operator's cancel of the task's drain starts nothing: the rules' targets retry
   * a delivery for up to an hour (template.yaml RetryPolicy MaximumEventAgeInSeconds 3600;
   * eventbridge/latest/APIReference/API_RetryPolicy.html), and a late duplicate must not undo
   * the operator's decision.
   */
  eventTime?: Date;
}

export type StartDrainResult =
  | { status: 'started'; executionArn: string; attempt: number }
  | { status: 'already-draining'; executionArn?: string }
  | { status: 'not-registered' }
  | { status: 'task-stopped' }
  | { status: 'cancelled-by-operator'; operatorCancelledAt: string };

/** The workflow's input, as documented in docs/design.md. */
export interface DrainWorkflowInput {
  cluster: string;
  taskArn: string;
  service?: string;
  reason: DrainReason;
  deadline: string;
  ecsStopsTask?: true;
  ecsReplacesTask?: true;
}

export function executionArnFor(stateMachineArn: string, executionName: string): string {
  const parts = stateMachineArn.split(':');
  if (parts.length !== 7 || parts[5] !== 'stateMachine') {
    throw new ConfigurationError(`STATE_MACHINE_ARN is not a state machine ARN: "${stateMachineArn}"`);
  }
  return [...parts.slice(0, 5), 'execution', parts[6], executionName].join(':');
}

export function resolveDeadline(deps: Pick<Deps, 'config' | 'now'>, requested?: Date): Date {
  const now = deps.now().getTime();
  const latest = now + deps.config.maxDrainSeconds * 1000;
  const wanted = requested?.getTime() ?? now + deps.config.defaultDrainSeconds * 1000;
  return new Date(Math.min(Math.max(wanted, now), latest));
}

/** The operator cancelled the task's drain after the event happened (an event without a time is taken as current). */
function cancelledAfter(task: Pick<TaskItem, 'operatorCancelledAt'>, eventTime: Date | undefined): boolean {
  if (eventTime === undefined || task.operatorCancelledAt === undefined) return false;
  const cancelledAt = Date.parse(task.operatorCancelledAt);
  return !Number.isNaN(cancelledAt) && eventTime.getTime() < cancelledAt;
}

/**
 * Starts the drain workflow for one task, at most once per open drain.
 *
 * The attempt number and the execution ARN are claimed on the task item before StartExecution,
 * so that every duplicate of the triggering event derives the same execution name. Standard
 * workflows reject a second execution of that name, which makes the start itself idempotent;
 * the claim makes it so even after the first execution has closed, when the name alone would not.
 */
export async function startDrain(deps: Deps, request: DrainRequest): Promise<StartDrainResult> {
  const { config, logger } = deps;
  const task = await readTask({ ddb: deps.ddb, tableName: config.tableName }, request.taskArn);
  if (task === undefined) return { status: 'not-registered' };
  if (task.status === TaskStatus.Stopping || task.status === TaskStatus.Stopped) return { status: 'task-stopped' };
  if (cancelledAfter(task, request.eventTime)) {
    logger.info('drain not started: an operator cancelled this task\'s drain after the event that asks for it', {
      taskArn: request.taskArn,
      reason: request.reason,
      eventTime: request.eventTime?.toISOString(),
      operatorCancelledAt: task.operatorCancelledAt,
    });
    return { status: 'cancelled-by-operator', operatorCancelledAt: task.operatorCancelledAt as string };
  }

  const previousAttempt = task.drainAttempt ?? 0;
  let attempt = previousAttempt + 1;
  if (task.executionArn !== undefined) {
    const state = await executionState(deps, task.executionArn);
    if (state === 'RUNNING') return { status: 'already-draining', executionArn: task.executionArn };
    // Claimed by an invocation that died before StartExecution: start that same attempt.
    if (state === 'MISSING' && previousAttempt > 0) attempt = previousAttempt;
  }

  const executionName = drainExecutionName(request.taskArn, attempt);
  const executionArn = executionArnFor(config.stateMachineArn, executionName);
  if (attempt !== previousAttempt) {
    const claimed = await claimDrainAttempt(registryTable(deps), {
      taskArn: request.taskArn,
      attempt,
      previousAttempt,
      executionArn,
      reason: request.reason,
    });
    if (!claimed.applied) {
      // Another invocation claimed this attempt first, or the task stopped meanwhile.
      logger.info('drain already claimed by a concurrent start', { taskArn: request.taskArn, attempt });
      return { status: 'already-draining' };
    }
  }

  const serviceName = request.serviceName ?? task.serviceName;
  const claimed: DrainRequest = { ...request, clusterArn: task.clusterArn ?? request.clusterArn, ...definedOnly({ serviceName }) };
  return startClaimedDrain(deps, claimed, { executionName, executionArn, attempt });
}

/**
 * Starts the execution of a drain whose attempt is already claimed on the task item (by startDrain
 * or by the deployment pacer's transaction). The name makes a repeated start harmless.
 */
export async function startClaimedDrain(
  deps: Deps,
  request: DrainRequest,
  claim: { executionName: string; executionArn: string; attempt: number },
): Promise<StartDrainResult> {
  const { config, logger } = deps;
  const { executionName, executionArn, attempt } = claim;
  const deadline = resolveDeadline(deps, request.deadline);
  const input: DrainWorkflowInput = {
    cluster: request.clusterArn,
    taskArn: request.taskArn,
    ...definedOnly({ service: request.serviceName }),
    reason: request.reason,
    deadline: deadline.toISOString(),
    ...(request.ecsStopsTask === true ? { ecsStopsTask: true as const } : {}),
    ...(request.ecsReplacesTask === true ? { ecsReplacesTask: true as const } : {}),
  };
  try {
    await deps.sfn.send(
      new StartExecutionCommand({ stateMachineArn: config.stateMachineArn, name: executionName, input: JSON.stringify(input) }),
    );
  } catch (error) {
    if (error instanceof ExecutionAlreadyExists || (error as Error).name === 'ExecutionAlreadyExists') {
      return { status: 'already-draining', executionArn };
    }
    throw error;
  }
  logger.info('drain started', { taskArn: request.taskArn, reason: request.reason, executionArn, deadline: input.deadline });
  deps.metrics.addMetric(MetricName.DrainsStarted, MetricUnit.Count, 1);
  return { status: 'started', executionArn, attempt };
}
