import type { Service } from '@aws-sdk/client-ecs';
import type { Deps } from '../../shared/deps.js';
import { MetricName, MetricUnit } from '../../shared/powertools.js';
import { ProtectionState, type TaskItem } from '../../registry/model.js';
import type { ProtectionOutcome } from '../protection/records.js';
import { hasUnfinishedDrain } from '../drain/unfinished.js';
import { settledDeployment, unmanagedDeployment } from '../deployments/pace-service.js';
import { LOST_WORKFLOW_GRACE_SECONDS } from './decisions.js';

/**
 * The gauges of a reconciler run (README "Metrics"): what the registry listing it reads anyway
 * says, published once a minute, so that the dashboard shows drains in progress and the alarms
 * see drains, protection and deployments that stay stuck. Counting costs no call of its own.
 */
export interface RunGauges {
  drainsInProgress: number;
  sessionsOnDrainingTasks: number;
  /** Open drains whose deadline passed LOST_WORKFLOW_GRACE_SECONDS ago: a working workflow has stopped the task by then. */
  drainsPastDeadline: number;
  /** Tasks holding sessions whose protection ECS still refuses (BLOCKED) after this run's retry. */
  tasksProtectionBlocked: number;
  /** Age of the oldest deployment under way on a service whose tasks hold sessions or drains; 0 when none. */
  deploymentHeldSeconds: number;
}

export function noGauges(): RunGauges {
  return { drainsInProgress: 0, sessionsOnDrainingTasks: 0, drainsPastDeadline: 0, tasksProtectionBlocked: 0, deploymentHeldSeconds: 0 };
}

/** Outcomes that leave a task's protection in place: ECS confirmed it, or protection does not apply. */
const SETTLED: ReadonlySet<ProtectionOutcome> = new Set(['recorded', 'superseded', 'not-applicable']);

/**
 * One cluster's share of the drain and protection gauges, from its live items (stopped tasks left
 * out) and the outcomes of this run's protection renewals and retries.
 */
export function countClusterGauges(
  gauges: RunGauges,
  live: readonly TaskItem[],
  protection: ReadonlyMap<string, ProtectionOutcome>,
  nowSeconds: number,
): void {
  for (const item of live) {
    if (hasUnfinishedDrain(item)) {
      gauges.drainsInProgress += 1;
      gauges.sessionsOnDrainingTasks += Math.max(0, item.sessionCount);
      const deadline = item.drainDeadline === undefined ? Number.NaN : Date.parse(item.drainDeadline) / 1000;
      if (deadline + LOST_WORKFLOW_GRACE_SECONDS < nowSeconds) gauges.drainsPastDeadline += 1;
    }
    const outcome = protection.get(item.taskArn);
    const blocked = outcome === 'blocked' || (item.protectionState === ProtectionState.Blocked && (outcome === undefined || !SETTLED.has(outcome)));
    if (blocked && item.sessionCount > 0) gauges.tasksProtectionBlocked += 1;
  }
}

/**
 * How long a service's deployment has been under way, when the orchestrator may be what it waits
 * for: a deployment in progress (more than one, or a failed one) of an ECS-controlled service whose
 * registered tasks hold sessions or an open drain. Undefined otherwise.
 */
export function deploymentHeldSeconds(service: Service, serviceTasks: readonly TaskItem[], nowSeconds: number): number | undefined {
  if (settledDeployment(service) || unmanagedDeployment(service) !== undefined) return undefined;
  if (!serviceTasks.some((item) => item.sessionCount > 0 || hasUnfinishedDrain(item))) return undefined;
  const primary = service.deployments?.find((deployment) => deployment.status === 'PRIMARY') ?? service.deployments?.[0];
  if (primary?.createdAt === undefined) return undefined;
  return Math.max(0, nowSeconds - Math.floor(primary.createdAt.getTime() / 1000));
}

/** Published with the run's failed steps (a cluster out of time included), whatever the run's result. */
export function publishGauges(deps: Pick<Deps, 'metrics'>, gauges: RunGauges, failedSteps: number): void {
  const { metrics } = deps;
  metrics.addMetric(MetricName.DrainsInProgress, MetricUnit.Count, gauges.drainsInProgress);
  metrics.addMetric(MetricName.SessionsOnDrainingTasks, MetricUnit.Count, gauges.sessionsOnDrainingTasks);
  metrics.addMetric(MetricName.DrainsPastDeadline, MetricUnit.Count, gauges.drainsPastDeadline);
  metrics.addMetric(MetricName.TasksProtectionBlocked, MetricUnit.Count, gauges.tasksProtectionBlocked);
  metrics.addMetric(MetricName.DeploymentHeldSeconds, MetricUnit.Seconds, gauges.deploymentHeldSeconds);
  metrics.addMetric(MetricName.ReconcileStepsFailed, MetricUnit.Count, failedSteps);
}
