import { DrainReason, type TaskItem, TaskStatus } from '../../registry/model.js';

/**
 * Pure decisions of the reconciler: each takes registry items and what ECS / Step Functions
 * reported, and says what to do. The I/O lives in run.ts and services.ts.
 */

/** What DescribeTasks says about a task; MISSING is ECS's failure reason for a task it no longer knows. */
export type EcsTaskState =
  | { kind: 'known'; lastStatus: string; desiredStatus: string; containerInstanceArn?: string; taskDefinitionArn?: string }
  | { kind: 'missing' };

export function isRunningInEcs(state: EcsTaskState | undefined): boolean {
  return state?.kind === 'known' && state.lastStatus === 'RUNNING' && state.desiredStatus === 'RUNNING';
}

/**
 * A registry item is stale once ECS reports its task STOPPED. A MISSING task counts only when
 * the task has also stopped heartbeating, because ECS may not list a task that started a moment
 * ago, and marking a live task STOPPED would refuse its sessions for good.
 */
export function isStale(
  item: Pick<TaskItem, 'status' | 'heartbeatAt'>,
  state: EcsTaskState | undefined,
  nowSeconds: number,
  heartbeatTimeoutSeconds: number,
): boolean {
  if (item.status === TaskStatus.Stopped || state === undefined) return false;
  if (state.kind === 'known') return state.lastStatus === 'STOPPED';
  return isHeartbeatOlderThan(item, nowSeconds, heartbeatTimeoutSeconds);
}

function isHeartbeatOlderThan(item: Pick<TaskItem, 'heartbeatAt'>, nowSeconds: number, timeoutSeconds: number): boolean {
  return item.heartbeatAt !== undefined && item.heartbeatAt < nowSeconds - timeoutSeconds;
}

/** A draining task whose agent stopped heartbeating cannot report its sessions closing. */
export function isHeartbeatLost(
  item: Pick<TaskItem, 'status' | 'heartbeatAt' | 'waitArmed'>,
  nowSeconds: number,
  heartbeatTimeoutSeconds: number,
): boolean {
  return (
    item.status === TaskStatus.Draining &&
    item.waitArmed === true &&
    isHeartbeatOlderThan(item, nowSeconds, heartbeatTimeoutSeconds)
  );
}

/**
 * How long after its deadline an open drain is taken for one whose workflow may be gone. By its
 * deadline the wait's timeout has fired; the stop step that follows retries for a few minutes at most.
 */
export const LOST_WORKFLOW_GRACE_SECONDS = 600;

/**
 * Whether the reconciler asks Step Functions if an open drain's workflow still runs. A workflow
 * that ends without finishing its drain is announced by its "Step Functions Execution Status
 * Change" event (ExecutionEndedFunction restarts the drain), but Step Functions sends those on a
 * best-effort basis (EventBridge reference, events-ref-states.html: "Delivery type: Best effort").
 * So the reconciler still checks the drains whose workflow must be gone if such an event was lost,
 * and only those: a drain past its deadline by the grace (a running workflow has force-stopped the
 * task by then), a drain without a deadline (claimed but not yet recorded: seconds in a healthy
 * drain) and one whose task holds no sessions (a running workflow stops an empty task within
 * seconds). A healthy drain waiting for sessions before its deadline matches none, so the cost of a
 * run does not grow with the number of drains open. A lost event thus costs at most the time until
 * the task is empty or its deadline passes, which is when a working drain would have ended anyway.
 */
export function mayHaveLostItsWorkflow(item: Pick<TaskItem, 'drainDeadline' | 'sessionCount'>, nowSeconds: number): boolean {
  if (item.sessionCount <= 0) return true;
  const deadline = item.drainDeadline === undefined ? Number.NaN : Date.parse(item.drainDeadline) / 1000;
  return Number.isNaN(deadline) || deadline + LOST_WORKFLOW_GRACE_SECONDS < nowSeconds;
}

export interface ServiceView {
  serviceName: string;
  status?: string;
  runningCount?: number;
  desiredCount?: number;
  deployments?: readonly { status?: string; taskDefinition?: string; createdAt?: Date }[];
}

/**
 * How many tasks the service runs beyond its desired count while nothing else explains it:
 * exactly one deployment, the PRIMARY one. During a deployment the extra tasks are the rollout's,
 * and the deployment handler drains the old ones.
 */
export function scaleInExcess(service: ServiceView): number {
  if (service.status !== 'ACTIVE') return 0;
  const deployments = service.deployments ?? [];
  if (deployments.length !== 1 || deployments[0]?.status !== 'PRIMARY') return 0;
  const excess = (service.runningCount ?? 0) - (service.desiredCount ?? 0);
  return excess > 0 ? excess : 0;
}

/** The tasks with the fewest sessions go first: they disturb the fewest users. Ties by ARN, for a stable choice. */
export function chooseScaleInVictims<T extends Pick<TaskItem, 'taskArn' | 'sessionCount'>>(candidates: readonly T[], count: number): T[] {
  if (count <= 0) return [];
  return [...candidates]
    .sort((a, b) => a.sessionCount - b.sessionCount || (a.taskArn < b.taskArn ? -1 : a.taskArn > b.taskArn ? 1 : 0))
    .slice(0, count);
}

export interface ScaleInPlan {
  excess: number;
  openDrains: number;
  victims: TaskItem[];
  /** Scale-in drains beyond the excess (ECS met the desired count another way, or it was raised again): they are cancelled. */
  surplus: TaskItem[];
}

/**
 * Which of a service's registry tasks to drain for scale-in. Drains already open for the service
 * (DRAINING items, and ACTIVE items whose drain execution is running but has not marked them yet)
 * count against the excess, so that consecutive runs never drain more than the excess.
 */
export function planScaleIn(
  service: ServiceView,
  serviceTasks: readonly TaskItem[],
  ecsStates: ReadonlyMap<string, EcsTaskState>,
  runningExecutionTasks: ReadonlySet<string>,
  drainingInstances: ReadonlySet<string> = new Set(),
): ScaleInPlan {
  // ECS replaces the tasks of a DRAINING container instance itself, starting their replacements
  // first: until those tasks leave, the service runs above its desired count for that reason alone.
  const onDrainingInstance = (task: TaskItem) => {
    const state = ecsStates.get(task.taskArn);
    return state?.kind === 'known' && state.containerInstanceArn !== undefined && drainingInstances.has(state.containerInstanceArn);
  };
  const leavingWithInstance = serviceTasks.filter((task) => task.status === TaskStatus.Active && onDrainingInstance(task)).length;
  const excess = Math.max(0, scaleInExcess(service) - leavingWithInstance);
  const isOpenDrain = (task: TaskItem) =>
    task.status === TaskStatus.Draining || (task.status === TaskStatus.Active && runningExecutionTasks.has(task.taskArn));
  const openDrains = serviceTasks.filter(isOpenDrain).length;
  const candidates = serviceTasks.filter(
    (task) =>
      task.status === TaskStatus.Active &&
      !runningExecutionTasks.has(task.taskArn) &&
      isRunningInEcs(ecsStates.get(task.taskArn)) &&
      !onDrainingInstance(task),
  );
  return { excess, openDrains, victims: chooseScaleInVictims(candidates, excess - openDrains), surplus: surplusScaleInDrains(service, serviceTasks, ecsStates, isOpenDrain, excess) };
}

/**
 * A scale-in drain outlives its reason when ECS met the desired count another way (a task whose
 * sessions ended was stopped unprotected while the drain was being chosen) or the desired count
 * was raised again: the task would refuse sessions for nothing, and be replaced once it stops.
 * Only scale-in drains count, only a settled service is judged (during a deployment the counts are the rollout's), only tasks
 * ECS still runs are counted (runningCount no longer holds the ones it is stopping), and an empty
 * task is left to its stop, which is due any moment. The busiest drains are given back first.
 */
function surplusScaleInDrains(
  service: ServiceView,
  serviceTasks: readonly TaskItem[],
  ecsStates: ReadonlyMap<string, EcsTaskState>,
  isOpenDrain: (task: TaskItem) => boolean,
  excess: number,
): TaskItem[] {
  const settled = service.status === 'ACTIVE' && service.deployments?.length === 1 && service.deployments[0]?.status === 'PRIMARY';
  if (!settled) return [];
  const open = serviceTasks.filter(
    (task) => task.drainReason === DrainReason.ScaleIn && isOpenDrain(task) && task.drainOutcome === undefined && isRunningInEcs(ecsStates.get(task.taskArn)),
  );
  const count = open.length - excess;
  if (count <= 0) return [];
  return open
    .filter((task) => task.sessionCount > 0)
    .sort((a, b) => b.sessionCount - a.sessionCount || (a.taskArn < b.taskArn ? -1 : a.taskArn > b.taskArn ? 1 : 0))
    .slice(0, count);
}
