/*
 * The drain wait's Step Functions token, kept apart from the task item. A task's role may read
 * and update its own item (and, as IAM cannot tell tasks apart, every task item of the in-scope
 * clusters: template.yaml TaskRegistryPolicy). A token on a task item could therefore be copied
 * into another item and used to end a drain that does not belong to it. The wait item's key
 * begins with WAIT#, which the task policy's dynamodb:LeadingKeys condition (task ARNs only)
 * leaves out: no task role reads or writes it.
 */
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { RegistryTable } from '../conditional-write.js';
import type { TaskItem } from '../model.js';

export const WAIT_KEY_PREFIX = 'WAIT#';
export const WAIT_SORT_KEY = 'WAIT';

/** One wait item per drain execution: an execution waits for sessions once. */
export function waitKey(executionArn: string): { pk: string; sk: typeof WAIT_SORT_KEY } {
  return { pk: `${WAIT_KEY_PREFIX}${executionArn}`, sk: WAIT_SORT_KEY };
}

export interface DrainWait {
  executionArn: string;
  /** The task whose drain the execution is: the only task whose item can end this wait. */
  taskArn: string;
  taskToken: string;
  /** TTL (epoch seconds): after the longest drain, nobody waits on the token any more. */
  expiresAt: number;
}

/**
 * Stores the wait's token before the task item is marked armed (armDrainWait), so that whoever
 * sees the mark finds the token. A retried step stores its newer token over the older one.
 */
export async function storeDrainWait(table: RegistryTable, wait: DrainWait): Promise<void> {
  await table.ddb.send(
    new PutCommand({
      TableName: table.tableName,
      Item: { ...waitKey(wait.executionArn), executionArn: wait.executionArn, taskArn: wait.taskArn, taskToken: wait.taskToken, expiresAt: wait.expiresAt },
    }),
  );
}

/**
 * The token of the wait the task item's current drain armed, or undefined. It is returned only
 * when the wait item belongs to this very task (its key): a task can write its own item's
 * executionArn and waitArmed, so an item naming another task's execution finds that execution's
 * wait item and gets nothing from it.
 */
export async function readDrainWait(table: RegistryTable, item: Pick<TaskItem, 'pk' | 'executionArn' | 'waitArmed'>): Promise<string | undefined> {
  if (item.waitArmed !== true || item.executionArn === undefined) return undefined;
  const { Item } = await table.ddb.send(new GetCommand({ TableName: table.tableName, Key: waitKey(item.executionArn), ConsistentRead: true }));
  const wait = Item as Partial<DrainWait> | undefined;
  // The item's key, not its taskArn attribute: a task can write the attribute, never the key.
  if (wait === undefined || wait.taskArn !== item.pk || wait.executionArn !== item.executionArn) return undefined;
  return typeof wait.taskToken === 'string' && wait.taskToken.length > 0 ? wait.taskToken : undefined;
}
