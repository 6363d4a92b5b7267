import { z } from 'zod';
import { ExecutionArn, TaskArn } from '../../events/arns.js';
import { registryTable } from '../../registry/conditional-write.js';
import { armDrainWait as armDrainWaitTransition } from '../../registry/tasks/drain.js';
import { storeDrainWait } from '../../registry/tasks/waits.js';
import { DrainControl, epochSeconds, STOPPED_ITEM_TTL_SECONDS, type TaskItem, TaskStatus, WaitError } from '../../registry/model.js';
import { readTask } from '../../registry/tasks.js';
import type { Deps } from '../../shared/deps.js';
import { completeDrainWait, failDrainWait } from '../drain/wait-signals.js';

export const armDrainWaitInputSchema = z.object({
  taskToken: z.string().min(1),
  taskArn: TaskArn,
  /** $$.Execution.Id: the wait item is the execution's, and only its own drain's item arms it. */
  executionArn: ExecutionArn,
});
export type ArmDrainWaitInput = z.output<typeof armDrainWaitInputSchema>;

export type ArmDrainWaitResult =
  | { status: 'armed' }
  | { status: 'completed'; error?: WaitError }
  /** Step Functions no longer waits for this token (the state timed out or the execution ended). */
  | { status: 'stale-token' };

/** Conditions can lose to concurrent writes; each loss re-reads, so a few tries always settle. */
const MAX_ATTEMPTS = 5;

type Verdict = { kind: 'success' } | { kind: 'failure'; error: WaitError; cause: string } | { kind: 'retry' };

/**
 * What the wait should do when the token could not be stored. An operator's request wins over
 * an empty task (a cancel means "keep this task", even when it has no sessions).
 */
export function waitVerdict(task: TaskItem | undefined, executionArn: string): Verdict {
  if (task === undefined || task.status === TaskStatus.Stopping || task.status === TaskStatus.Stopped) {
    return { kind: 'failure', error: WaitError.TaskGone, cause: task === undefined ? 'the task left the registry' : `the task is ${task.status}` };
  }
  // Nothing this execution waits for: the item names another drain (the workflow's own writes are conditional on it).
  if (task.executionArn !== executionArn) return { kind: 'failure', error: WaitError.Cancelled, cause: 'the task item names another drain execution' };
  if (task.drainControl === DrainControl.Cancel) return { kind: 'failure', error: WaitError.Cancelled, cause: 'an operator cancelled the drain' };
  if (task.drainControl === DrainControl.ForceStop) return { kind: 'failure', error: WaitError.ForceStop, cause: 'an operator asked to stop the task now' };
  // ACTIVE again without a control means the drain was already undone (cancelled) elsewhere.
  if (task.status === TaskStatus.Active) return { kind: 'failure', error: WaitError.Cancelled, cause: 'the task is ACTIVE again' };
  if ((task.sessionCount ?? 0) <= 0) return { kind: 'success' };
  return { kind: 'retry' };
}

/**
 * Stores the wait's task token in the execution's wait item, where no task role can read it, then
 * marks the task item armed, but only while there is something to wait for. The condition and
 * RegistryStreamFunction close the race: a count that reaches zero before the mark makes this
 * condition fail (we complete at once); one that reaches zero after produces a stream record of an
 * armed item, whose token was stored before the mark (the stream handler completes).
 */
export async function armDrainWait(
  deps: Pick<Deps, 'ddb' | 'sfn' | 'config' | 'logger' | 'now'>,
  input: ArmDrainWaitInput,
): Promise<ArmDrainWaitResult> {
  // After the longest drain nobody waits on the token; a stopped item's history outlives it a day as well.
  const expiresAt = epochSeconds(deps.now()) + deps.config.maxDrainSeconds + STOPPED_ITEM_TTL_SECONDS;
  await storeDrainWait(registryTable(deps), { executionArn: input.executionArn, taskArn: input.taskArn, taskToken: input.taskToken, expiresAt });
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt += 1) {
    const armed = await armDrainWaitTransition(registryTable(deps), input.taskArn, input.executionArn);
    if (armed.applied) {
      deps.logger.info('waiting for sessions to drain', { taskArn: input.taskArn });
      return { status: 'armed' };
    }
    const task = await readTask(registryTable(deps), input.taskArn);
    const verdict = waitVerdict(task, input.executionArn);
    if (verdict.kind === 'retry') continue;
    return complete(deps, input, verdict);
  }
  throw new Error(`could not arm the drain wait for ${input.taskArn} after ${MAX_ATTEMPTS} attempts`);
}

async function complete(
  deps: Pick<Deps, 'sfn' | 'logger'>,
  input: ArmDrainWaitInput,
  verdict: Exclude<Verdict, { kind: 'retry' }>,
): Promise<ArmDrainWaitResult> {
  const signal =
    verdict.kind === 'success'
      ? await completeDrainWait(deps, input.taskToken, { sessionsRemaining: 0 })
      : await failDrainWait(deps, input.taskToken, verdict.error, verdict.cause);
  if (signal === 'workflow-moved-on') return { status: 'stale-token' };
  deps.logger.info('drain wait ended at once', { taskArn: input.taskArn, ...(verdict.kind === 'failure' ? { error: verdict.error, cause: verdict.cause } : {}) });
  return verdict.kind === 'success' ? { status: 'completed' } : { status: 'completed', error: verdict.error };
}
