/*
 * registry/: the session registry table's model, reads and writes. Its named transitions (tasks/,
 * and the pace and capacity items) are the only writers of the table on the orchestrator side,
 * each with the guard that makes it safe. May import shared/ and the agent's contract (agent/src/);
 * never core/.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Deps } from '../shared/deps.js';
import { isConditionalCheckFailure } from './model.js';

/**
 * Awaits a conditional write and answers undefined when its condition did not hold: the item is
 * not in the state the write required, so nothing was written and the caller decides what that
 * means (usually another invocation got there first). Every other failure is thrown as it came.
 * A DynamoDB write's output is always an object, so undefined cannot be mistaken for a success.
 */
export async function unlessConditionFails<T extends object>(write: Promise<T>): Promise<T | undefined> {
  try {
    return await write;
  } catch (error) {
    if (isConditionalCheckFailure(error)) return undefined;
    throw error;
  }
}

/** The registry table a transition writes to. */
export interface RegistryTable {
  ddb: DynamoDBDocumentClient;
  tableName: string;
}

export function registryTable(deps: Pick<Deps, 'ddb' | 'config'>): RegistryTable {
  return { ddb: deps.ddb, tableName: deps.config.tableName };
}

/**
 * A named transition's answer: applied (with the item as the write left it, when the write asks
 * for it with ReturnValues ALL_NEW) or not, because its condition did not hold and nothing was
 * written; `cause` is DynamoDB's ConditionalCheckFailedException, for the error a caller may throw.
 */
export type Transition<I = undefined> = { applied: true; item: I } | { applied: false; cause: unknown };

/** A conditional write as a Transition; `item` is the write's Attributes (a test double may answer no output at all). */
export async function transition<I = undefined>(write: Promise<{ Attributes?: Record<string, unknown> } | undefined>): Promise<Transition<I>> {
  try {
    const output = await write;
    return { applied: true, item: output?.Attributes as I };
  } catch (error) {
    if (isConditionalCheckFailure(error)) return { applied: false, cause: error };
    throw error;
  }
}
