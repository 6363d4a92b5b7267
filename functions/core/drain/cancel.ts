/* Cancelling an open drain the orchestrator itself started, once the reason for it is gone. Imports registry/ and the wait signals only. */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Deps } from '../../shared/deps.js';
import { unlessConditionFails } from '../../registry/conditional-write.js';
import { DrainControl, type DrainReason, type TaskItem, taskKey, TaskStatus, WaitError } from '../../registry/model.js';
import { failDrainWait } from './wait-signals.js';

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
  const waiting =
    whileWaitingAt === undefined
      ? { condition: '', values: {} }
      : {
          condition: ' AND sessionCount > :none AND (attribute_not_exists(drainDeadline) OR drainDeadline > :now)',
          values: { ':none': 0, ':now': whileWaitingAt.toISOString() },
        };
  const response = await unlessConditionFails(
    deps.ddb.send(
      new UpdateCommand({
        TableName: deps.config.tableName,
        Key: taskKey(item.taskArn),
        UpdateExpression: 'SET drainControl = :cancel, cancelledBy = :reason',
        ConditionExpression:
          'executionArn = :execution AND drainReason = :reason AND #status IN (:active, :draining) AND attribute_not_exists(drainOutcome) AND (attribute_not_exists(drainControl) OR drainControl = :cancel)' +
          waiting.condition,
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':cancel': DrainControl.Cancel,
          ':execution': item.executionArn,
          ':reason': reason,
          ':active': TaskStatus.Active,
          ':draining': TaskStatus.Draining,
          ...waiting.values,
        },
        ReturnValues: 'ALL_NEW',
      }),
    ),
  );
  if (response === undefined) return false;
  const updated = response.Attributes as TaskItem;
  if (updated.taskToken !== undefined) await failDrainWait(deps, updated.taskToken, WaitError.Cancelled, why);
  deps.logger.info('drain cancelled: the service keeps the task', { taskArn: item.taskArn, executionArn: item.executionArn, reason, why });
  return true;
}
