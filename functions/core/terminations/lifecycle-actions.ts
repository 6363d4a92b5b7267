import type { Deps } from '../../shared/deps.js';
import { registryTable } from '../../registry/conditional-write.js';
import { epochSeconds, TaskStatus } from '../../registry/model.js';
import { readTask } from '../../registry/tasks.js';
import {
  COMPLETED_ACTION_KEPT_SECONDS,
  forgetCompletedAction,
  type LifecycleAction,
  readLifecycleActions,
  recordActionCompleted,
  recordActionHeartbeat,
} from '../../registry/terminations/items.js';
import { listRunningTaskArns } from '../ecs/lookups.js';
import { hasUnfinishedDrain } from '../drain/unfinished.js';
import { drainInstanceTasks } from '../interruptions/instances.js';
import { completeLifecycleAction, recordHeartbeat } from './auto-scaling.js';

/**
 * After the drains' deadline the action is completed even with tasks left: by then each drain has
 * force-stopped its task, and waiting longer would only let the global timeout end the action
 * with the hook's DefaultResult.
 */
export const PAST_DEADLINE_GRACE_SECONDS = 120;

export type ActionStep = 'completed' | 'gone' | 'heartbeat' | 'waiting' | 'forgotten';

/**
 * The registered tasks on the instance (ECS lists those whose desired status is RUNNING): those that
 * hold it (sessions on them, a drain under way, or its stop about to be asked), the busy ones no drain covers yet (placed there after the drains
 * started) and the idle ones no drain covers.
 */
async function tasksOnInstance(deps: Deps, action: LifecycleAction): Promise<{ holding: string[]; busyUndrained: number; idleUndrained: number }> {
  const taskArns = await listRunningTaskArns(deps, { clusterArn: action.clusterArn, containerInstanceArn: action.containerInstanceArn });
  const holding: string[] = [];
  let busyUndrained = 0;
  let idleUndrained = 0;
  for (const taskArn of taskArns) {
    const item = await readTask(registryTable(deps), taskArn);
    if (item === undefined) continue;
    const draining = hasUnfinishedDrain(item);
    const busy = item.status === TaskStatus.Active && (item.sessionCount ?? 0) > 0;
    // STOPPING while ECS still lists it RUNNING: its drain's stop step is under way, StopTask not yet
    // called; letting the instance go now would kill it instead of stopping it.
    const stopping = item.status === TaskStatus.Stopping;
    if (draining || busy || stopping) holding.push(taskArn);
    if (item.status === TaskStatus.Active && !draining) {
      if (busy) busyUndrained += 1;
      else idleUndrained += 1;
    }
  }
  return { holding, busyUndrained, idleUndrained };
}

/**
 * Drains of tasks that came to the instance after its first drains (ECS places tasks on it while
 * it is ACTIVE): no surge, since a surge could place one more there; ECS replaces each after its stop.
 */
function drainLateTasks(deps: Deps, action: LifecycleAction): Promise<unknown> {
  return drainInstanceTasks(deps, {
    clusterArn: action.clusterArn,
    containerInstanceArn: action.containerInstanceArn,
    releaseUnregistered: false,
    surge: false,
    deadline: new Date(action.drainDeadline * 1000),
  });
}

/**
 * Moves one recorded action on: CONTINUE once no task holds its instance (none with sessions, no
 * drain under way) or the drains' deadline passed; otherwise a heartbeat when half the hook's
 * heartbeat timeout has gone by. Tasks ECS placed on the instance after the drains started are
 * drained too (drainNewTasks: false right after the first drains): busy ones at once, idle ones
 * just before CONTINUE, so that none takes a session in the instance's last moments. Every step is
 * harmless repeated: a heartbeat or completion of an action Auto Scaling already ended is
 * recorded as gone.
 */
export async function settleLifecycleAction(deps: Deps, action: LifecycleAction, options: { drainNewTasks?: boolean } = {}): Promise<ActionStep> {
  const table = registryTable(deps);
  const now = epochSeconds(deps.now());
  if (action.completedAt !== undefined) {
    if (now - action.completedAt < COMPLETED_ACTION_KEPT_SECONDS) return 'waiting';
    await forgetCompletedAction(table, action);
    return 'forgotten';
  }
  if (now >= action.globalDeadline) {
    await recordActionCompleted(table, action, now, 'GONE');
    return 'gone';
  }
  const drainNewTasks = options.drainNewTasks !== false;
  const { holding, busyUndrained, idleUndrained } = await tasksOnInstance(deps, action);
  const pastDeadline = now >= action.drainDeadline + PAST_DEADLINE_GRACE_SECONDS;
  if (holding.length === 0 || pastDeadline) {
    if (holding.length > 0) deps.logger.warn('lifecycle action completed past the drain deadline with tasks left', { instanceId: action.instanceId, holding });
    // Idle tasks left there refuse sessions from now on; their drains stop them.
    if (drainNewTasks && idleUndrained > 0) await drainLateTasks(deps, action);
    const answer = await completeLifecycleAction(deps, action);
    await recordActionCompleted(table, action, now, answer === 'completed' ? 'CONTINUE' : 'GONE');
    deps.logger.info('lifecycle action completed', { instanceId: action.instanceId, groupName: action.groupName, hookName: action.hookName, answer });
    return answer === 'completed' ? 'completed' : 'gone';
  }
  if (drainNewTasks && busyUndrained > 0) await drainLateTasks(deps, action);
  if (now - action.heartbeatAt < heartbeatIntervalSeconds(action.heartbeatTimeoutSeconds)) return 'waiting';
  const answer = await recordHeartbeat(deps, action);
  if (answer === 'gone') {
    await recordActionCompleted(table, action, now, 'GONE');
    return 'gone';
  }
  await recordActionHeartbeat(table, action, now);
  return 'heartbeat';
}

/**
 * How long after the last heartbeat the next one is sent: half the hook's timeout, and no later
 * than 150 s before it lapses, since the reconciler looks once a minute (a hook of two minutes or
 * less gets one every run).
 */
export function heartbeatIntervalSeconds(heartbeatTimeoutSeconds: number): number {
  return Math.max(0, Math.min(heartbeatTimeoutSeconds / 2, heartbeatTimeoutSeconds - 150));
}

export interface LifecycleActionsSummary {
  open: number;
  completed: number;
  heartbeats: number;
}

/** Every recorded action, one at a time; `run` keeps one action's failure from stopping the others (the reconciler's Work). */
export async function settleLifecycleActions(
  deps: Deps,
  run: <T>(what: string, context: Record<string, unknown>, action: () => Promise<T>) => Promise<T | undefined>,
): Promise<LifecycleActionsSummary> {
  const summary: LifecycleActionsSummary = { open: 0, completed: 0, heartbeats: 0 };
  const actions = await run('reading lifecycle actions', {}, () => readLifecycleActions(registryTable(deps)));
  for (const action of actions?.values() ?? []) {
    if (action.completedAt === undefined) summary.open += 1;
    const step = await run('settling a lifecycle action', { instanceId: action.instanceId, hookName: action.hookName }, () => settleLifecycleAction(deps, action));
    if (step === 'completed' || step === 'gone') summary.completed += 1;
    if (step === 'heartbeat') summary.heartbeats += 1;
  }
  return summary;
}
