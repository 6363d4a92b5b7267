import type { Deps } from '../../shared/deps.js';
import { MetricName, MetricUnit } from '../../shared/powertools.js';
import { registryTable } from '../../registry/conditional-write.js';
import { epochSeconds, ProtectionState } from '../../registry/model.js';
import { type ProtectionRecord, setProtectionState } from '../../registry/tasks/lifecycle.js';
import { RetryableEcsError } from '../../shared/errors.js';
import { setTaskProtection } from './task-protection.js';

/**
 * What became of one task's protection change:
 *   recorded        ECS confirmed it and the task item says so
 *   blocked         ECS answered DEPLOYMENT_BLOCKED; the item says BLOCKED and the reconciler retries
 *   superseded      ECS confirmed it, but the item moved on meanwhile (a newer decision records itself)
 *   not-applicable  ECS does not know the task or it is not a service task
 *   failed          ECS refused the task for another reason (logged by setTaskProtection)
 *   record-failed   the item write failed in a way a retry may fix
 */
export type ProtectionOutcome = 'recorded' | 'blocked' | 'superseded' | 'not-applicable' | 'failed' | 'record-failed';

/**
 * Sets protection on tasks of one cluster and records the result on their items.
 *
 * The item writes are conditional on the session count still calling for the state being
 * recorded, and a protection expiry never moves backwards, so a write from an older decision
 * (or a slower reconciler run) never overrides a newer one. These writes change neither the
 * count nor the status, so the stream handler decides nothing from them.
 *
 * Throws only when the ECS call itself fails (RetryableEcsError for throttling and 5xx). A batch
 * ECS throttles after others succeeded does not throw their results away: those are recorded
 * first, then ProtectionIncompleteError (a RetryableEcsError, so callers retry as before) names
 * every outcome, the tasks left unsettled as 'failed'.
 */
export async function applyProtection(
  deps: Pick<Deps, 'ecs' | 'ddb' | 'config' | 'logger' | 'metrics' | 'now'>,
  clusterArn: string,
  taskArns: readonly string[],
  enabled: boolean,
): Promise<Map<string, ProtectionOutcome>> {
  const outcomes = new Map<string, ProtectionOutcome>();
  if (taskArns.length === 0) return outcomes;
  const result = await setTaskProtection(deps, { clusterArn, taskArns, enabled }, { keepResults: true });

  const fallbackUntil = epochSeconds(deps.now()) + deps.config.protectionMinutes * 60;
  for (const { taskArn, expiresAt } of result.updated) {
    const record: ProtectionRecord = enabled ? { state: ProtectionState.Protected, until: expiresAt ?? fallbackUntil } : { state: ProtectionState.Unprotected };
    outcomes.set(taskArn, await recordState(deps, taskArn, record));
  }
  for (const taskArn of result.blocked) {
    if (!enabled) {
      outcomes.set(taskArn, 'failed');
      continue;
    }
    deps.metrics.addMetric(MetricName.ProtectionBlocked, MetricUnit.Count, 1);
    const outcome = await recordState(deps, taskArn, { state: ProtectionState.Blocked });
    outcomes.set(taskArn, outcome === 'recorded' ? 'blocked' : outcome);
  }
  for (const taskArn of result.notApplicable) outcomes.set(taskArn, 'not-applicable');
  for (const { taskArn } of result.failed) outcomes.set(taskArn, 'failed');
  // A task ECS answered nothing about is treated like a refused one rather than silently dropped.
  for (const taskArn of taskArns) if (!outcomes.has(taskArn)) outcomes.set(taskArn, 'failed');
  if (result.retryableError !== undefined) {
    throw new ProtectionIncompleteError(
      `${result.unsettled.length} of ${taskArns.length} tasks left unsettled: ${result.retryableError.message}`,
      { cause: result.retryableError },
      outcomes,
    );
  }
  return outcomes;
}

/**
 * ECS throttled (or failed) a batch of an applyProtection call: `outcomes` holds what the other
 * batches achieved, already recorded, and 'failed' for the tasks left unsettled. A
 * RetryableEcsError, so a caller that retries on it does so unchanged.
 */
export class ProtectionIncompleteError extends RetryableEcsError {
  override readonly name = 'ProtectionIncompleteError';
  readonly outcomes: ReadonlyMap<string, ProtectionOutcome>;

  constructor(message: string, options?: { cause?: unknown }, outcomes: ReadonlyMap<string, ProtectionOutcome> = new Map()) {
    super(message, options);
    this.outcomes = outcomes;
  }
}

async function recordState(
  deps: Pick<Deps, 'ddb' | 'config' | 'logger'>,
  taskArn: string,
  record: ProtectionRecord,
): Promise<ProtectionOutcome> {
  try {
    if ((await setProtectionState(registryTable(deps), taskArn, record)).applied) return 'recorded';
    deps.logger.info('protection state not recorded: the task item moved on', { taskArn });
    return 'superseded';
  } catch (error) {
    deps.logger.error('could not record protection state', { taskArn, error });
    return 'record-failed';
  }
}
