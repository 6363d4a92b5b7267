/*
 * registry/capacity/: a service's replacement-capacity item (the surge set, its version, the
 * counts last applied and the converger's lock) and its transitions. May import registry/, shared/
 * and the agent's contract (agent/src/); never core/.
 */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type RegistryTable, type Transition, transition } from '../conditional-write.js';
import type { ServiceRef } from '../pace/items.js';

export const CAPACITY_SORT_KEY = 'CAPACITY';

export function capacityKey(clusterArn: string, serviceName: string): { pk: string; sk: typeof CAPACITY_SORT_KEY } {
  return { pk: `SERVICE#${clusterArn}#${serviceName}`, sk: CAPACITY_SORT_KEY };
}

/**
 * Adds a task to the surge set or removes it, moving the version on; not applied when the task was
 * already in (add) or already out (remove). The item answers with the new version.
 */
export async function changeSurge(table: RegistryTable, ref: ServiceRef, taskArn: string, change: 'add' | 'remove'): Promise<Transition<{ version?: unknown } | undefined>> {
  return transition(
    table.ddb.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: capacityKey(ref.clusterArn, ref.serviceName),
        UpdateExpression:
          change === 'add'
            ? 'SET clusterArn = :cluster, serviceName = :service, version = if_not_exists(version, :zero) + :one ADD surge :tasks'
            : 'SET version = version + :one DELETE surge :tasks',
        ConditionExpression: change === 'add' ? 'NOT contains(surge, :task)' : 'contains(surge, :task)',
        ExpressionAttributeValues: {
          ':tasks': new Set([taskArn]),
          ':task': taskArn,
          ':one': 1,
          ...(change === 'add' ? { ':cluster': ref.clusterArn, ':service': ref.serviceName, ':zero': 0 } : {}),
        },
        ReturnValues: 'UPDATED_NEW',
      }),
    ),
  );
}

export interface AppliedCounts {
  base?: number;
  applied?: number;
  appliedFrom?: number;
  /** Forget the base and the applied counts: the service is back at its base. */
  clear?: boolean;
}

/** Records what the lock holder applied for `version`, while the version and the lock are still as it read them. */
export async function writeApplied(table: RegistryTable, ref: ServiceRef, owner: string, version: number, fields: AppliedCounts): Promise<Transition> {
  const set = ['appliedVersion = :version'];
  const values: Record<string, unknown> = { ':version': version, ':owner': owner };
  for (const [field, attribute] of [['base', 'baseCount'], ['applied', 'appliedCount'], ['appliedFrom', 'appliedFromCount']] as const) {
    const value = fields[field];
    if (value !== undefined) {
      set.push(`${attribute} = :${field}`);
      values[`:${field}`] = value;
    }
  }
  return transition(
    table.ddb.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: capacityKey(ref.clusterArn, ref.serviceName),
        UpdateExpression: `SET ${set.join(', ')}${fields.clear ? ' REMOVE baseCount, appliedCount, appliedFromCount' : ''}`,
        ConditionExpression: 'version = :version AND lockOwner = :owner',
        ExpressionAttributeValues: values,
      }),
    ),
  );
}

/** Takes the converger's lock of an existing item if it is free or expired. `now` and `expiresAt` in epoch milliseconds. */
export async function takeCapacityLock(table: RegistryTable, ref: ServiceRef, owner: string, now: number, expiresAt: number): Promise<Transition> {
  return transition(
    table.ddb.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: capacityKey(ref.clusterArn, ref.serviceName),
        UpdateExpression: 'SET lockOwner = :owner, lockExpiresAt = :expires',
        ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(lockOwner) OR lockExpiresAt < :now)',
        ExpressionAttributeValues: { ':owner': owner, ':expires': expiresAt, ':now': now },
      }),
    ),
  );
}

/** Releases the lock if it is still the owner's: one that expired and was taken is the new owner's to release. */
export async function releaseCapacityLock(table: RegistryTable, ref: ServiceRef, owner: string): Promise<Transition> {
  return transition(
    table.ddb.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: capacityKey(ref.clusterArn, ref.serviceName),
        UpdateExpression: 'REMOVE lockOwner, lockExpiresAt',
        ConditionExpression: 'lockOwner = :owner',
        ExpressionAttributeValues: { ':owner': owner },
      }),
    ),
  );
}
