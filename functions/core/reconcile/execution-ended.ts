import type { Deps } from '../../shared/deps.js';
import { type Ignored, ignored } from '../../shared/handler-kit.js';
import { registryTable } from '../../registry/conditional-write.js';
import { checkTaskItem } from '../../registry/item-checks.js';
import { readTask } from '../../registry/tasks.js';
import { RELEASE_STOP_ERROR } from '../drain/release-all.js';
import { hasUnfinishedDrain } from '../drain/unfinished.js';
import { releaseOrphanedReplacement, restartOrphanedDrain } from './orphans.js';

/** Which drain execution ended, as its status change event says (events/states.ts parses it). */
export interface EndedExecution {
  executionArn: string;
  stateMachineArn: string;
  status: string;
  clusterArn: string;
  taskArn: string;
  error?: string;
  ranSeconds?: number;
}

/**
 * A workflow that ended sooner than this after its start is not restarted from its event: it
 * failed for a reason a restart would likely meet again (a permission, a broken step), and
 * restarting at once would loop through executions as fast as they fail. The reconciler still
 * restarts such a drain when a lost event would show (decisions.ts mayHaveLostItsWorkflow), at
 * most once a minute, as before.
 */
export const MIN_RUN_SECONDS_FOR_RESTART = 60;

export interface ExecutionEndedResult {
  status: string;
  restarted: boolean;
  replacementReleased: boolean;
}

/**
 * A drain workflow's execution ended (ExecutionEndedFunction). A workflow that ends normally has
 * recorded its outcome and given back its replacement; this repairs the one that did not (a step
 * failed for good, an execution stopped by hand, a timeout), at once rather than when the
 * reconciler would come to it (its deadline, decisions.ts mayHaveLostItsWorkflow).
 *
 * Events come at least once and in any order, so nothing is taken from the event but which
 * execution ended: the item must still name that execution (a newer attempt owns the task
 * otherwise), and restartOrphanedDrain asks Step Functions once more that it does not run (an
 * execution redriven meanwhile does). A duplicate finds the item owned by the restarted attempt.
 */
export async function handleExecutionEnded(deps: Deps, event: EndedExecution): Promise<ExecutionEndedResult | Ignored> {
  if (event.stateMachineArn !== deps.config.stateMachineArn) {
    return ignored(`execution of ${event.stateMachineArn}, not of this stack's drain workflow`);
  }
  // release-all stops executions before it gives their tasks back to service (release-all.ts):
  // the stop's event can come first, and a restart or a lowered desired count would undo the release.
  if (event.error === RELEASE_STOP_ERROR) return ignored('the execution was stopped by release-all; the release gives its task back');
  const read = await readTask(registryTable(deps), event.taskArn);
  if (read === undefined) return ignored('the task is not in the registry');
  const checked = checkTaskItem(read);
  if (!checked.ok) return ignored(`the task's registry item breaks the registry contract: ${checked.reason}`);
  const item = checked.item;
  if (item.executionArn !== event.executionArn) return ignored(`the task's drain is owned by ${item.executionArn ?? 'no execution'} now`);

  const replacementReleased = await releaseOrphanedReplacement(deps, event.clusterArn, item);
  const ranLongEnough = event.ranSeconds === undefined || event.ranSeconds >= MIN_RUN_SECONDS_FOR_RESTART;
  if (hasUnfinishedDrain(item) && !ranLongEnough) {
    deps.logger.warn('drain left unfinished by a workflow that failed soon after its start: not restarted from its event', { executionArn: event.executionArn, status: event.status, error: event.error, ranSeconds: event.ranSeconds });
  }
  const restarted = hasUnfinishedDrain(item) && ranLongEnough ? await restartOrphanedDrain(deps, event.clusterArn, item) : false;
  if (restarted || replacementReleased) {
    deps.logger.info('drain repaired after its workflow ended', { executionArn: event.executionArn, status: event.status, error: event.error, restarted, replacementReleased });
  }
  return { status: event.status, restarted, replacementReleased };
}
