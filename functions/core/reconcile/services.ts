import { DescribeServicesCommand, paginateListServices, type Service } from '@aws-sdk/client-ecs';
import { batchesOf } from '../../shared/batches.js';
import type { Deps } from '../../shared/deps.js';
import { ownInput } from '../../shared/pages.js';
import { DrainReason, epochSeconds, type TaskItem, TaskStatus } from '../../registry/model.js';
import { listDrainingContainerInstances } from '../ecs/lookups.js';
import { asRetryable } from '../ecs/errors.js';
import { cancelDrain } from '../drain/cancel.js';
import { type EcsTaskState, planScaleIn, type ServiceView } from './decisions.js';
import { hasUnfinishedDrain } from '../drain/unfinished.js';
import { continueIfBlueDrained } from '../deployments/blue-green.js';
import { pacingMode, paceService, settledDeployment, unmanagedDeployment } from '../deployments/pace-service.js';
import { holdsDeploymentDrain } from '../deployments/pacing.js';
import { type ReconcileSummary, type Work } from './work.js';
import { startDrain } from '../drain/start.js';
import { deploymentHeldSeconds } from './gauges.js';

const DESCRIBE_SERVICES_BATCH = 10;

/**
 * The cluster's DRAINING container instances, asked only when a task runs on an instance at all
 * (Fargate has none). Undefined when ECS could not say: no scale-in decision is made blind.
 */
async function drainingContainerInstances(
  deps: Deps,
  clusterArn: string,
  states: ReadonlyMap<string, EcsTaskState>,
  work: Work,
): Promise<ReadonlySet<string> | undefined> {
  const onInstances = [...states.values()].some((state) => state.kind === 'known' && state.containerInstanceArn !== undefined);
  if (!onInstances) return new Set();
  const arns = await work.run('listing draining container instances', { clusterArn }, () => listDrainingContainerInstances(deps, clusterArn));
  return arns === undefined ? undefined : new Set(arns);
}

async function listServices(deps: Deps, clusterArn: string): Promise<(ServiceView & Service)[]> {
  const arns: string[] = [];
  try {
    for await (const page of paginateListServices({ client: deps.ecs, pageSize: 100, withCommand: ownInput }, { cluster: clusterArn })) {
      arns.push(...(page.serviceArns ?? []));
    }
    const services: (ServiceView & Service)[] = [];
    for (const batch of batchesOf(arns, DESCRIBE_SERVICES_BATCH)) {
      const response = await deps.ecs.send(new DescribeServicesCommand({ cluster: clusterArn, services: batch }));
      for (const service of response.services ?? []) {
        if (service.serviceName === undefined) continue;
        services.push({ ...service, serviceName: service.serviceName });
      }
    }
    return services;
  } catch (error) {
    throw asRetryable(error, 'ListServices/DescribeServices');
  }
}

/**
 * A rolling deployment in progress (or failed) is paced again: should its event, or the events of
 * its new tasks, have been lost (EventBridge does not promise delivery), the drains it waits for
 * still start, at ECS's pace, and drains a rollback keeps are still cancelled.
 */
async function paceDeployment(
  deps: Deps,
  clusterArn: string,
  service: ServiceView & Service,
  serviceTasks: readonly TaskItem[],
  work: Work,
  summary: ReconcileSummary,
): Promise<void> {
  // A deployment drain on a task of a settled service is one the service keeps (a rollback whose
  // event came only after the other deployment was gone): pacing gives it back.
  if ((settledDeployment(service) && !serviceTasks.some(holdsDeploymentDrain)) || service.status !== 'ACTIVE' || unmanagedDeployment(service) !== undefined) return;
  if (pacingMode(service) === 'traffic-shift') {
    // A blue drain that ended without reaching the stop step (its task stopped first) did not continue the hook.
    const continued = await work.run('continuing a drained blue/green deployment', { clusterArn, serviceName: service.serviceName }, () =>
      continueIfBlueDrained(deps, { clusterArn, serviceName: service.serviceName }),
    );
    if (continued === 'continued') deps.logger.info('blue/green deployment continued by the reconciler', { serviceName: service.serviceName });
  }
  const paced = await work.run('pacing a deployment', { clusterArn, serviceName: service.serviceName }, () =>
    paceService(deps, { clusterArn, service: service.serviceName }, { known: service }),
  );
  if (paced === undefined || 'ignored' in paced) return;
  summary.deploymentDrains += paced.drainsStarted.length;
  if (paced.drainsStarted.length > 0 || paced.cancelled.length > 0) {
    deps.logger.info('deployment paced by the reconciler', { serviceName: service.serviceName, drainsStarted: paced.drainsStarted, cancelled: paced.cancelled });
  }
}

/**
 * The repairs that need the cluster's services: drains a deployment is waiting for that its lost
 * event never started, and drain-aware scale-in (protected tasks keep a scaled-in service above its
 * desired count; the lightest are drained, and drains the excess no longer needs are cancelled).
 */
export async function reconcileServices(
  deps: Deps,
  clusterArn: string,
  live: readonly TaskItem[],
  states: ReadonlyMap<string, EcsTaskState>,
  work: Work,
  summary: ReconcileSummary,
): Promise<void> {
  const services = await work.run('listing services', { clusterArn }, () => listServices(deps, clusterArn));
  let drainingInstances: ReadonlySet<string> | undefined;
  for (const service of services ?? []) {
    const serviceTasks = live.filter((item) => item.serviceName === service.serviceName);
    const held = deploymentHeldSeconds(service, serviceTasks, epochSeconds(deps.now()));
    if (held !== undefined) summary.gauges.deploymentHeldSeconds = Math.max(summary.gauges.deploymentHeldSeconds, held);
    await paceDeployment(deps, clusterArn, service, serviceTasks, work, summary);
    const scaleInDrainsOpen = serviceTasks.some((item) => item.drainReason === DrainReason.ScaleIn && hasUnfinishedDrain(item));
    if ((service.runningCount ?? 0) <= (service.desiredCount ?? 0) && !scaleInDrainsOpen) continue;
    drainingInstances ??= await drainingContainerInstances(deps, clusterArn, states, work);
    if (drainingInstances === undefined) return;
    // An ACTIVE task whose drain is claimed or recorded but not yet marked DRAINING counts as an
    // open drain from its item alone (the claim sets the reason and clears the outcome): asking
    // Step Functions about each would cost a call per open drain every minute. A workflow that
    // died meanwhile still counts: better one drain too few this minute than one too many, and
    // the repair of orphaned drains (run.ts) restarts it.
    const runningExecutions = new Set(serviceTasks.filter((item) => item.status === TaskStatus.Active && hasUnfinishedDrain(item)).map((item) => item.taskArn));
    const plan = planScaleIn(service, serviceTasks, states, runningExecutions, drainingInstances);
    if (plan.victims.length > 0) {
      deps.logger.info('draining tasks beyond the desired count', {
        clusterArn,
        serviceName: service.serviceName,
        excess: plan.excess,
        openDrains: plan.openDrains,
        victims: plan.victims.map((victim) => victim.taskArn),
      });
    }
    for (const item of plan.surplus) {
      const cancelled = await work.run('cancelling a scale-in drain', { taskArn: item.taskArn }, () =>
        cancelDrain(deps, item, DrainReason.ScaleIn, `the service runs ${service.runningCount ?? 0} of ${service.desiredCount ?? 0} desired tasks: this scale-in drain is no longer needed`, deps.now()),
      );
      if (cancelled === true) summary.scaleInDrainsCancelled += 1;
    }
    for (const victim of plan.victims) {
      const result = await work.run('starting a scale-in drain', { taskArn: victim.taskArn }, () =>
        startDrain(deps, { clusterArn, taskArn: victim.taskArn, serviceName: service.serviceName, reason: DrainReason.ScaleIn }),
      );
      if (result?.status === 'started') summary.scaleInDrains += 1;
    }
  }
}
