import type { TaskItem } from '../../functions/registry/model.js';
import { definedOnly } from '../../functions/shared/optional.js';
import type { TwinSnapshot, TwinTask } from '../twin/index.js';

/**
 * The services and their tasks as an operator wants them side by side: what ECS says of each task
 * (the twin: status, revision, deployment, health, ECS protection) next to what the orchestrator's
 * registry says (drain status, the sessions the task reports, the protection it manages). Pure:
 * a twin snapshot and the registry's task items in, plain data for the page out.
 */

export interface TaskView {
  taskArn: string;
  taskId: string;
  lastStatus: string;
  desiredStatus: string;
  /** The registry's status (ACTIVE, DRAINING, STOPPING, STOPPED); absent when the task is not in the registry. */
  drainStatus?: string;
  drainReason?: string;
  /** The sessions the task last reported to the registry. */
  sessions?: number;
  /** ECS scale-in protection, as the twin holds it. */
  protected: boolean;
  protectedUntil?: string;
  /** PROTECTED / UNPROTECTED / BLOCKED, as the orchestrator last set it. */
  protectionState?: string;
  /** "chat:2": the task definition's family and revision. */
  revision: string;
  deploymentId?: string;
  health: string;
  /** The load balancer target's state (healthy, draining, ...), for tasks behind one. */
  targetHealth?: string;
  stopCode?: string;
  /** ISO-8601. */
  startedAt?: string;
  stoppedAt?: string;
}

export interface DeploymentView {
  id: string;
  status: string;
  rolloutState: string;
  rolloutStateReason?: string;
  revision: string;
  desiredCount: number;
  runningCount: number;
  pendingCount: number;
  createdAt: string;
}

export interface ServiceView {
  serviceName: string;
  clusterName: string;
  status: string;
  desiredCount: number;
  runningCount: number;
  pendingCount: number;
  deployments: DeploymentView[];
  /** Live tasks first (oldest first), then the most recently stopped ones. */
  tasks: TaskView[];
}

export interface DeploymentInProgress extends DeploymentView {
  serviceName: string;
  clusterName: string;
}

/** Stopped tasks kept per service: enough to see what a deployment replaced, not a whole day's. */
export const STOPPED_TASKS_SHOWN = 12;

export function revisionOf(taskDefinitionArn: string): string {
  return taskDefinitionArn.slice(taskDefinitionArn.lastIndexOf('/') + 1);
}

function clusterNameOf(clusterArn: string): string {
  return clusterArn.slice(clusterArn.lastIndexOf('/') + 1);
}

export function taskView(task: TwinTask, item: TaskItem | undefined, targetHealth: string | undefined): TaskView {
  return {
    taskArn: task.taskArn,
    taskId: task.taskId,
    lastStatus: task.lastStatus,
    desiredStatus: task.desiredStatus,
    protected: task.protection.enabled,
    revision: revisionOf(task.taskDefinitionArn),
    health: task.healthStatus ?? 'UNKNOWN',
    ...definedOnly({
      drainStatus: item?.status,
      drainReason: item?.drainReason,
      sessions: item?.sessionCount,
      protectedUntil: task.protection.enabled ? task.protection.expiresAt?.toISOString() : undefined,
      protectionState: item?.protectionState,
      deploymentId: task.deploymentId,
      targetHealth,
      stopCode: task.stopCode,
      startedAt: task.startedAt?.toISOString(),
      stoppedAt: task.stoppedAt?.toISOString(),
    }),
  };
}

export function fleetView(
  snapshot: TwinSnapshot,
  items: ReadonlyMap<string, TaskItem>,
  targetHealth: (taskArn: string) => string | undefined,
): { services: ServiceView[]; deploymentsInProgress: DeploymentInProgress[] } {
  const services = snapshot.services.map((service): ServiceView => {
    const tasks = snapshot.tasks.filter((task) => task.serviceName === service.serviceName && task.clusterArn === service.clusterArn);
    const byAge = (a: TwinTask, b: TwinTask) => a.createdAt.getTime() - b.createdAt.getTime();
    const live = tasks.filter((task) => task.lastStatus !== 'STOPPED').sort(byAge);
    const stopped = tasks
      .filter((task) => task.lastStatus === 'STOPPED')
      .sort((a, b) => (b.stoppedAt?.getTime() ?? 0) - (a.stoppedAt?.getTime() ?? 0))
      .slice(0, STOPPED_TASKS_SHOWN);
    return {
      serviceName: service.serviceName,
      clusterName: clusterNameOf(service.clusterArn),
      status: service.status,
      desiredCount: service.desiredCount,
      runningCount: service.runningCount,
      pendingCount: service.pendingCount,
      deployments: service.deployments.map((deployment) => ({
        id: deployment.id,
        status: deployment.status,
        rolloutState: deployment.rolloutState,
        revision: revisionOf(deployment.taskDefinitionArn),
        desiredCount: deployment.desiredCount,
        runningCount: deployment.runningCount,
        pendingCount: deployment.pendingCount,
        createdAt: deployment.createdAt.toISOString(),
        ...definedOnly({ rolloutStateReason: deployment.rolloutStateReason }),
      })),
      tasks: [...live, ...stopped].map((task) => taskView(task, items.get(task.taskArn), task.lastStatus === 'STOPPED' ? undefined : targetHealth(task.taskArn))),
    };
  });
  const deploymentsInProgress = services.flatMap((service) =>
    service.deployments.filter((deployment) => deployment.rolloutState === 'IN_PROGRESS').map((deployment) => ({ ...deployment, serviceName: service.serviceName, clusterName: service.clusterName })),
  );
  return { services, deploymentsInProgress };
}
