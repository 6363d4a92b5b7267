/* protection/: ECS task scale-in protection, set in batches (task-protection.ts), recorded on the registry items (records.ts), and which items need it (needs.ts); may import ecs/, registry/ and shared/. */
import { UpdateTaskProtectionCommand } from '@aws-sdk/client-ecs';
import type { Deps } from '../../shared/deps.js';
import { RetryableEcsError } from '../../shared/errors.js';
import { asRetryable } from '../ecs/errors.js';
import { definedOnly } from '../../shared/optional.js';

/** UpdateTaskProtection accepts at most this many tasks per call. */
export const PROTECTION_BATCH_SIZE = 10;

export interface ProtectionRequest {
  clusterArn: string;
  taskArns: readonly string[];
  enabled: boolean;
}

export interface ProtectionResult {
  /** Tasks ECS confirmed, with the epoch second their protection lapses (enabled only). */
  updated: { taskArn: string; expiresAt?: number }[];
  /** More tasks would be protected than the service's desired count; try again later. */
  blocked: string[];
  /** ECS no longer knows the task, or it is not a service task: protection does not apply. */
  notApplicable: string[];
  /** Any other per-task failure, with ECS's reason. */
  failed: { taskArn: string; reason: string }[];
  /**
   * Only with `keepResults`: the tasks of the batch ECS refused in a way a retry may fix
   * (throttling, 5xx) and of every batch after it (not sent: a throttled API is not pressed
   * further), with that error. Nothing is known of their protection.
   */
  unsettled: string[];
  retryableError?: RetryableEcsError;
}

export interface ProtectionOptions {
  /**
   * Return what the batches before a throttled one achieved instead of throwing it away: the
   * caller records those results and retries the rest. Without it a retryable failure is thrown.
   */
  keepResults?: boolean;
}

const NOT_APPLICABLE_REASONS = new Set(['MISSING', 'TASK_NOT_VALID']);

/**
 * Sets ECS task scale-in protection on up to any number of tasks of one cluster, in batches of 10.
 * Per-task failures are sorted rather than thrown, because one blocked task must not stop the
 * others from being protected. Throttling and 5xx are thrown as RetryableEcsError.
 */
export async function setTaskProtection(
  deps: Pick<Deps, 'ecs' | 'config' | 'logger'>,
  request: ProtectionRequest,
  options: ProtectionOptions = {},
): Promise<ProtectionResult> {
  const result: ProtectionResult = { updated: [], blocked: [], notApplicable: [], failed: [], unsettled: [] };
  for (let start = 0; start < request.taskArns.length; start += PROTECTION_BATCH_SIZE) {
    const batch = request.taskArns.slice(start, start + PROTECTION_BATCH_SIZE);
    let response;
    try {
      response = await deps.ecs.send(
        new UpdateTaskProtectionCommand({
          cluster: request.clusterArn,
          tasks: [...batch],
          protectionEnabled: request.enabled,
          ...(request.enabled ? { expiresInMinutes: deps.config.protectionMinutes } : {}),
        }),
      );
    } catch (error) {
      // ECS may refuse the whole call for a blocked deployment instead of listing per-task failures.
      if (error instanceof Error && /DEPLOYMENT_BLOCKED/.test(`${error.name} ${error.message}`)) {
        result.blocked.push(...batch);
        continue;
      }
      const retryable = asRetryable(error, 'UpdateTaskProtection');
      if (!options.keepResults || !(retryable instanceof RetryableEcsError)) throw retryable;
      result.unsettled.push(...request.taskArns.slice(start));
      result.retryableError = retryable;
      break;
    }
    for (const task of response.protectedTasks ?? []) {
      if (task.taskArn === undefined) continue;
      result.updated.push({
        taskArn: task.taskArn,
        ...(request.enabled && task.expirationDate ? { expiresAt: Math.floor(task.expirationDate.getTime() / 1000) } : {}),
      });
    }
    for (const failure of response.failures ?? []) {
      const taskArn = batch.find((arn) => failure.arn !== undefined && (arn === failure.arn || arn.endsWith(`/${failure.arn}`))) ?? failure.arn ?? '';
      const reason = failure.reason ?? 'UNKNOWN';
      if (reason === 'DEPLOYMENT_BLOCKED') result.blocked.push(taskArn);
      else if (NOT_APPLICABLE_REASONS.has(reason)) result.notApplicable.push(taskArn);
      else result.failed.push({ taskArn, reason: `${reason}${failure.detail ? `: ${failure.detail}` : ''}` });
    }
  }
  if (result.blocked.length > 0 || result.failed.length > 0 || result.unsettled.length > 0) {
    deps.logger.warn('ECS did not change protection of every task', {
      clusterArn: request.clusterArn,
      enabled: request.enabled,
      blocked: result.blocked,
      failed: result.failed,
      unsettled: result.unsettled,
      ...definedOnly({ error: result.retryableError }),
    });
  }
  return result;
}
