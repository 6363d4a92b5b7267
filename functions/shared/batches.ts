/**
 * The items in consecutive batches of at most `size`, in order: AWS calls that take a bounded list
 * (DescribeTasks 100, BatchGetItem 100, UpdateTaskProtection 10, TransactWriteItems 100 actions).
 */
export function* batchesOf<T>(items: readonly T[], size: number): Generator<T[]> {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`a batch size must be a positive integer, not ${size}`);
  for (let start = 0; start < items.length; start += size) yield items.slice(start, start + size);
}
