import type { TranslateConfig } from '@aws-sdk/lib-dynamodb';

/**
 * A number JavaScript cannot hold exactly is read as its text. The SDK's default turns it into a
 * BigInt or, for one like 1.5e20, throws, and a task can write such a number into its own item:
 * every read of that item, and every ByCluster query of its cluster, would then fail and keep the
 * reconciler from repairing the cluster's other tasks. As text the value fails the item checks
 * (registry/item-checks.ts) of whoever reads it, which leave that one item alone with a log line.
 */
export function readNumber(text: string): number | string {
  const value = Number(text);
  return Number.isFinite(value) && Math.abs(value) <= Number.MAX_SAFE_INTEGER ? value : text;
}

/** How the orchestrator's DynamoDB document client translates registry items. */
export const REGISTRY_TRANSLATE_CONFIG: TranslateConfig = {
  marshallOptions: { removeUndefinedValues: true },
  unmarshallOptions: { wrapNumbers: readNumber },
};
