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
