import type { Deps } from '../shared/deps.js';
import { ignored, type Ignored } from '../shared/handler-kit.js';
import { DrainReason, TaskStatus, type TaskItem } from '../registry/model.js';
import { readTask } from '../registry/tasks.js';
import { describeContainerInstance, findContainerInstance, listRunningTaskArns } from './ecs-lookups.js';
import { setTaskProtection } from './protection.js';
import { tallyDrain } from './drain-summary.js';
import { startDrain } from './start-drain.js';

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
 * What to do with the tasks of an instance that is going away.
 * - releaseIdle: tasks without sessions (or unknown to the registry) lose their protection so
 *   that ECS moves them at once; used when ECS itself drains the instance.
 * - otherwise every registered task gets a drain, which launches a replacement and stops the
 *   task when its sessions are gone; used when only EC2 hints the instance may go.
 */
export async function drainInstanceTasks(
  deps: Deps,
  target: { clusterArn: string; containerInstanceArn: string; releaseIdle: boolean },
): Promise<InstanceDrainSummary> {
  const { clusterArn, containerInstanceArn } = target;
  const taskArns = await listRunningTaskArns(deps, { clusterArn, containerInstanceArn });
  const summary: InstanceDrainSummary = {
    clusterArn,
    containerInstanceArn,
    tasksOnInstance: taskArns.length,
    drainsStarted: [],
    alreadyDraining: [],
    released: [],
    skipped: [],
  };
  const toRelease: string[] = [];
  for (const taskArn of taskArns) {
    // A consistent read: the ByCluster index may lag a session that opened a moment ago.
    const item = await readTask({ ddb: deps.ddb, tableName: deps.config.tableName }, taskArn);
    const decision = decide(item, target.releaseIdle);
    if (decision === 'skip') {
      summary.skipped.push(taskArn);
    } else if (decision === 'release') {
      toRelease.push(taskArn);
    } else {
      const result = await startDrain(deps, {
        clusterArn,
        taskArn,
        ...(item?.serviceName === undefined ? {} : { serviceName: item.serviceName }),
        reason: DrainReason.Instance,
      });
      tallyDrain(summary, taskArn, result);
    }
  }
  if (toRelease.length > 0) {
    const released = await setTaskProtection(deps, { clusterArn, taskArns: toRelease, enabled: false });
    summary.released.push(...released.updated.map((task) => task.taskArn), ...released.notApplicable);
  }
  deps.logger.info('instance tasks handled', { ...summary });
  return summary;
}

function decide(item: TaskItem | undefined, releaseIdle: boolean): 'drain' | 'release' | 'skip' {
  if (item === undefined) return releaseIdle ? 'release' : 'skip';
  if (item.status === TaskStatus.Stopping || item.status === TaskStatus.Stopped) return 'skip';
  if (!releaseIdle || item.sessionCount > 0 || item.status === TaskStatus.Draining) return 'drain';
  return 'release';
}

/**
 * ECS set a container instance to DRAINING. The event may be a late duplicate from before an
 * operator set the instance back to ACTIVE; ECS's current status decides, so a stale event
 * never starts drains.
 */
export async function handleContainerInstanceDraining(
  deps: Deps,
  event: { clusterArn: string; containerInstanceArn: string },
): Promise<InstanceDrainSummary | Ignored> {
  const instance = await describeContainerInstance(deps, event.clusterArn, event.containerInstanceArn);
  if (instance === undefined) return ignored(`container instance ${event.containerInstanceArn} is unknown to ECS`);
  if (instance.status !== 'DRAINING') {
    return ignored(`stale event: container instance ${event.containerInstanceArn} is ${instance.status ?? 'of unknown status'} now`);
  }
  return drainInstanceTasks(deps, { ...event, releaseIdle: true });
}

/** EC2 recommends moving off an instance: drain its tasks ahead of a possible interruption. */
export async function handleRebalanceRecommendation(
  deps: Deps,
  event: { instanceId: string },
): Promise<InstanceDrainSummary | Ignored> {
  const located = await findContainerInstance(deps, event.instanceId);
  if (located === undefined) return ignored(`EC2 instance ${event.instanceId} is not a container instance of a cluster in scope`);
  return drainInstanceTasks(deps, { ...located, releaseIdle: false });
}
