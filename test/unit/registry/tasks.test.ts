import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { listClusterTasks } from '../../../functions/registry/tasks.js';
import { CLUSTER_ARN, makeTestDeps, TABLE_NAME, taskArn } from '../../support/deps.js';

describe('listClusterTasks', () => {
  it('reads a service\'s task items through the ByCluster index page by page', async () => {
    const { deps, mocks } = makeTestDeps();
    const lastKey = { pk: taskArn('a'), sk: 'TASK', clusterArn: CLUSTER_ARN, serviceTask: `web#${taskArn('a')}` };
    mocks.ddb
      .on(QueryCommand)
      .resolvesOnce({ Items: [{ pk: taskArn('a') }], LastEvaluatedKey: lastKey })
      .resolvesOnce({ Items: [{ pk: taskArn('b') }] });

    const items = await listClusterTasks({ ddb: deps.ddb, tableName: TABLE_NAME }, CLUSTER_ARN, 'web');

    expect(items).toEqual([{ pk: taskArn('a') }, { pk: taskArn('b') }]);
    const query = {
      TableName: TABLE_NAME,
      IndexName: 'ByCluster',
      KeyConditionExpression: 'clusterArn = :cluster AND begins_with(serviceTask, :prefix)',
      ExpressionAttributeValues: { ':cluster': CLUSTER_ARN, ':prefix': 'web#' },
    };
    expect(mocks.ddb.commandCalls(QueryCommand).map((call) => call.args[0].input)).toEqual([query, { ...query, ExclusiveStartKey: lastKey }]);
  });
});
