/* A task item's transitions outside a drain: its stop, its expiry, and the protection state recorded on it. */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type RegistryTable, type Transition, transition } from '../conditional-write.js';
import { ITEM_EXISTS, ProtectionState, STATUS_NAME, STOPPED_ITEM_TTL_SECONDS, type TaskItem, taskKey, TaskStatus } from '../model.js';

/** STOPPED from ECS's event, unless a newer or equal ECS version was applied or the item is gone; the item stays readable for a while. */
export async function closeStopped(table: RegistryTable, taskArn: string, ecsVersion: number, nowSeconds: number): Promise<Transition<TaskItem>> {
  return transition(
    table.ddb.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: taskKey(taskArn),
        UpdateExpression: 'SET #status = :stopped, expiresAt = :expiresAt, ecsVersion = :version',
        ConditionExpression: `${ITEM_EXISTS} AND #status <> :stopped AND (attribute_not_exists(ecsVersion) OR ecsVersion < :version)`,
        ExpressionAttributeNames: STATUS_NAME,
        ExpressionAttributeValues: {
          ':stopped': TaskStatus.Stopped,
          ':expiresAt': nowSeconds + STOPPED_ITEM_TTL_SECONDS,
          ':version': ecsVersion,
        },
        ReturnValues: 'ALL_NEW',
      }),
    ),
  );
}

/** STOPPED for a task ECS no longer runs (the reconciler); the condition only keeps the write off a deleted item. */
export async function expireTask(table: RegistryTable, taskArn: string, nowSeconds: number): Promise<Transition> {
  return transition(
    table.ddb.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: taskKey(taskArn),
        UpdateExpression: 'SET #status = :stopped, expiresAt = :expiresAt',
        ConditionExpression: '#status IN (:active, :draining, :stopping)',
        ExpressionAttributeNames: STATUS_NAME,
        ExpressionAttributeValues: {
          ':stopped': TaskStatus.Stopped,
          ':expiresAt': nowSeconds + STOPPED_ITEM_TTL_SECONDS,
          ':active': TaskStatus.Active,
          ':draining': TaskStatus.Draining,
          ':stopping': TaskStatus.Stopping,
        },
      }),
    ),
  );
}

/**
 * The protection state ECS confirmed, recorded while the session count still calls for it; a
 * protection expiry never moves backwards, so an older decision never overrides a newer one.
 */
export type ProtectionRecord =
  | { state: typeof ProtectionState.Protected; until: number }
  | { state: typeof ProtectionState.Unprotected }
  | { state: typeof ProtectionState.Blocked };

function protectionWrite(record: ProtectionRecord) {
  switch (record.state) {
    case ProtectionState.Protected:
      return {
        UpdateExpression: 'SET protectionState = :state, protectedUntil = :until',
        ConditionExpression: `${ITEM_EXISTS} AND sessionCount >= :one AND (attribute_not_exists(protectedUntil) OR protectedUntil <= :until)`,
        ExpressionAttributeValues: { ':state': ProtectionState.Protected, ':until': record.until, ':one': 1 },
      };
    case ProtectionState.Unprotected:
      return {
        UpdateExpression: 'SET protectionState = :state REMOVE protectedUntil',
        ConditionExpression: `${ITEM_EXISTS} AND sessionCount <= :zero`,
        ExpressionAttributeValues: { ':state': ProtectionState.Unprotected, ':zero': 0 },
      };
    case ProtectionState.Blocked:
      return {
        UpdateExpression: 'SET protectionState = :state',
        ConditionExpression: `${ITEM_EXISTS} AND sessionCount >= :one`,
        ExpressionAttributeValues: { ':state': ProtectionState.Blocked, ':one': 1 },
      };
  }
}

export async function setProtectionState(table: RegistryTable, taskArn: string, record: ProtectionRecord): Promise<Transition> {
  return transition(table.ddb.send(new UpdateCommand({ TableName: table.tableName, Key: taskKey(taskArn), ...protectionWrite(record) })));
}

/** Flags whether a task's drain asked for a replacement; a task item that is gone needs no flag. */
export async function setReplacementRequested(table: RegistryTable, taskArn: string, requested: boolean): Promise<Transition> {
  return transition(
    table.ddb.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: taskKey(taskArn),
        UpdateExpression: 'SET replacementRequested = :requested',
        ConditionExpression: ITEM_EXISTS,
        ExpressionAttributeValues: { ':requested': requested },
      }),
    ),
  );
}
