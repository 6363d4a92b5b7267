import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { BY_CLUSTER_INDEX, type TaskItem } from './model.js';

export { readTask } from './sessions.js';

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
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await reader.ddb.send(
      new QueryCommand({
        TableName: reader.tableName,
        IndexName: BY_CLUSTER_INDEX,
        KeyConditionExpression:
          serviceName === undefined ? 'clusterArn = :cluster' : 'clusterArn = :cluster AND begins_with(serviceTask, :prefix)',
        ExpressionAttributeValues: {
          ':cluster': clusterArn,
          ...(serviceName === undefined ? {} : { ':prefix': `${serviceName}#` }),
        },
        ExclusiveStartKey: startKey,
      }),
    );
    items.push(...((page.Items ?? []) as TaskItem[]));
    startKey = page.LastEvaluatedKey;
  } while (startKey !== undefined);
  return items;
}
