import type { Deps } from '../../shared/deps.js';
import { ignored, type Ignored } from '../../shared/handler-kit.js';
import { DrainReason } from '../../registry/model.js';
import { describeContainerInstance, findContainerInstance, listRunningTaskArns } from '../ecs/lookups.js';
import { drainOrReleaseLeavingTasks } from './leaving-tasks.js';
import { definedOnly } from '../../shared/optional.js';

export interface InstanceDrainSummary {
  clusterArn: string;
  containerInstanceArn: string;
  tasksOnInstance: number;
  drainsStarted: string[];
  alreadyDraining: string[];
  released: string[];
  skipped: string[];
}

/**
 * What to do with the tasks of an instance that is going away: every registered task gets a drain
 * (an idle one is stopped at once, without a window in which it could take a session).
 * - releaseUnregistered: ECS itself drains the instance. Tasks unknown to the registry lose their
 *   protection so that ECS moves them at once, and the drains raise no desired count: ECS already
 *   starts a replacement for each service task on a DRAINING instance (container-instance-draining.html,
 *   "Draining behavior for services"), and a surge on top would start a second one.
 * - otherwise they are left alone; used when only EC2 hints the instance may go (a rebalance
 *   recommendation). ECS replaces nothing then, so those drains keep the service's capacity by
 *   surging, as Spot drains do: the drained task refuses sessions long before it stops.
 * - surge: false keeps the desired count where it is even though ECS replaces nothing up front
 *   (a rebalance recommendation with RebalanceRecommendationAction cordon-only).
 * - deadline: when the instance goes (a scheduled maintenance's start, a lifecycle action's end);
 *   the default drain deadline otherwise.
 */
export async function drainInstanceTasks(
  deps: Deps,
  target: { clusterArn: string; containerInstanceArn: string; releaseUnregistered: boolean; eventTime?: Date; deadline?: Date; surge?: boolean },
): Promise<InstanceDrainSummary> {
  const { clusterArn, containerInstanceArn, eventTime, deadline } = target;
  const taskArns = await listRunningTaskArns(deps, { clusterArn, containerInstanceArn });
  const tally = await drainOrReleaseLeavingTasks(deps, {
    clusterArn,
    taskArns,
    reason: DrainReason.Instance,
    releaseUnregistered: target.releaseUnregistered,
    ecsReplacesTasks: target.releaseUnregistered || target.surge === false,
    // An operator's cancel of a task's drain wins over instance events older than it.
    ...definedOnly({ eventTime, deadline }),
  });
  const summary: InstanceDrainSummary = { clusterArn, containerInstanceArn, tasksOnInstance: taskArns.length, ...tally };
  deps.logger.info('instance tasks handled', { ...summary });
  return summary;
}

/**
 * ECS set a container instance to DRAINING. The event may be a late duplicate from before an
 * operator set the instance back to ACTIVE; ECS's current status decides, so a stale event
 * never starts drains.
 */
export async function handleContainerInstanceDraining(
  deps: Deps,
  event: { clusterArn: string; containerInstanceArn: string; time?: Date },
): Promise<InstanceDrainSummary | Ignored> {
  const instance = await describeContainerInstance(deps, event.clusterArn, event.containerInstanceArn);
  if (instance === undefined) return ignored(`container instance ${event.containerInstanceArn} is unknown to ECS`);
  if (instance.status !== 'DRAINING') {
    return ignored(`stale event: container instance ${event.containerInstanceArn} is ${instance.status ?? 'of unknown status'} now`);
  }
  const { clusterArn, containerInstanceArn, time } = event;
  return drainInstanceTasks(deps, { clusterArn, containerInstanceArn, releaseUnregistered: true, ...definedOnly({ eventTime: time }) });
}

/** EC2 recommends moving off an instance: drain its tasks ahead of a possible interruption, or only cordon them (REBALANCE_ACTION). */
export async function handleRebalanceRecommendation(
  deps: Deps,
  event: { instanceId: string; time?: Date },
): Promise<InstanceDrainSummary | Ignored> {
  const located = await findContainerInstance(deps, event.instanceId);
  if (located === undefined) return ignored(`EC2 instance ${event.instanceId} is not a container instance of a cluster in scope`);
  const eventTime = definedOnly({ eventTime: event.time });
  if (deps.config.rebalanceAction === 'cordon-only') {
    // Cordon: no new sessions, the users stay as long as any drain may last, and no replacement.
    const deadline = new Date(deps.now().getTime() + deps.config.maxDrainSeconds * 1000);
    return drainInstanceTasks(deps, { ...located, releaseUnregistered: false, surge: false, deadline, ...eventTime });
  }
  return drainInstanceTasks(deps, { ...located, releaseUnregistered: false, ...eventTime });
}
