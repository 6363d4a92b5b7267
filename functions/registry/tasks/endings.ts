/* The endings of a task's drain on its item: stopping, the outcome, and the ways back to service. */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type RegistryTable, type Transition, transition } from '../conditional-write.js';
import { DrainOutcome, DrainReason, ITEM_EXISTS, STATUS_NAME, type TaskItem, taskKey, TaskStatus } from '../model.js';
import { OWNED_AND_UNSTOPPED } from './drain.js';

/** Where a drain workflow's DynamoDB step takes a value from its context rather than a literal. */
export interface FromExecution {
  path: '$$.Execution.Id';
}
const EXECUTION_ID: FromExecution = { path: '$$.Execution.Id' };

/** The drain attributes cleared when a task serves again. */
const DRAIN_ATTRIBUTES = 'drainControl, drainReason, drainDeadline, drainStartedAt, sessionsAtDrainStart';

/** Records the drain's outcome; the wait is over (its wait item expires with its TTL). */
export const RECORD_OUTCOME = 'SET drainOutcome = :outcome REMOVE waitArmed';

/*
 * The drain workflow's own DynamoDB steps (statemachines/drain.asl.json), which write the item
 * without a Lambda; test/unit/registry/workflow-writes.test.ts holds the ASL to these.
 */

/** "Mark task draining": from here on the session count can only fall. */
export const MARK_DRAINING = {
  UpdateExpression: 'SET #status = :draining',
  ConditionExpression: OWNED_AND_UNSTOPPED,
  ExpressionAttributeNames: STATUS_NAME,
  ExpressionAttributeValues: { ':draining': TaskStatus.Draining, ':active': TaskStatus.Active, ':me': EXECUTION_ID },
} as const;

/** "Record task gone": only this execution's drain, and a task item that is gone stays gone. */
export const RECORD_TASK_GONE = {
  UpdateExpression: RECORD_OUTCOME,
  ConditionExpression: `${ITEM_EXISTS} AND executionArn = :me`,
  ExpressionAttributeValues: { ':outcome': DrainOutcome.TaskGone, ':me': EXECUTION_ID },
} as const;

/** "Return task to service": ACTIVE again, the drain's attributes cleared. */
export const RETURN_TO_SERVICE = {
  UpdateExpression: `SET #status = :active, drainOutcome = :outcome REMOVE waitArmed, ${DRAIN_ATTRIBUTES}`,
  ConditionExpression: OWNED_AND_UNSTOPPED,
  ExpressionAttributeNames: STATUS_NAME,
  ExpressionAttributeValues: { ':active': TaskStatus.Active, ':draining': TaskStatus.Draining, ':outcome': DrainOutcome.Cancelled, ':me': EXECUTION_ID },
} as const;

/** A blue task whose drain ended without a stop, kept after a rollback: ACTIVE again, its outcome kept. */
export async function restoreLeftTask(table: RegistryTable, taskArn: string, executionArn: string): Promise<Transition<TaskItem>> {
  return transition(
    table.ddb.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: taskKey(taskArn),
        UpdateExpression: `SET #status = :active REMOVE ${DRAIN_ATTRIBUTES}`,
        ConditionExpression: '#status = :draining AND executionArn = :execution AND attribute_exists(drainOutcome)',
        ExpressionAttributeNames: STATUS_NAME,
        ExpressionAttributeValues: { ':active': TaskStatus.Active, ':draining': TaskStatus.Draining, ':execution': executionArn },
        ReturnValues: 'ALL_NEW',
      }),
    ),
  );
}

/** STOPPING with the outcome; never over STOPPED, and only while the drain is this execution's. */
export async function markStopping(table: RegistryTable, taskArn: string, executionArn: string, outcome: DrainOutcome): Promise<Transition<TaskItem>> {
  return transition(
    table.ddb.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: taskKey(taskArn),
        ExpressionAttributeValues: {
          ':outcome': outcome,
          ':me': executionArn,
          ':stopping': TaskStatus.Stopping,
          ':active': TaskStatus.Active,
          ':draining': TaskStatus.Draining,
        },
        ReturnValues: 'ALL_NEW',
        UpdateExpression: 'SET #status = :stopping, drainOutcome = :outcome REMOVE waitArmed',
        ConditionExpression: OWNED_AND_UNSTOPPED,
        ExpressionAttributeNames: STATUS_NAME,
      }),
    ),
  );
}

/** The outcome only, whatever the status, while the drain is this execution's. */
export async function recordOutcome(table: RegistryTable, taskArn: string, executionArn: string, outcome: DrainOutcome): Promise<Transition<TaskItem>> {
  return transition(
    table.ddb.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: taskKey(taskArn),
        ExpressionAttributeValues: { ':outcome': outcome, ':me': executionArn },
        ReturnValues: 'ALL_NEW',
        UpdateExpression: RECORD_OUTCOME,
        ConditionExpression: 'executionArn = :me',
      }),
    ),
  );
}

/** A drained blue task ECS removes later: the outcome, and ACTIVE again while it is still DRAINING. */
export async function recordOutcomeServing(table: RegistryTable, taskArn: string, executionArn: string, outcome: DrainOutcome): Promise<Transition<TaskItem>> {
  return transition(
    table.ddb.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: taskKey(taskArn),
        UpdateExpression: 'SET drainOutcome = :outcome, #status = :active REMOVE waitArmed',
        ConditionExpression: 'executionArn = :me AND #status = :draining',
        ExpressionAttributeNames: STATUS_NAME,
        ExpressionAttributeValues: { ':outcome': outcome, ':me': executionArn, ':active': TaskStatus.Active, ':draining': TaskStatus.Draining },
        ReturnValues: 'ALL_NEW',
      }),
    ),
  );
}

/**
 * The drain's outcome has been counted (metrics): once per drain, however often the stream
 * delivers the record that set the outcome. Lambda re-delivers every record after a batch's
 * lowest failed one, other items' included, so the record alone cannot say it is new.
 */
export async function markOutcomeCounted(table: RegistryTable, taskArn: string, executionArn: string): Promise<Transition> {
  return transition(
    table.ddb.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: taskKey(taskArn),
        UpdateExpression: 'SET outcomeCounted = :me',
        ConditionExpression: 'executionArn = :me AND attribute_exists(drainOutcome) AND (attribute_not_exists(outcomeCounted) OR outcomeCounted <> :me)',
        ExpressionAttributeValues: { ':me': executionArn },
      }),
    ),
  );
}
