import type { Deps } from '../shared/deps.js';
import { ignored, type Ignored } from '../shared/handler-kit.js';
import { registryTable } from '../registry/conditional-write.js';
import { closeStopped } from '../registry/tasks/lifecycle.js';
import { readDrainWait } from '../registry/tasks/waits.js';
import { epochSeconds, TaskStatus, WaitError } from '../registry/model.js';
import { readTask } from '../registry/tasks.js';
import { failDrainWait, type SignalResult } from './drain/wait-signals.js';

export interface TaskStoppedSummary {
  taskArn: string;
  closed: boolean;
  drainWait: SignalResult | 'none';
}

/**
 * The task has stopped: close its registry item and end any drain still waiting on it.
 *
 * The close is conditional on this event being newer than the last one applied (detail.version)
 * and on the item not being closed yet, so duplicates and late events change nothing. A drain
 * whose wait step holds a token is failed with TaskGone; one that has not armed its wait yet
 * finds the item STOPPED itself. The token (in the drain's wait item) is also signalled when a duplicate finds the item
 * already closed, because the first delivery may have died between the two steps.
 */
export async function closeStoppedTask(
  deps: Deps,
  event: { taskArn: string; version: number; stoppedReason?: string },
): Promise<TaskStoppedSummary | Ignored> {
  const { taskArn, version } = event;
  const result = await closeStopped(registryTable(deps), taskArn, version, epochSeconds(deps.now()));
  const closed = result.applied;
  let item = result.applied ? result.item : undefined;
  if (!closed) {
    item = await readTask(registryTable(deps), taskArn);
    if (item === undefined) return ignored(`task ${taskArn} is not in the registry`);
    if (item.status !== TaskStatus.Stopped) {
      return ignored(`stale event: version ${version} is not newer than the applied version ${item.ecsVersion ?? 'none'}`);
    }
  }

  let drainWait: TaskStoppedSummary['drainWait'] = 'none';
  const token = item === undefined ? undefined : await readDrainWait(registryTable(deps), item);
  if (token !== undefined) {
    const cause = `task stopped${event.stoppedReason ? `: ${event.stoppedReason}` : ''}`;
    drainWait = await failDrainWait(deps, token, WaitError.TaskGone, cause);
  }
  return { taskArn, closed, drainWait };
}
