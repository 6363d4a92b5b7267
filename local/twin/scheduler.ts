import type { TwinService, TwinTask } from './model.js';
import { isInService, isProtected } from './model.js';

/*
 * The replica service scheduler's decisions, as pure functions of a service and its tasks.
 * Rolling update rules: https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-type-ecs.html
 * - minimumHealthyPercent: healthy tasks that must remain, desiredCount * percent rounded UP; a
 *   task counts once it is RUNNING and passes its health checks (see health.ts);
 * - maximumPercent: tasks allowed in RUNNING or PENDING, desiredCount * percent rounded DOWN;
 * - a task that failed its health checks is stopped and replaced (API_HealthCheck.html);
 * - "A deployment in a FAILED state won't launch any new tasks" (deployment-circuit-breaker.html):
 *   the twin then also stops no more tasks for it (AWS documents nothing further).
 * Task scale-in protection holds a task against deployments and scale-in:
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-scale-in-protection.html
 */

export type StopWhy = 'deployment' | 'scale-in' | 'instance-draining' | 'unhealthy';

export interface PlanInput {
  service: Pick<TwinService, 'desiredCount' | 'minimumHealthyPercent' | 'maximumPercent' | 'deployments'>;
  /** The service's tasks, in creation order; STOPPED ones are ignored. */
  tasks: readonly TwinTask[];
  now: Date;
  isOnDrainingInstance: (task: TwinTask) => boolean;
  /** Whether protection holds a task on a DRAINING container instance (see twin options). */
  drainingHonoursProtection: boolean;
  /** Counts toward minimumHealthyPercent and the steady state (default: RUNNING). */
  isHealthy?: (task: TwinTask) => boolean;
  /** Failed its health checks after the grace period: the scheduler stops and replaces it. */
  isFailing?: (task: TwinTask) => boolean;
}

export interface ServicePlan {
  /** New tasks of the PRIMARY deployment to start now. */
  start: number;
  stop: { task: TwinTask; why: StopWhy }[];
}

export function taskLimits(desiredCount: number, minimumHealthyPercent: number, maximumPercent: number): { minHealthy: number; maxTotal: number } {
  const minHealthy = Math.floor((desiredCount * minimumHealthyPercent + 99) / 100);
  const maxTotal = Math.max(desiredCount, Math.floor((desiredCount * maximumPercent) / 100));
  return { minHealthy, maxTotal };
}

export function planService(input: PlanInput): ServicePlan {
  const { service, now } = input;
  const primaryId = service.deployments[0]?.id;
  const failed = service.deployments[0]?.rolloutState === 'FAILED';
  const desired = service.desiredCount;
  const { minHealthy, maxTotal } = taskLimits(desired, service.minimumHealthyPercent, service.maximumPercent);
  const isHealthy = input.isHealthy ?? ((task: TwinTask) => task.lastStatus === 'RUNNING');
  const isFailing = input.isFailing ?? (() => false);

  const inService = input.tasks.filter(isInService);
  const leaving = (task: TwinTask): StopWhy | undefined => {
    if (isFailing(task)) return 'unhealthy';
    if (task.deploymentId !== primaryId) return failed ? undefined : 'deployment';
    return input.isOnDrainingInstance(task) ? 'instance-draining' : undefined;
  };
  const keepers = inService.filter((task) => leaving(task) === undefined);
  const leavers = inService.filter((task) => leaving(task) !== undefined);

  const start = failed ? 0 : Math.max(0, Math.min(desired - keepers.length, maxTotal - inService.length));

  const stop: ServicePlan['stop'] = [];
  let healthy = inService.filter(isHealthy).length;
  // Tasks that are not healthy (yet) are given up first: stopping them costs no healthy capacity.
  const byReadiness = [...leavers].sort((a, b) => Number(isHealthy(a)) - Number(isHealthy(b)));
  for (const task of byReadiness) {
    const why = leaving(task) as StopWhy;
    const held = isProtected(task, now) && (why === 'deployment' || input.drainingHonoursProtection);
    if (held) continue;
    if (!isHealthy(task)) {
      stop.push({ task, why });
    } else if (healthy - 1 >= minHealthy) {
      stop.push({ task, why });
      healthy -= 1;
    }
  }

  const excess = failed ? 0 : keepers.length - desired;
  if (excess > 0) {
    // Scale-in takes tasks that are not healthy yet first, then the newest; never protected ones.
    const candidates = keepers
      .filter((task) => !isProtected(task, now))
      .sort((a, b) => Number(isHealthy(a)) - Number(isHealthy(b)) || b.createdAt.getTime() - a.createdAt.getTime());
    for (const task of candidates.slice(0, excess)) stop.push({ task, why: 'scale-in' });
  }
  return { start, stop };
}

export interface DeploymentProgress {
  /** ACTIVE deployments whose tasks have all stopped: ECS drops them from the service. */
  finished: string[];
  /** The PRIMARY deployment has reached a steady state. */
  primaryCompleted: boolean;
}

/** Steady state: no other deployment has tasks left and the PRIMARY's desired count of tasks is healthy. */
export function deploymentProgress(
  service: TwinService,
  tasks: readonly TwinTask[],
  isHealthy: (task: TwinTask) => boolean = (task) => task.lastStatus === 'RUNNING',
): DeploymentProgress {
  const [primary, ...older] = service.deployments;
  const alive = tasks.filter((task) => task.lastStatus !== 'STOPPED');
  const finished = older.filter((deployment) => !alive.some((task) => task.deploymentId === deployment.id)).map((deployment) => deployment.id);
  if (primary === undefined || primary.rolloutState !== 'IN_PROGRESS') return { finished, primaryCompleted: false };
  const othersRemain = older.length > finished.length;
  const primaryTasks = tasks.filter((task) => task.deploymentId === primary.id && isInService(task));
  const healthy = primaryTasks.filter(isHealthy).length;
  const primaryCompleted = !othersRemain && healthy === service.desiredCount && primaryTasks.length === healthy;
  return { finished, primaryCompleted };
}

/** Counts ECS reports for a set of tasks: RUNNING and PENDING ones the scheduler still wants. */
export function taskCounts(tasks: readonly TwinTask[]): { runningCount: number; pendingCount: number; desiredCount: number } {
  const wanted = tasks.filter(isInService);
  const runningCount = wanted.filter((task) => task.lastStatus === 'RUNNING').length;
  return { runningCount, pendingCount: wanted.length - runningCount, desiredCount: wanted.length };
}
