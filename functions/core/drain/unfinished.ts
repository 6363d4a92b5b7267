/* A drain still open on the task's registry item: the reconciler, the deployment pacer and the stream handler all ask it. */
import { type TaskItem, TaskStatus } from '../../registry/model.js';

/**
 * A drain nobody is driving any more: a DRAINING task, or an ACTIVE one whose drain was recorded
 * ("Record drain" set drainReason and cleared drainOutcome) but whose workflow ended before it marked
 * the task DRAINING (a step that crashed, an execution stopped by hand). The caller checks that the
 * workflow is not running; without a restart such a task would keep its sessions and its protection
 * for good, holding up the deployment or scale-in that asked for the drain.
 */
export function hasUnfinishedDrain(item: Pick<TaskItem, 'status' | 'executionArn' | 'drainReason' | 'drainOutcome'>): boolean {
  // A DRAINING task whose drain recorded its outcome is a blue/green blue task left for ECS's clean-up.
  if (item.status === TaskStatus.Draining) return item.drainOutcome === undefined;
  return item.status === TaskStatus.Active && item.executionArn !== undefined && item.drainReason !== undefined && item.drainOutcome === undefined;
}
