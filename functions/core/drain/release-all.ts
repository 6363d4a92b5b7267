import { paginateListExecutions, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { batchesOf } from '../../shared/batches.js';
import type { Deps } from '../../shared/deps.js';
import { ownInput } from '../../shared/pages.js';
import { registryTable } from '../../registry/conditional-write.js';
import { checkTaskItem } from '../../registry/item-checks.js';
import { epochSeconds, ProtectionState, type TaskItem, TaskStatus } from '../../registry/model.js';
import { listClusterTasks } from '../../registry/tasks.js';
import { recordProtectionReleased, releaseDrain } from '../../registry/tasks/release.js';
import { PROTECTION_BATCH_SIZE, setTaskProtection } from '../protection/task-protection.js';
import { isExecutionRunning } from './executions.js';
import { hasUnfinishedDrain } from './unfinished.js';
import { definedOnly } from '../../shared/optional.js';

/**
 * Release everything: what removing the orchestrator must leave behind (issue 12, "Uninstall").
 * The registry table outlives the stack (DeletionPolicy Retain), and with nothing left to end them,
 * DRAINING items would keep their agents refusing sessions for as long as the tasks run, and
 * protected tasks would stay protected for up to 48 h. For the given clusters this
 *   1. stops every open drain execution (StopExecution), so no workflow acts on a task afterwards;
 *   2. gives every DRAINING task (and every task whose drain was recorded but not yet marked) back
 *      to service: ACTIVE, drainOutcome RELEASED (registry/tasks/release.ts);
 *   3. turns scale-in protection off for every task that has or may have it, in calls of at most
 *      10 tasks (UpdateTaskProtection takes "a list of up to 10 task IDs or full ARN entries", ECS
 *      API Reference), and records it on the items.
 * Replacement capacity is left as it is: a desired count a drain raised for its replacement stays
 * raised (counted in replacementsKept). Lowering it now would let ECS scale in while no task is
 * protected any more, and ECS could pick the released task and cut its sessions; the operator lowers
 * it once the old task is empty. While the stack keeps running (release-all without deletion), the
 * reconciler gives such capacity back as it does for any drain that ended before its last step.
 * A second release finds nothing left to do. One task's failure is logged, counted and passed over.
 */

export type ReleaseTrigger = 'operator' | 'stack-deletion' | 'stack-update';

export interface ReleaseRequest {
  /** The clusters whose tasks are released; each is listed through the ByCluster index. */
  clusterArns: readonly string[];
  /** Every running execution of the drain state machine is stopped too (the stack's whole scope). */
  stopEveryExecution: boolean;
  trigger: ReleaseTrigger;
}

export interface ReleaseFailure {
  step: 'list-tasks' | 'list-executions' | 'stop-drain' | 'release-task' | 'unprotect' | 'record-unprotected' | 'check-item';
  clusterArn?: string;
  taskArn?: string;
  executionArn?: string;
  error: string;
}

export interface ReleaseSummary {
  clusters: string[];
  /** Drain executions stopped by StopExecution. */
  drainsStopped: number;
  /** Tasks given back to service (DRAINING, or a drain recorded, to ACTIVE with outcome RELEASED). */
  tasksReleased: number;
  /** Tasks whose scale-in protection ECS confirmed off. */
  tasksUnprotected: number;
  /** Released drains whose replacement stays in the service's desired count. */
  replacementsKept: number;
  failures: number;
  /** The first failures, for the person reading the answer; every one is logged. */
  failed: ReleaseFailure[];
}

/** An answer stays readable (and within a Lambda response) however many tasks failed. */
const FAILURES_LISTED = 20;
export const RELEASE_STOP_ERROR = 'DrainReleased';

type ReleaseDeps = Pick<Deps, 'ecs' | 'ddb' | 'sfn' | 'config' | 'logger' | 'now'>;

export async function releaseAll(deps: ReleaseDeps, request: ReleaseRequest): Promise<ReleaseSummary> {
  const summary: ReleaseSummary = {
    clusters: [...request.clusterArns],
    drainsStopped: 0,
    tasksReleased: 0,
    tasksUnprotected: 0,
    replacementsKept: 0,
    failures: 0,
    failed: [],
  };
  const fail = (failure: ReleaseFailure, cause: unknown) => {
    summary.failures += 1;
    if (summary.failed.length < FAILURES_LISTED) summary.failed.push(failure);
    deps.logger.error('release: a step failed; the release goes on', { ...failure, trigger: request.trigger, error: cause as Error });
  };
  const stopped = new Set<string>();
  // Executions first: a workflow still running could mark a task DRAINING after it was released.
  if (request.stopEveryExecution) await stopRunningExecutions(deps, request.trigger, stopped, summary, fail);
  for (const clusterArn of request.clusterArns) await releaseCluster(deps, clusterArn, request.trigger, stopped, summary, fail);
  deps.logger.info('release: done', { trigger: request.trigger, ...summary });
  return summary;
}

type Fail = (failure: ReleaseFailure, cause: unknown) => void;

function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

async function stopExecution(deps: ReleaseDeps, executionArn: string, trigger: ReleaseTrigger): Promise<void> {
  await deps.sfn.send(
    new StopExecutionCommand({ executionArn, error: RELEASE_STOP_ERROR, cause: `release-all (${trigger}): every task of the orchestrator was released` }),
  );
}

async function stopRunningExecutions(deps: ReleaseDeps, trigger: ReleaseTrigger, stopped: Set<string>, summary: ReleaseSummary, fail: Fail): Promise<void> {
  const running: string[] = [];
  try {
    const pages = paginateListExecutions(
      { client: deps.sfn, withCommand: ownInput },
      { stateMachineArn: deps.config.stateMachineArn, statusFilter: 'RUNNING' },
    );
    for await (const page of pages) for (const execution of page.executions ?? []) if (execution.executionArn) running.push(execution.executionArn);
  } catch (error) {
    fail({ step: 'list-executions', error: describeError(error) }, error);
  }
  for (const executionArn of running) {
    try {
      await stopExecution(deps, executionArn, trigger);
      stopped.add(executionArn);
      summary.drainsStopped += 1;
    } catch (error) {
      fail({ step: 'stop-drain', executionArn, error: describeError(error) }, error);
    }
  }
}

async function releaseCluster(
  deps: ReleaseDeps,
  clusterArn: string,
  trigger: ReleaseTrigger,
  stopped: Set<string>,
  summary: ReleaseSummary,
  fail: Fail,
): Promise<void> {
  let listed: unknown[];
  try {
    listed = await listClusterTasks(registryTable(deps), clusterArn);
  } catch (error) {
    fail({ step: 'list-tasks', clusterArn, error: describeError(error) }, error);
    return;
  }
  const items: TaskItem[] = [];
  for (const raw of listed) {
    const checked = checkTaskItem(raw);
    if (checked.ok) items.push(checked.item);
    else fail({ step: 'check-item', clusterArn, ...definedOnly({ taskArn: checked.key }), error: checked.reason }, checked.reason);
  }
  for (const item of items.filter((each) => each.status === TaskStatus.Draining || hasUnfinishedDrain(each))) {
    await releaseOne(deps, item, trigger, stopped, summary, fail);
  }
  await unprotect(deps, clusterArn, items.filter(mayBeProtected), summary, fail);
}

async function releaseOne(deps: ReleaseDeps, item: TaskItem, trigger: ReleaseTrigger, stopped: Set<string>, summary: ReleaseSummary, fail: Fail): Promise<void> {
  const { taskArn, executionArn } = item;
  try {
    if (executionArn !== undefined && !stopped.has(executionArn) && (await isExecutionRunning(deps, executionArn))) {
      await stopExecution(deps, executionArn, trigger);
      stopped.add(executionArn);
      summary.drainsStopped += 1;
    }
  } catch (error) {
    // A drain still running must not lose its task under it: the item stays for the next release.
    fail({ step: 'stop-drain', clusterArn: item.clusterArn, taskArn, ...definedOnly({ executionArn }), error: describeError(error) }, error);
    return;
  }
  try {
    const released = await releaseDrain(registryTable(deps), taskArn, executionArn, epochSeconds(deps.now()));
    if (!released.applied) {
      deps.logger.info('release: the task item moved on since it was listed; left as it is', { taskArn, executionArn });
      return;
    }
    summary.tasksReleased += 1;
    if (item.replacementRequested === true) summary.replacementsKept += 1;
  } catch (error) {
    fail({ step: 'release-task', clusterArn: item.clusterArn, taskArn, error: describeError(error) }, error);
  }
}

/**
 * Tasks whose protection is on or may be: recorded PROTECTED or BLOCKED (ECS may still hold an
 * earlier grant), or holding sessions with nothing recorded. Stopped tasks have none to lose.
 */
function mayBeProtected(item: TaskItem): boolean {
  if (item.status === TaskStatus.Stopped || item.serviceName === undefined) return false;
  if (item.protectionState === ProtectionState.Protected || item.protectionState === ProtectionState.Blocked) return true;
  return item.protectionState === undefined && item.sessionCount > 0;
}

async function unprotect(deps: ReleaseDeps, clusterArn: string, items: readonly TaskItem[], summary: ReleaseSummary, fail: Fail): Promise<void> {
  const taskArns = items.map((item) => item.taskArn);
  for (const batch of batchesOf(taskArns, PROTECTION_BATCH_SIZE)) {
    let result;
    try {
      result = await setTaskProtection(deps, { clusterArn, taskArns: batch, enabled: false });
    } catch (error) {
      for (const taskArn of batch) fail({ step: 'unprotect', clusterArn, taskArn, error: describeError(error) }, error);
      continue;
    }
    // Protection does not apply to a task ECS no longer knows: recorded too, so that no later release asks again.
    const done = [...result.updated.map((each) => each.taskArn), ...result.notApplicable];
    for (const taskArn of done) {
      try {
        await recordProtectionReleased(registryTable(deps), taskArn);
      } catch (error) {
        fail({ step: 'record-unprotected', clusterArn, taskArn, error: describeError(error) }, error);
      }
    }
    summary.tasksUnprotected += result.updated.length;
    for (const taskArn of result.blocked) fail({ step: 'unprotect', clusterArn, taskArn, error: 'DEPLOYMENT_BLOCKED' }, 'DEPLOYMENT_BLOCKED');
    for (const { taskArn, reason } of result.failed) fail({ step: 'unprotect', clusterArn, taskArn, error: reason }, reason);
  }
}
