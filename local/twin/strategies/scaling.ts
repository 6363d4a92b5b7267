/** Keeps one revision (a deployment or a task set) of a service at the task count a strategy wants: starts what is missing, stops what is too many. */
import type { ScaledClock } from '../../cloud/clock.js';
import type { StopRequest, TaskLifecycle } from '../lifecycle.js';
import type { TwinService, TwinTask } from '../model.js';
import { isInService, isProtected } from '../model.js';
import type { TwinStore } from '../store.js';
import { loadBalancerPorts } from '../target-health.js';
import { definedOnly } from '../../../functions/shared/optional.js';

export interface ScalingHost {
  clock: ScaledClock;
  store: TwinStore;
  lifecycle: TaskLifecycle;
  /** Whether scale-in protection holds a task this scale-down would stop (EcsTwinOptions.blueGreenHonoursProtection). */
  honoursProtection: boolean;
  /** When a rollback scales green down (EcsTwinOptions.blueGreenRollbackScalesGreenDown). */
  rollbackScalesGreenDown: 'at-once' | 'after-hooks';
}

export interface Revision {
  /** The deployment or task set id: the tasks' deploymentId and startedBy. */
  id: string;
  taskDefinitionArn: string;
}

/** Tasks of the revision that have not STOPPED yet (stopping ones included). */
export function aliveTasks(store: TwinStore, service: TwinService, revisionId: string): TwinTask[] {
  return store.tasksOfService(service).filter((task) => task.deploymentId === revisionId && task.lastStatus !== 'STOPPED');
}

export function scaleRevision(host: ScalingHost, service: TwinService, revision: Revision, desired: number): void {
  const inService = host.store.tasksOfService(service).filter((task) => task.deploymentId === revision.id && isInService(task));
  for (let missing = desired - inService.length; missing > 0; missing -= 1) {
    if (!launch(host, service, revision)) break;
  }
  const excess = inService.length - desired;
  if (excess <= 0) return;
  const now = host.clock.now();
  const candidates = inService
    .filter((task) => !(host.honoursProtection && isProtected(task, now)))
    .sort((a, b) => Number(a.lastStatus === 'RUNNING') - Number(b.lastStatus === 'RUNNING') || b.createdAt.getTime() - a.createdAt.getTime());
  for (const task of candidates.slice(0, excess)) stop(host, service, task, revision.id);
}

/** Starts one task of the revision; false when an EC2 service has nowhere to place it. */
function launch(host: ScalingHost, service: TwinService, revision: Revision): boolean {
  let containerInstanceArn: string | undefined;
  if (service.launchType === 'EC2') {
    containerInstanceArn = host.store.placeOnInstance(service.clusterArn)?.containerInstanceArn;
    if (containerInstanceArn === undefined) return false;
  }
  host.lifecycle.launch({
    clusterArn: service.clusterArn,
    serviceName: service.serviceName,
    taskDefinitionArn: revision.taskDefinitionArn,
    group: `service:${service.serviceName}`,
    launchType: service.launchType,
    ...definedOnly({ capacityProviderName: service.capacityProvider, containerInstanceArn }),
    startupSeconds: service.startupSeconds,
    deploymentId: revision.id,
    startedBy: revision.id,
    containerPorts: loadBalancerPorts(service, revision.id),
  });
  return true;
}

/** A scheduler stop, as for a rolling deployment: through the load balancer first when the service has one. */
function stop(host: ScalingHost, service: TwinService, task: TwinTask, revisionId: string): void {
  const request: StopRequest = {
    stopCode: 'ServiceSchedulerInitiated',
    stoppedReason: `Scaling activity initiated by (deployment ${revisionId})`,
    sigterm: 'ServiceScheduler',
    graceSeconds: service.stopTimeoutSeconds,
  };
  if (service.deregistrationDelaySeconds) host.lifecycle.deregisterThenStop(task, request, service.deregistrationDelaySeconds);
  else host.lifecycle.requestStop(task, request);
}
