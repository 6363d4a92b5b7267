import type { Deps } from '../shared/deps.js';
import { ignored, type Ignored } from '../shared/handler-kit.js';
import { DrainReason, serviceNameFromArn, TaskStatus } from '../registry/model.js';
import { readTask } from '../registry/tasks.js';
import type { DeploymentEvent } from '../events/ecs.js';
import { describeService, describeTasks, listRunningTaskArns } from './ecs-lookups.js';
import { tallyDrain } from './drain-summary.js';
import { setTaskProtection } from './protection.js';
import { startDrain } from './start-drain.js';

export const DEPLOYMENT_IN_PROGRESS = 'SERVICE_DEPLOYMENT_IN_PROGRESS';

export interface DeploymentDrainSummary {
  serviceName: string;
  deploymentId: string;
  newTaskDefinition: string;
  oldTasks: number;
  drainsStarted: string[];
  alreadyDraining: string[];
  released: string[];
  skipped: string[];
}

/**
 * A deployment (or a rollback, which ECS runs as a deployment back to the earlier revision) is in
 * progress: tasks of every other revision are on their way out. Those holding sessions get a
 * drain; idle ones lose their protection so that ECS replaces them without waiting.
 *
 * The event's deployment must still be the service's PRIMARY one. If a newer deployment has
 * superseded it, that deployment's own event does the work, so a late event changes nothing.
 */
export async function handleDeploymentEvent(deps: Deps, event: DeploymentEvent): Promise<DeploymentDrainSummary | Ignored> {
  if (event.eventName !== DEPLOYMENT_IN_PROGRESS) {
    return ignored(`deployment event ${event.eventName} needs no action (only ${DEPLOYMENT_IN_PROGRESS})`);
  }
  const { clusterArn, serviceArn, deploymentId } = event;
  const service = await describeService(deps, clusterArn, serviceArn);
  if (service === undefined) return ignored(`service ${serviceArn} is unknown to ECS`);
  const deployment = service.deployments?.find((candidate) => candidate.id === deploymentId);
  if (deployment === undefined) return ignored(`stale event: deployment ${deploymentId} is no longer listed for ${serviceArn}`);
  if (deployment.status !== 'PRIMARY') {
    return ignored(`stale event: deployment ${deploymentId} is ${deployment.status ?? 'of unknown status'}, not PRIMARY`);
  }
  const newTaskDefinition = deployment.taskDefinition;
  if (newTaskDefinition === undefined) return ignored(`deployment ${deploymentId} names no task definition`);

  const serviceName = service.serviceName ?? serviceNameFromArn(serviceArn);
  const runningArns = await listRunningTaskArns(deps, { clusterArn, serviceName });
  const running = await describeTasks(deps, clusterArn, runningArns);
  const oldTaskArns = running
    .filter((task) => task.taskArn !== undefined && task.taskDefinitionArn !== newTaskDefinition)
    .map((task) => task.taskArn as string);

  const summary: DeploymentDrainSummary = {
    serviceName,
    deploymentId,
    newTaskDefinition,
    oldTasks: oldTaskArns.length,
    drainsStarted: [],
    alreadyDraining: [],
    released: [],
    skipped: [],
  };
  const toRelease: string[] = [];
  for (const taskArn of oldTaskArns) {
    // Consistent read per task: the ByCluster index may not show a session opened a moment ago,
    // and releasing a task that holds one would cut that user off.
    const item = await readTask({ ddb: deps.ddb, tableName: deps.config.tableName }, taskArn);
    if (item !== undefined && (item.status === TaskStatus.Stopping || item.status === TaskStatus.Stopped)) {
      summary.skipped.push(taskArn);
    } else if (item !== undefined && (item.sessionCount > 0 || item.status === TaskStatus.Draining)) {
      tallyDrain(summary, taskArn, await startDrain(deps, { clusterArn, taskArn, serviceName, reason: DrainReason.Deployment }));
    } else {
      toRelease.push(taskArn);
    }
  }
  if (toRelease.length > 0) {
    const released = await setTaskProtection(deps, { clusterArn, taskArns: toRelease, enabled: false });
    summary.released.push(...released.updated.map((task) => task.taskArn), ...released.notApplicable);
  }
  deps.logger.info('deployment handled', { ...summary, rollback: /roll(ing|ed)? ?back/i.test(event.reason ?? '') });
  return summary;
}
