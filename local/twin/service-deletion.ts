import type { TaskLifecycle } from './lifecycle.js';
import type { TwinService, TwinTask } from './model.js';
import { isInService } from './model.js';
import type { TwinStore } from './store.js';

/*
 * DeleteService, as https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeleteService.html
 * says it goes: a service still scaled above 0 is deleted only with `force`; "if there are still
 * running tasks that require cleanup, the service status moves from ACTIVE to DRAINING, and the
 * service is no longer visible in ... ListServices. After all tasks have transitioned to either
 * STOPPING or STOPPED status, the service status moves from DRAINING to INACTIVE." DRAINING and
 * INACTIVE services still answer DescribeServices; a new service may take the name of an INACTIVE
 * one, not of an ACTIVE or DRAINING one.
 *
 * The service's tasks are stopped as the scheduler stops them (through the load balancer first,
 * then SIGTERM, SIGKILL after stopTimeout). Task scale-in protection does not hold them: AWS
 * documents it against "scale-in events from either service auto scaling or deployments"
 * (task-scale-in-protection.html), and deleting the service is neither. The twin has no STOPPING
 * status: a task whose container still runs after SIGTERM reports RUNNING (desired STOPPED), so the
 * service stays DRAINING until each task is DEPROVISIONING or STOPPED, while its users are still
 * being served.
 */

export const DELETED_SERVICE_STOP_REASON = 'Service deleted: task stopped by the service scheduler';

/** Services whose tasks are being stopped by DeleteService right now: they settle only after it answered. */
const deleting = new WeakSet<TwinService>();

export function deleteServiceTasks(service: TwinService, store: TwinStore, lifecycle: TaskLifecycle): void {
  service.status = 'DRAINING';
  service.desiredCount = 0;
  const stopping = store.tasksOfService(service).filter(isInService);
  deleting.add(service);
  try {
    stopTasks(service, stopping, lifecycle);
  } finally {
    deleting.delete(service);
  }
  // With tasks to stop, DeleteService answers DRAINING (an app that exits at once on SIGTERM
  // settles on the scheduler's pass after the call); with none, INACTIVE at once.
  if (stopping.length === 0) settleDeletedService(service, store.tasksOfService(service));
}

function stopTasks(service: TwinService, tasks: readonly TwinTask[], lifecycle: TaskLifecycle): void {
  for (const task of tasks) {
    const request = { stopCode: 'ServiceSchedulerInitiated' as const, stoppedReason: DELETED_SERVICE_STOP_REASON, sigterm: 'ServiceScheduler' as const, graceSeconds: service.stopTimeoutSeconds };
    if (service.deregistrationDelaySeconds) lifecycle.deregisterThenStop(task, request, service.deregistrationDelaySeconds);
    else lifecycle.requestStop(task, request);
  }
}

/** DRAINING becomes INACTIVE once no container of the service's tasks runs any more. */
export function settleDeletedService(service: TwinService, tasks: readonly TwinTask[]): void {
  if (service.status !== 'DRAINING' || deleting.has(service)) return;
  if (tasks.every((task) => task.lastStatus === 'STOPPED' || task.lastStatus === 'DEPROVISIONING')) service.status = 'INACTIVE';
}
