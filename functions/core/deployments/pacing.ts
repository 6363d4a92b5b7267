/*
 * deployments/: a deployment's leaving tasks drained at ECS's pace. Rolling: pacing.ts decides
 * (pure: no SDK, no I/O), pace-service.ts reads ECS and the registry, claims drains (pace-claims.ts)
 * and starts them, target-health.ts asks the load balancers, state-change.ts answers ECS's
 * deployment events. Blue/green, linear and canary: blue-green.ts and green-rollback.ts. May import
 * drain/, protection/, ecs/, registry/, events/ and shared/; never workflow/, reconcile/,
 * interruptions/ or handlers/.
 */
import { DrainOutcome, DrainReason, type TaskItem, TaskStatus } from '../../registry/model.js';
// A drain is open from its claim (which records its reason and clears the last outcome) until it records an outcome.
import { hasUnfinishedDrain as hasOpenDrain } from '../drain/unfinished.js';

/** What the pacer needs of an ECS task (DescribeTasks). */
export interface EcsTaskView {
  taskArn: string;
  startedBy?: string;
  taskDefinitionArn?: string;
  lastStatus?: string;
  desiredStatus?: string;
  healthStatus?: string;
  /** Behind a load balancer: whether its targets are healthy in every target group (absent: no load balancer, or a target that cannot be told). */
  targetsHealthy?: boolean;
}

/** What the pacer needs of the service (DescribeServices). */
export interface ServiceDeploymentView {
  desiredCount: number;
  minimumHealthyPercent: number;
  primary: { id: string; taskDefinition?: string; rolloutState?: string };
}

export interface PacingPlan {
  /** Running tasks that the PRIMARY deployment did not start: ECS wants them gone. */
  leaving: string[];
  /** Tasks that take sessions now: RUNNING, not unhealthy, registered ACTIVE with no drain open. */
  serving: number;
  /** ECS's floor: desiredCount x minimumHealthyPercent, rounded up. */
  minServing: number;
  /** Leaving, registered tasks whose drain may start now, fewest sessions first. */
  release: TaskItem[];
  /** Leaving, registered tasks held back because the service cannot spare them yet. */
  held: TaskItem[];
  /** Leaving tasks the registry does not know: no session can be counted on them. */
  unregistered: string[];
  /** Tasks with an open deployment drain that the service now keeps (a rollback, a superseded or failed deployment). */
  cancel: TaskItem[];
  /** Kept tasks whose drain ended without a stop (blue tasks left for a clean-up that a rollback called off): back to service. */
  restore: TaskItem[];
}

/**
 * 'rolling': the pacer releases drains (ECS's rolling update). 'traffic-shift': BLUE_GREEN, LINEAR
 * and CANARY move traffic, not tasks; their blue tasks are drained at the lifecycle hook
 * (blue-green.ts), so the pacer only gives back what a rollback keeps.
 */
export type PacingMode = 'rolling' | 'traffic-shift';

/** ECS rounds the minimum healthy count up (deployment-type-ecs.html). */
export function minimumServing(desiredCount: number, minimumHealthyPercent: number): number {
  return Math.ceil((desiredCount * minimumHealthyPercent) / 100);
}

/**
 * A task belongs to the deployment that started it (startedBy = the deployment's id), whatever its
 * task definition: a forced deployment or a network change keeps the revision. A task without
 * startedBy (never seen for service tasks) falls back to its revision.
 */
export function isLeaving(task: EcsTaskView, primary: ServiceDeploymentView['primary']): boolean {
  if (task.desiredStatus !== undefined && task.desiredStatus !== 'RUNNING') return false;
  if (task.startedBy !== undefined && task.startedBy !== '') return task.startedBy !== primary.id;
  return primary.taskDefinition !== undefined && task.taskDefinitionArn !== primary.taskDefinition;
}

/**
 * The service keeps the task: the PRIMARY deployment started it (a rollback or a superseded
 * deployment made its deployment PRIMARY again), or the PRIMARY deployment FAILED and launches
 * nothing more (API_Deployment rolloutState), so the tasks it was replacing keep serving.
 */
export function keptByService(task: EcsTaskView, primary: ServiceDeploymentView['primary']): boolean {
  // A task ECS is stopping (desiredStatus STOPPED, RUNNING until its stop timeout) is kept by nobody.
  if (task.desiredStatus !== undefined && task.desiredStatus !== 'RUNNING') return false;
  return primary.rolloutState === 'FAILED' || !isLeaving(task, primary);
}

/** A blue task whose drain ended without a stop: DRAINING with its outcome, left for ECS's clean-up. */
function endedWithoutStop(item: TaskItem): boolean {
  return item.status === TaskStatus.Draining && item.drainOutcome !== undefined;
}

/** A deployment drain that a service keeping the task must give back: still open, or ended without a stop. */
export function holdsDeploymentDrain(item: TaskItem): boolean {
  return item.drainReason === DrainReason.Deployment && (hasOpenDrain(item) || endedWithoutStop(item));
}

/** An operator's cancel keeps the task out of deployment drains until it drains again for another reason (README "Operations"). */
function cancelledByOperator(item: TaskItem): boolean {
  return item.drainOutcome === DrainOutcome.Cancelled && item.cancelledBy === undefined;
}

export function isServing(task: EcsTaskView, item: TaskItem | undefined): boolean {
  return (
    task.lastStatus === 'RUNNING' &&
    task.desiredStatus === 'RUNNING' &&
    task.healthStatus !== 'UNHEALTHY' &&
    task.targetsHealthy !== false &&
    item !== undefined &&
    item.status === TaskStatus.Active &&
    !hasOpenDrain(item)
  );
}

/**
 * Which leaving tasks may start draining now. ECS's rolling update stops an old task only while
 * enough healthy tasks remain (minimumHealthyPercent); a drain refuses new sessions at once, so it
 * is held to the same floor: a task is released only while the tasks still taking sessions stay
 * at or above it. Tasks that take no sessions anyway (not RUNNING, unhealthy) cost nothing.
 * A FAILED deployment launches no new task (API_Deployment rolloutState): nothing more is released
 * and open deployment drains are cancelled, so the old tasks keep serving as they would under ECS alone.
 */
export function planPacing(
  service: ServiceDeploymentView,
  tasks: readonly EcsTaskView[],
  items: ReadonlyMap<string, TaskItem>,
  mode: PacingMode = 'rolling',
): PacingPlan {
  const minServing = minimumServing(service.desiredCount, service.minimumHealthyPercent);
  const failed = service.primary.rolloutState === 'FAILED';
  const leavingTasks = tasks.filter((task) => isLeaving(task, service.primary));
  const serving = tasks.filter((task) => isServing(task, items.get(task.taskArn))).length;

  const cancel: TaskItem[] = [];
  const restore: TaskItem[] = [];
  for (const task of tasks) {
    const item = items.get(task.taskArn);
    if (item === undefined || !holdsDeploymentDrain(item) || !keptByService(task, service.primary)) continue;
    if (hasOpenDrain(item)) cancel.push(item);
    else restore.push(item);
  }

  const unregistered: string[] = [];
  const candidates: { task: EcsTaskView; item: TaskItem }[] = [];
  for (const task of leavingTasks) {
    const item = items.get(task.taskArn);
    if (item === undefined) unregistered.push(task.taskArn);
    else if (item.status === TaskStatus.Active && !hasOpenDrain(item) && !cancelledByOperator(item)) candidates.push({ task, item });
  }
  // Free ones first, then the task that frees its capacity soonest: the fewest sessions.
  candidates.sort(
    (a, b) =>
      Number(isServing(a.task, a.item)) - Number(isServing(b.task, b.item)) ||
      (a.item.sessionCount ?? 0) - (b.item.sessionCount ?? 0) ||
      a.item.taskArn.localeCompare(b.item.taskArn),
  );

  const release: TaskItem[] = [];
  const held: TaskItem[] = [];
  let spare = serving - minServing;
  for (const { task, item } of candidates) {
    if (failed || mode === 'traffic-shift') held.push(item);
    else if (!isServing(task, item)) release.push(item);
    else if (spare > 0) {
      release.push(item);
      spare -= 1;
    } else held.push(item);
  }
  return { leaving: leavingTasks.map((task) => task.taskArn), serving, minServing, release, held, unregistered, cancel, restore };
}
