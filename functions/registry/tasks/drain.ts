/*
 * registry/tasks/: the task item's transitions the orchestrator makes (a drain's claim, record, wait,
 * controls and endings; a task's stop, expiry and protection state), each with the guard that makes
 * it safe, and the expressions the drain workflow's own DynamoDB steps use. May import registry/,
 * shared/ and the agent's contract (agent/src/); never core/.
 */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type RegistryTable, type Transition, transition } from '../conditional-write.js';
import { DrainControl, DrainReason, ITEM_EXISTS, STATUS_NAME, type TaskItem, taskKey, TaskStatus } from '../model.js';
import { definedOnly } from '../../shared/optional.js';

/** The item is this execution's drain (:me) and the task has not begun to stop. */
export const OWNED_AND_UNSTOPPED = 'executionArn = :me AND #status IN (:active, :draining)';

/** A claimed attempt is an open drain at once: the reason is set and a previous ending is cleared. */
export const CLAIM_DRAIN_ATTEMPT = 'SET drainAttempt = :attempt, executionArn = :executionArn, drainReason = :reason REMOVE drainOutcome, cancelledBy';

export interface DrainAttemptClaim {
  taskArn: string;
  attempt: number;
  /** The attempt the claimer read; 0 before the first. */
  previousAttempt: number;
  executionArn: string;
  reason: DrainReason;
}

/**
 * Claims attempt `attempt` of a task's drain for one execution, unless another claimer moved the
 * attempt on first or the task has begun to stop.
 */
export async function claimDrainAttempt(table: RegistryTable, claim: DrainAttemptClaim): Promise<Transition> {
  return transition(
    table.ddb.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: taskKey(claim.taskArn),
        // The reason and the cleared outcome make the claim an open drain at once (hasUnfinishedDrain):
        // pacing counts it, and the reconciler restarts it should the claimer die before StartExecution.
        UpdateExpression: CLAIM_DRAIN_ATTEMPT,
        ConditionExpression: '(attribute_not_exists(drainAttempt) OR drainAttempt = :previous) AND #status IN (:active, :draining)',
        ExpressionAttributeNames: STATUS_NAME,
        ExpressionAttributeValues: {
          ':attempt': claim.attempt,
          ':previous': claim.previousAttempt,
          ':executionArn': claim.executionArn,
          ':reason': claim.reason,
          ':active': TaskStatus.Active,
          ':draining': TaskStatus.Draining,
        },
      }),
    ),
  );
}

/** The same claim as one action of a transaction (the deployment pacer's): only an ACTIVE task is claimed. */
export function claimActiveDrainAttemptAction(tableName: string, claim: Omit<DrainAttemptClaim, 'reason'>) {
  return {
    Update: {
      TableName: tableName,
      Key: taskKey(claim.taskArn),
      UpdateExpression: CLAIM_DRAIN_ATTEMPT,
      ConditionExpression: '#status = :active AND (attribute_not_exists(drainAttempt) OR drainAttempt = :previous)',
      ExpressionAttributeNames: STATUS_NAME,
      ExpressionAttributeValues: {
        ':attempt': claim.attempt,
        ':previous': claim.previousAttempt,
        ':executionArn': claim.executionArn,
        ':reason': DrainReason.Deployment,
        ':active': TaskStatus.Active,
      },
    },
  };
}

export interface DrainRecord {
  taskArn: string;
  executionArn: string;
  /** The owner the recorder read; undefined when no execution had claimed the task. */
  previousOwner: string | undefined;
  reason: DrainReason;
  deadline: string;
  startedAt: number;
}

/**
 * "Record drain": the execution owns the drain from here, provided the owner it read still owns it
 * and the task has not begun to stop. Taking over from another owner clears the control and armed wait
 * that owner left.
 */
export async function recordDrain(table: RegistryTable, record: DrainRecord): Promise<Transition> {
  const takingOver = record.previousOwner !== record.executionArn;
  return transition(
    table.ddb.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: taskKey(record.taskArn),
        UpdateExpression:
          'SET executionArn = :me, drainReason = :reason, drainDeadline = :deadline, drainStartedAt = :startedAt, ' +
          'sessionsAtDrainStart = if_not_exists(sessionCount, :zero) REMOVE drainOutcome' +
          // A control left by a closed owner was meant for that drain, not this one.
          (takingOver ? ', drainControl, waitArmed' : ''),
        ConditionExpression:
          '#status IN (:active, :draining) AND ' + (record.previousOwner === undefined ? 'attribute_not_exists(executionArn)' : 'executionArn = :previous'),
        ExpressionAttributeNames: STATUS_NAME,
        ExpressionAttributeValues: {
          ':me': record.executionArn,
          ':reason': record.reason,
          ':deadline': record.deadline,
          ':startedAt': record.startedAt,
          ':zero': 0,
          ':active': TaskStatus.Active,
          ':draining': TaskStatus.Draining,
          ...definedOnly({ ':previous': record.previousOwner }),
        },
      }),
    ),
  );
}

/**
 * Marks the wait armed while there is something to wait for: this execution's drain, DRAINING,
 * sessions left, no control asked. The token itself is in the wait item (tasks/waits.ts), stored first.
 */
export async function armDrainWait(table: RegistryTable, taskArn: string, executionArn: string): Promise<Transition> {
  return transition(
    table.ddb.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: taskKey(taskArn),
        UpdateExpression: 'SET waitArmed = :armed',
        ConditionExpression: 'executionArn = :me AND #status = :draining AND sessionCount > :zero AND attribute_not_exists(drainControl)',
        ExpressionAttributeNames: STATUS_NAME,
        ExpressionAttributeValues: { ':armed': true, ':me': executionArn, ':draining': TaskStatus.Draining, ':zero': 0 },
      }),
    ),
  );
}

/**
 * An operator's request on a draining task; repeating it applies again, a different one already left
 * wins. A cancel records when it was asked for (operatorCancelledAt): events older than it start
 * no drain of the task (core/drain/start.ts).
 */
export async function requestDrainControl(table: RegistryTable, taskArn: string, control: DrainControl, at: Date): Promise<Transition<TaskItem>> {
  const cancel = control === DrainControl.Cancel;
  return transition(
    table.ddb.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: taskKey(taskArn),
        UpdateExpression: cancel ? 'SET drainControl = :control, operatorCancelledAt = :at' : 'SET drainControl = :control',
        ConditionExpression: '#status = :draining AND (attribute_not_exists(drainControl) OR drainControl = :control)',
        ExpressionAttributeNames: STATUS_NAME,
        ExpressionAttributeValues: { ':control': control, ':draining': TaskStatus.Draining, ...(cancel ? { ':at': at.toISOString() } : {}) },
        ReturnValues: 'ALL_NEW',
      }),
    ),
  );
}

export interface DrainCancel {
  taskArn: string;
  executionArn: string;
  /** The reason the drain was started for, which no longer holds. */
  reason: DrainReason;
  /** Cancel only a drain still waiting for sessions at this time (sessions left, deadline not passed). */
  whileWaitingAt?: Date;
}

/**
 * The orchestrator's own cancel: only the drain the caller saw (its execution, its reason), still
 * open and not asked to force-stop. cancelledBy records the reason that no longer holds.
 */
export async function cancelDrain(table: RegistryTable, cancel: DrainCancel): Promise<Transition<TaskItem>> {
  const waiting =
    cancel.whileWaitingAt === undefined
      ? { condition: '', values: {} }
      : {
          condition: ' AND sessionCount > :none AND (attribute_not_exists(drainDeadline) OR drainDeadline > :now)',
          values: { ':none': 0, ':now': cancel.whileWaitingAt.toISOString() },
        };
  return transition(
    table.ddb.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: taskKey(cancel.taskArn),
        UpdateExpression: 'SET drainControl = :cancel, cancelledBy = :reason',
        ConditionExpression:
          'executionArn = :execution AND drainReason = :reason AND #status IN (:active, :draining) AND attribute_not_exists(drainOutcome) AND (attribute_not_exists(drainControl) OR drainControl = :cancel)' +
          waiting.condition,
        ExpressionAttributeNames: STATUS_NAME,
        ExpressionAttributeValues: {
          ':cancel': DrainControl.Cancel,
          ':execution': cancel.executionArn,
          ':reason': cancel.reason,
          ':active': TaskStatus.Active,
          ':draining': TaskStatus.Draining,
          ...waiting.values,
        },
        ReturnValues: 'ALL_NEW',
      }),
    ),
  );
}

/** ACTIVE -> DRAINING for a Spot interruption, so no new session lands on the task; any other status stays. */
export async function markSpotDraining(table: RegistryTable, taskArn: string, deadline: Date): Promise<Transition<TaskItem>> {
  return transition(
    table.ddb.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: taskKey(taskArn),
        UpdateExpression: 'SET #status = :draining, drainReason = :reason, drainDeadline = :deadline',
        ConditionExpression: `${ITEM_EXISTS} AND #status = :active`,
        ExpressionAttributeNames: STATUS_NAME,
        ExpressionAttributeValues: {
          ':draining': TaskStatus.Draining,
          ':active': TaskStatus.Active,
          ':reason': DrainReason.Spot,
          ':deadline': deadline.toISOString(),
        },
        ReturnValues: 'ALL_NEW',
      }),
    ),
  );
}

/** Of two ISO-8601 deadlines written by toISOString() (same length, UTC), the string order is the time order. */
export const SPOT_TAKEOVER =
  'executionArn = :execution AND #status = :draining AND attribute_not_exists(drainOutcome) AND drainReason <> :spot AND ' +
  '(attribute_not_exists(drainDeadline) OR drainDeadline > :deadline)';

/**
 * A Spot warning on a task that already drains for another reason (a deployment, a scale-in): AWS
 * takes the task at the Spot deadline whatever that drain waits for, so the drain becomes a SPOT
 * drain with that deadline. The agent reads drainDeadline (README "Session agent") and warns its
 * users before the kill; SPOT drains are never cancelled back to service (cancels name the reason
 * they undo) nor given back by the stop step (it gives back DEPLOYMENT drains only). Only the drain
 * the caller saw, still open, and only towards an earlier deadline.
 */
export async function takeOverForSpot(table: RegistryTable, taskArn: string, executionArn: string, deadline: Date): Promise<Transition<TaskItem>> {
  return transition(
    table.ddb.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: taskKey(taskArn),
        UpdateExpression: 'SET drainReason = :spot, drainDeadline = :deadline',
        ConditionExpression: SPOT_TAKEOVER,
        ExpressionAttributeNames: STATUS_NAME,
        ExpressionAttributeValues: { ':spot': DrainReason.Spot, ':deadline': deadline.toISOString(), ':execution': executionArn, ':draining': TaskStatus.Draining },
        ReturnValues: 'ALL_NEW',
      }),
    ),
  );
}
