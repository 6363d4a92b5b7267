import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { RegistryTable } from '../../../../test/support/registry-table.js';

/** What the orchestrator's drain does to a task item (status, drainReason, drainDeadline), on the real table. */
export async function markDraining(registry: RegistryTable, taskArn: string, drain: { reason: string; deadline: string }): Promise<void> {
  await registry.ddb.send(
    new UpdateCommand({
      TableName: registry.tableName,
      Key: { pk: taskArn, sk: 'TASK' },
      UpdateExpression: 'SET #status = :draining, drainReason = :reason, drainDeadline = :deadline',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':draining': 'DRAINING', ':reason': drain.reason, ':deadline': drain.deadline },
    }),
  );
}
