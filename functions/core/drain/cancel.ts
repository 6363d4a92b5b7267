/* Cancelling an open drain the orchestrator itself started, once the reason for it is gone. Imports registry/ and the wait signals only. */
import type { Deps } from '../../shared/deps.js';
import { registryTable } from '../../registry/conditional-write.js';
import { cancelDrain as cancelDrainTransition } from '../../registry/tasks/drain.js';
import { readDrainWait } from '../../registry/tasks/waits.js';
import { type DrainReason, type TaskItem, WaitError } from '../../registry/model.js';
import { failDrainWait } from './wait-signals.js';
import { definedOnly } from '../../shared/optional.js';

/**
 * Asks the drain workflow to give the task back: drainControl CANCEL ends the wait (or makes the
 * step that arms it end at once) with DrainCancelled, and "Return task to service" makes the task
 * ACTIVE again, still protected while it holds sessions. Only the drain the caller saw, started
 * for `reason`, is cancelled; cancelledBy records the reason that no longer holds, so that an
 * operator's cancel (no cancelledBy) stays distinguishable.
 *
 * `whileWaitingAt` cancels only a drain still waiting for sessions at that time: the task holds
 * some and its deadline has not passed. A caller that decided on a snapshot read earlier uses it,
 * so that a task whose last session ended (its stop is on its way) or whose deadline forced it
 * meanwhile is left to its stop step.
 */
export async function cancelDrain(deps: Deps, item: TaskItem, reason: DrainReason, why: string, whileWaitingAt?: Date): Promise<boolean> {
  if (item.executionArn === undefined) return false;
  const response = await cancelDrainTransition(registryTable(deps), {
    taskArn: item.taskArn,
    executionArn: item.executionArn,
    reason,
    ...definedOnly({ whileWaitingAt }),
  });
  if (!response.applied) return false;
  const updated = response.item;
  const token = await readDrainWait(registryTable(deps), updated);
  if (token !== undefined) await failDrainWait(deps, token, WaitError.Cancelled, why);
  deps.logger.info('drain cancelled: the service keeps the task', { taskArn: item.taskArn, executionArn: item.executionArn, reason, why });
  return true;
}
