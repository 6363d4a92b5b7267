import { mapWithConcurrency } from '../../shared/concurrency.js';
import type { Deps } from '../../shared/deps.js';
import { type DrainReason, type TaskItem, TaskStatus } from '../../registry/model.js';
import { readTask } from '../../registry/tasks.js';
import { setTaskProtection } from '../protection/task-protection.js';
import { startDrain, type StartDrainResult } from '../drain/start.js';
import { registryTable } from '../../registry/conditional-write.js';
import { definedOnly } from '../../shared/optional.js';

export interface DrainTally {
  drainsStarted: string[];
  alreadyDraining: string[];
  skipped: string[];
}

/** Files a startDrain answer under the summary a handler logs and returns. */
export function tallyDrain(tally: DrainTally, taskArn: string, result: StartDrainResult): void {
  if (result.status === 'started') tally.drainsStarted.push(taskArn);
  else if (result.status === 'already-draining') tally.alreadyDraining.push(taskArn);
  else tally.skipped.push(taskArn);
}

/** Leaving tasks read and drained at once; each drain start is a few DynamoDB and Step Functions calls. */
export const LEAVING_TASK_CONCURRENCY = 10;

type LeavingTaskOutcome = { taskArn: string; decision: 'skip' | 'release' } | { taskArn: string; decision: 'drain'; started: StartDrainResult };

export interface LeavingTasksTally extends DrainTally {
  released: string[];
}

/**
 * Tasks that are on their way out (old revision, draining instance): every registered one gets a
 * drain, idle ones too. A drain marks the task DRAINING before it releases protection, so no
 * session can open on it in between; an idle task's drain stops it at once. With
 * releaseUnregistered, tasks the registry does not know (no sessions can be counted on them) lose
 * their protection in one batch so that ECS moves them at once; without it they are left alone.
 */
export async function drainOrReleaseLeavingTasks(
  deps: Deps,
  request: { clusterArn: string; taskArns: readonly string[]; reason: DrainReason; releaseUnregistered: boolean; serviceName?: string; eventTime?: Date; deadline?: Date; ecsReplacesTasks?: boolean },
): Promise<LeavingTasksTally> {
  const { clusterArn, reason, serviceName, eventTime, deadline } = request;
  const replaced = request.ecsReplacesTasks === true ? { ecsReplacesTask: true } : {};
  const tally: LeavingTasksTally = { drainsStarted: [], alreadyDraining: [], released: [], skipped: [] };
  const toRelease: string[] = [];
  // A deployment of hundreds of tasks must start its drains within one invocation: one at a time,
  // the handler timed out after ~110 of 1,000 in the bench's scale run (bench/results/scale.md).
  const outcomes = await mapWithConcurrency(request.taskArns, LEAVING_TASK_CONCURRENCY, async (taskArn): Promise<LeavingTaskOutcome> => {
    // Consistent read per task: the ByCluster index may not show a session opened a moment ago,
    // and releasing a task that holds one would cut that user off.
    const item = await readTask(registryTable(deps), taskArn);
    const decision = decideLeavingTask(item, request.releaseUnregistered);
    if (decision !== 'drain') return { taskArn, decision };
    return { taskArn, decision, started: await startDrain(deps, { clusterArn, taskArn, ...definedOnly({ serviceName }), reason, ...replaced, ...definedOnly({ eventTime, deadline }) }) };
  });
  for (const outcome of outcomes) {
    if (outcome.decision === 'drain') tallyDrain(tally, outcome.taskArn, outcome.started);
    else if (outcome.decision === 'release') toRelease.push(outcome.taskArn);
    else tally.skipped.push(outcome.taskArn);
  }
  if (toRelease.length > 0) {
    const released = await setTaskProtection(deps, { clusterArn, taskArns: toRelease, enabled: false });
    tally.released.push(...released.updated.map((task) => task.taskArn), ...released.notApplicable);
  }
  return tally;
}

function decideLeavingTask(item: TaskItem | undefined, releaseUnregistered: boolean): 'drain' | 'release' | 'skip' {
  if (item === undefined) return releaseUnregistered ? 'release' : 'skip';
  if (item.status === TaskStatus.Stopping || item.status === TaskStatus.Stopped) return 'skip';
  return 'drain';
}
