/* Repairs of a drain whose workflow ended without finishing it: the reconciler's safety net (run.ts) and ExecutionEndedFunction (execution-ended.ts) share them. */
import type { Deps } from '../../shared/deps.js';
import { registryTable } from '../../registry/conditional-write.js';
import { DrainReason, type TaskItem } from '../../registry/model.js';
import { checkTaskItem } from '../../registry/item-checks.js';
import { readTask } from '../../registry/tasks.js';
import { releaseReplacement } from '../workflow/replacement-capacity.js';
import { hasUnfinishedDrain } from '../drain/unfinished.js';
import { isExecutionRunning } from '../drain/executions.js';
import { startDrain } from '../drain/start.js';
import { definedOnly } from '../../shared/optional.js';

/**
 * Gives back the replacement a drain's workflow asked for and did not release (its stop failed
 * for good, or its task vanished first). The caller has established that the workflow ended.
 */
export async function releaseOrphanedReplacement(deps: Deps, clusterArn: string, item: TaskItem): Promise<boolean> {
  if (item.replacementRequested !== true || item.serviceName === undefined) return false;
  await releaseReplacement(deps, { cluster: clusterArn, taskArn: item.taskArn, service: item.serviceName });
  return true;
}

/**
 * A drain whose workflow is no longer running (hasUnfinishedDrain) would otherwise never end. The
 * index may lag behind a drain that was just cancelled or finished, so the item is read again
 * before anything is started.
 */
export async function restartOrphanedDrain(deps: Deps, clusterArn: string, indexed: TaskItem): Promise<boolean> {
  if (await isExecutionRunning(deps, indexed.executionArn)) return false;
  const read = await readTask(registryTable(deps), indexed.taskArn);
  const checked = read === undefined ? undefined : checkTaskItem(read);
  if (checked !== undefined && !checked.ok) {
    deps.logger.warn('registry item ignored: it breaks the registry contract', { taskArn: indexed.taskArn, clusterArn, reason: checked.reason });
    return false;
  }
  const item = checked?.item;
  // A status that moved since the index was read (a drain cancelled meanwhile) is left to the next run.
  if (item === undefined || item.status !== indexed.status || !hasUnfinishedDrain(item) || item.executionArn !== indexed.executionArn) return false;
  const deadline = item.drainDeadline === undefined ? undefined : new Date(item.drainDeadline);
  const result = await startDrain(deps, {
    clusterArn,
    taskArn: item.taskArn,
    ...definedOnly({ serviceName: item.serviceName }),
    reason: item.drainReason ?? DrainReason.Manual,
    ...(deadline === undefined || Number.isNaN(deadline.getTime()) ? {} : { deadline }),
  });
  deps.logger.info('orphaned drain restarted', { taskArn: item.taskArn, previousExecution: item.executionArn, result });
  return result.status === 'started';
}

