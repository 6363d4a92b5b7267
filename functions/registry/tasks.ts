import { BatchGetCommand, type BatchGetCommandOutput, type DynamoDBDocumentClient, paginateQuery } from '@aws-sdk/lib-dynamodb';
import { batchesOf } from '../shared/batches.js';
import { ownInput } from '../shared/pages.js';
import { BY_CLUSTER_INDEX, type TaskItem, taskKey } from './model.js';

export { readTask } from '@ecs-session-drain/agent/registry';

/**
 * The registry's task items in a cluster, optionally for one service, through the ByCluster
 * index (no scan). The index is eventually consistent: callers that act on one task re-read it.
 */
export async function listClusterTasks(
  reader: { ddb: DynamoDBDocumentClient; tableName: string },
  clusterArn: string,
  serviceName?: string,
): Promise<TaskItem[]> {
  const items: TaskItem[] = [];
  const pages = paginateQuery(
    { client: reader.ddb, withCommand: ownInput },
    {
      TableName: reader.tableName,
      IndexName: BY_CLUSTER_INDEX,
      KeyConditionExpression:
        serviceName === undefined ? 'clusterArn = :cluster' : 'clusterArn = :cluster AND begins_with(serviceTask, :prefix)',
      ExpressionAttributeValues: {
        ':cluster': clusterArn,
        ...(serviceName === undefined ? {} : { ':prefix': `${serviceName}#` }),
      },
    },
  );
  for await (const page of pages) items.push(...((page.Items ?? []) as TaskItem[]));
  return items;
}

/** BatchGetItem reads at most 100 items per call. */
const BATCH_GET_SIZE = 100;
/** Unprocessed keys (throttling) are asked again this many times before the read fails. */
const BATCH_GET_ROUNDS = 5;

/**
 * The task items of the given tasks, read consistently (the index may not show a drain claimed a
 * moment ago). Tasks without an item are left out.
 */
export async function readTasksConsistently(reader: { ddb: DynamoDBDocumentClient; tableName: string }, taskArns: readonly string[]): Promise<TaskItem[]> {
  const items: TaskItem[] = [];
  for (const batch of batchesOf(taskArns, BATCH_GET_SIZE)) {
    let keys: Record<string, unknown>[] | undefined = batch.map((taskArn) => taskKey(taskArn));
    for (let round = 1; keys !== undefined && keys.length > 0; round += 1) {
      if (round > BATCH_GET_ROUNDS) throw new Error(`BatchGetItem left ${keys.length} registry items unread after ${BATCH_GET_ROUNDS} rounds`);
      const page: BatchGetCommandOutput = await reader.ddb.send(new BatchGetCommand({ RequestItems: { [reader.tableName]: { Keys: keys, ConsistentRead: true } } }));
      items.push(...((page.Responses?.[reader.tableName] ?? []) as TaskItem[]));
      keys = page.UnprocessedKeys?.[reader.tableName]?.Keys;
    }
  }
  return items;
}
