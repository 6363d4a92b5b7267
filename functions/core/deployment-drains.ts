import type { Deps } from '../shared/deps.js';
import { ignored, type Ignored } from '../shared/handler-kit.js';
import { DrainReason, serviceNameFromArn } from '../registry/model.js';
import type { DeploymentEvent } from '../events/ecs.js';
import { describeService, describeTasks, listRunningTaskArns } from './ecs-lookups.js';
import { drainOrReleaseLeavingTasks } from './drain-summary.js';

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
 * progress: tasks of every other revision are on their way out. Each registered one gets a drain,
 * the idle ones too: the drain marks a task DRAINING before it gives up its protection, so an idle
 * task cannot take a session between being unprotected and being stopped. Tasks the registry does
 * not know lose their protection so that ECS replaces them without waiting.
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

  const tally = await drainOrReleaseLeavingTasks(deps, {
    clusterArn,
    taskArns: oldTaskArns,
    reason: DrainReason.Deployment,
    releaseUnregistered: true,
    serviceName,
  });
  const summary: DeploymentDrainSummary = { serviceName, deploymentId, newTaskDefinition, oldTasks: oldTaskArns.length, ...tally };
  deps.logger.info('deployment handled', { ...summary, rollback: /roll(ing|ed)? ?back/i.test(event.reason ?? '') });
  return summary;
}
