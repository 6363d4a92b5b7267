/* The task item's transitions when everything is released (DrainControl release-all, the stack's deletion): the drain given up, the protection given back. */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type RegistryTable, type Transition, transition } from '../conditional-write.js';
import { DrainOutcome, ITEM_EXISTS, ProtectionState, STATUS_NAME, type TaskItem, taskKey, TaskStatus } from '../model.js';
import { definedOnly } from '../../shared/optional.js';

/** The drain attributes cleared when a task serves again (as "Return task to service" clears them). */
const DRAIN_ATTRIBUTES = 'waitArmed, drainControl, drainReason, drainDeadline, drainStartedAt, sessionsAtDrainStart';

/**
 * A drain the release stopped: the task ACTIVE again (its agent takes sessions), the drain ended
 * RELEASED, so that nothing reads it as a drain still open (the reconciler would restart it).
 * Guards: the task is DRAINING, or ACTIVE with a drain recorded and not ended (its workflow stopped
 * before "Mark task draining"); and the drain is still the one the release stopped (`executionArn`,
 * or none), so a drain claimed meanwhile is left to its own workflow.
 */
export async function releaseDrain(table: RegistryTable, taskArn: string, executionArn: string | undefined, nowSeconds: number): Promise<Transition<TaskItem>> {
  const sameDrain = executionArn === undefined ? 'attribute_not_exists(executionArn)' : 'executionArn = :execution';
  return transition(
    table.ddb.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: taskKey(taskArn),
        // replacementRequested goes too: the replacement stays in the desired count (release-all.ts),
        // and a flag left behind would have the reconciler give it back (orphans.ts), lowering the
        // count while the release left no task protected, so that ECS could stop a busy one.
        UpdateExpression: `SET #status = :active, drainOutcome = :released, releasedAt = :now REMOVE ${DRAIN_ATTRIBUTES}, replacementRequested`,
        ConditionExpression:
          `${ITEM_EXISTS} AND (#status = :draining OR (#status = :active AND attribute_exists(drainReason) AND attribute_not_exists(drainOutcome))) AND ${sameDrain}`,
        ExpressionAttributeNames: STATUS_NAME,
        ExpressionAttributeValues: {
          ':active': TaskStatus.Active,
          ':draining': TaskStatus.Draining,
          ':released': DrainOutcome.Released,
          ':now': nowSeconds,
          ...definedOnly({ ':execution': executionArn }),
        },
        ReturnValues: 'ALL_NEW',
      }),
    ),
  );
}

/**
 * ECS confirmed the task unprotected by the release: recorded whatever the session count (unlike
 * the stream's UNPROTECTED, which needs an empty task), since the release unprotects busy tasks on
 * purpose. A later release then finds nothing left to do for the task.
 */
export async function recordProtectionReleased(table: RegistryTable, taskArn: string): Promise<Transition> {
  return transition(
    table.ddb.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: taskKey(taskArn),
        UpdateExpression: 'SET protectionState = :unprotected REMOVE protectedUntil',
        ConditionExpression: ITEM_EXISTS,
        ExpressionAttributeValues: { ':unprotected': ProtectionState.Unprotected },
      }),
    ),
  );
}
