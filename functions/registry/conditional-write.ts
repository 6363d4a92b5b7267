/*
 * registry/: the session registry table's model, reads and writes. Its named transitions (tasks/,
 * and the pace and capacity items) are the only writers of the table on the orchestrator side,
 * each with the guard that makes it safe. May import shared/ and the agent's contract (agent/src/);
 * never core/.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Deps } from '../shared/deps.js';
import { isConditionalCheckFailure } from './model.js';

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
