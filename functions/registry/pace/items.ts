/*
 * registry/pace/: a service's pace item (the version every batch of paced drains moves on, and the
 * pacer's lease) and its blue/green hook item, with their transitions. May import registry/,
 * shared/ and the agent's contract (agent/src/); never core/.
 */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type RegistryTable, type Transition, transition } from '../conditional-write.js';
import { definedOnly } from '../../shared/optional.js';

export const PACE_SORT_KEY = 'PACE';
export const HOOK_SORT_KEY = 'BLUE_GREEN_HOOK';

export interface ServiceRef {
  clusterArn: string;
  serviceName: string;
}

/** The service's pace item: its version moves with every batch of paced drains claimed. */
export function paceKey(clusterArn: string, serviceName: string): { pk: string; sk: typeof PACE_SORT_KEY } {
  return { pk: `SERVICE#${clusterArn}#${serviceName}`, sk: PACE_SORT_KEY };
}

export function hookKey(clusterArn: string, serviceName: string): { pk: string; sk: typeof HOOK_SORT_KEY } {
  return { pk: `SERVICE#${clusterArn}#${serviceName}`, sk: HOOK_SORT_KEY };
}

/**
 * The transaction action that moves the pace version on from `current` (undefined before the first
 * claim) to `next`: a pacer that decided on an older version has its whole transaction cancelled.
 */
export function movePaceVersionAction(tableName: string, ref: ServiceRef, current: number | undefined, next: number, now: string) {
  return {
    Update: {
      TableName: tableName,
      Key: paceKey(ref.clusterArn, ref.serviceName),
      UpdateExpression: 'SET version = :next, updatedAt = :now',
      ConditionExpression: current === undefined ? 'attribute_not_exists(version)' : 'version = :current',
      ExpressionAttributeValues: { ':next': next, ':now': now, ...definedOnly({ ':current': current }) },
    },
  };
}

/** Takes the lease if it is free, expired or already the holder's, and clears dirty. `now` and `until` in epoch milliseconds. */
export async function takePaceLease(table: RegistryTable, ref: ServiceRef, holder: string, now: number, until: number): Promise<Transition> {
  return transition(
    table.ddb.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: paceKey(ref.clusterArn, ref.serviceName),
        UpdateExpression: 'SET leaseHolder = :me, leaseUntil = :until, dirty = :false',
        ConditionExpression: 'attribute_not_exists(leaseUntil) OR leaseUntil < :now OR leaseHolder = :me',
        ExpressionAttributeValues: { ':me': holder, ':until': until, ':now': now, ':false': false },
      }),
    ),
  );
}

/** Unconditional: a pass is wanted, whoever holds the lease. */
export async function markPaceDirty(table: RegistryTable, ref: ServiceRef): Promise<void> {
  await table.ddb.send(
    new UpdateCommand({
      TableName: table.tableName,
      Key: paceKey(ref.clusterArn, ref.serviceName),
      UpdateExpression: 'SET dirty = :true',
      ExpressionAttributeValues: { ':true': true },
    }),
  );
}

/** Releases the lease only if it is the holder's and nothing marked the service dirty since it was taken. */
export async function releasePaceLease(table: RegistryTable, ref: ServiceRef, holder: string): Promise<Transition> {
  return transition(
    table.ddb.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: paceKey(ref.clusterArn, ref.serviceName),
        UpdateExpression: 'REMOVE leaseHolder, leaseUntil',
        ConditionExpression: 'leaseHolder = :me AND dirty = :false',
        ExpressionAttributeValues: { ':me': holder, ':false': false },
      }),
    ),
  );
}

/** Drops the holder's lease and leaves the service dirty, so the next trigger runs a pass. */
export async function dropPaceLease(table: RegistryTable, ref: ServiceRef, holder: string): Promise<Transition> {
  return transition(
    table.ddb.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: paceKey(ref.clusterArn, ref.serviceName),
        UpdateExpression: 'SET dirty = :true REMOVE leaseHolder, leaseUntil',
        ConditionExpression: 'leaseHolder = :me',
        ExpressionAttributeValues: { ':me': holder, ':true': true },
      }),
    ),
  );
}

export interface HookRecord {
  hookId: string;
  serviceDeploymentArn: string;
  blueTaskArns: string[];
}

/** Records a paused hook, not armed yet; a repeated event of a hook already continued changes nothing. */
export async function recordHook(table: RegistryTable, ref: ServiceRef, hook: HookRecord, now: string): Promise<Transition> {
  return transition(
    table.ddb.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: hookKey(ref.clusterArn, ref.serviceName),
        // A repeated event of the same hook refreshes the list; a new hook starts afresh.
        UpdateExpression: 'SET hookId = :hookId, serviceDeploymentArn = :deployment, blueTaskArns = :blue, armed = :false, updatedAt = :now REMOVE continuedAt',
        ConditionExpression: 'attribute_not_exists(continuedAt) OR hookId <> :hookId',
        ExpressionAttributeValues: { ':hookId': hook.hookId, ':deployment': hook.serviceDeploymentArn, ':blue': hook.blueTaskArns, ':false': false, ':now': now },
      }),
    ),
  );
}

/**
 * Arms the hook once every blue drain has been started. Throws ConditionalCheckFailedException when
 * another hook replaced it: the caller's event is then for a hook that no longer waits.
 */
export async function armHook(table: RegistryTable, ref: ServiceRef, hookId: string): Promise<void> {
  await table.ddb.send(
    new UpdateCommand({
      TableName: table.tableName,
      Key: hookKey(ref.clusterArn, ref.serviceName),
      UpdateExpression: 'SET armed = :true',
      ConditionExpression: 'hookId = :hookId',
      ExpressionAttributeValues: { ':true': true, ':hookId': hookId },
    }),
  );
}

/** Marks the hook continued, unless another hook replaced it. */
export async function markHookContinued(table: RegistryTable, ref: ServiceRef, hookId: string, now: string): Promise<Transition> {
  return transition(
    table.ddb.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: hookKey(ref.clusterArn, ref.serviceName),
        UpdateExpression: 'SET continuedAt = :now',
        ConditionExpression: 'hookId = :hookId',
        ExpressionAttributeValues: { ':now': now, ':hookId': hookId },
      }),
    ),
  );
}
