/** Task sets of EXTERNAL and CODE_DEPLOY services: how many tasks each keeps, which one serves production, and their API shape. */
import { invalidParameter } from '../errors.js';
import type { IdSource, TwinService } from '../model.js';
import { taskCounts } from '../scheduler.js';
import type { TwinStore } from '../store.js';
import type { TwinTaskSet } from './config.js';
import { aliveTasks, scaleRevision, type ScalingHost } from './scaling.js';
import { definedOnly } from '../../../functions/shared/optional.js';

/** API_TaskSet computedDesiredCount: the service's desiredCount times the scale percentage, always rounded up. */
export function computedDesiredCount(service: TwinService, set: TwinTaskSet): number {
  return set.status === 'DRAINING' ? 0 : Math.ceil((service.desiredCount * set.scale) / 100 - 1e-9);
}

/** Starts and stops tasks so that each task set runs its computed desired count; drops drained sets once their tasks are gone. */
export function maintainTaskSets(host: ScalingHost, service: TwinService): void {
  const sets = service.taskSets ?? [];
  for (const set of sets) scaleRevision(host, service, { id: set.id, taskDefinitionArn: set.taskDefinitionArn }, computedDesiredCount(service, set));
  service.taskSets = sets.filter((set) => set.status !== 'DRAINING' || aliveTasks(host.store, service, set.id).length > 0);
}

export function newTaskSet(
  store: TwinStore,
  ids: IdSource,
  service: TwinService,
  spec: { taskDefinitionArn: string; scale?: number; externalId?: string; startedBy?: string },
  now: Date,
): TwinTaskSet {
  const scale = spec.scale ?? 100;
  if (!(scale >= 0 && scale <= 100)) throw invalidParameter('scale.value must be between 0 and 100.');
  store.rememberTaskDefinition(spec.taskDefinitionArn);
  const id = `ecs-svc/${ids.digits(19)}`;
  const clusterName = service.clusterArn.split('/').pop() ?? '';
  const set: TwinTaskSet = {
    id,
    taskSetArn: `${store.arnPrefix}:task-set/${clusterName}/${service.serviceName}/${id}`,
    // The first task set of a service serves production until a controller says otherwise.
    status: (service.taskSets ?? []).some((other) => other.status === 'PRIMARY') ? 'ACTIVE' : 'PRIMARY',
    taskDefinitionArn: spec.taskDefinitionArn,
    scale,
    ...definedOnly({ externalId: spec.externalId, startedBy: spec.startedBy }),
    createdAt: now,
    updatedAt: now,
  };
  service.taskSets = [...(service.taskSets ?? []), set];
  return set;
}

export function findTaskSet(service: TwinService, ref: string): TwinTaskSet | undefined {
  return (service.taskSets ?? []).find((set) => set.id === ref || set.taskSetArn === ref || set.taskSetArn.endsWith(`/${ref}`));
}

/** UpdateServicePrimaryTaskSet: the set serves production traffic; the former primary becomes ACTIVE. */
export function makePrimary(service: TwinService, set: TwinTaskSet, now: Date): void {
  if (set.status === 'DRAINING') throw invalidParameter('The specified task set is being deleted.');
  for (const other of service.taskSets ?? []) {
    if (other !== set && other.status === 'PRIMARY') {
      other.status = 'ACTIVE';
      other.updatedAt = now;
    }
  }
  set.status = 'PRIMARY';
  set.updatedAt = now;
}

/** DeleteTaskSet: refused while the set still has a scale above zero, unless forced (API_DeleteTaskSet `force`). */
export function drainTaskSet(set: TwinTaskSet, force: boolean, now: Date): void {
  if (!force && set.scale > 0) throw invalidParameter('The task set cannot be deleted until it has been scaled down to zero. Use force to delete it anyway.');
  set.status = 'DRAINING';
  set.updatedAt = now;
}

export function taskSetView(store: TwinStore, service: TwinService, set: TwinTaskSet): Record<string, unknown> {
  const counts = taskCounts(store.tasksOfService(service).filter((task) => task.deploymentId === set.id));
  const computed = computedDesiredCount(service, set);
  return {
    id: set.id,
    taskSetArn: set.taskSetArn,
    serviceArn: service.serviceArn,
    clusterArn: service.clusterArn,
    ...definedOnly({ startedBy: set.startedBy, externalId: set.externalId }),
    status: set.status,
    taskDefinition: set.taskDefinitionArn,
    computedDesiredCount: computed,
    pendingCount: counts.pendingCount,
    runningCount: counts.runningCount,
    createdAt: set.createdAt.getTime() / 1000,
    updatedAt: set.updatedAt.getTime() / 1000,
    launchType: service.launchType,
    ...(service.launchType === 'FARGATE' ? { platformVersion: '1.4.0', platformFamily: 'Linux' } : {}),
    loadBalancers: [],
    serviceRegistries: [],
    scale: { value: set.scale, unit: 'PERCENT' },
    stabilityStatus: counts.runningCount === computed && counts.pendingCount === 0 ? 'STEADY_STATE' : 'STABILIZING',
    stabilityStatusAt: set.updatedAt.getTime() / 1000,
    tags: [],
  };
}
