import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { motoClientConfig, uniqueName } from './aws.js';

/** A registry table on moto with the key schema from docs/design.md ("Registry"). */
export async function createRegistryTable(prefix = 'registry'): Promise<{ tableName: string; ddb: DynamoDBDocumentClient }> {
  return createRegistryTableAt(motoClientConfig(), uniqueName(prefix));
}

export async function createRegistryTableAt(
  clientConfig: ConstructorParameters<typeof DynamoDBClient>[0],
  tableName: string,
): Promise<{ tableName: string; ddb: DynamoDBDocumentClient }> {
  const client = new DynamoDBClient(clientConfig ?? {});
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
        { AttributeName: 'clusterArn', AttributeType: 'S' },
        { AttributeName: 'serviceTask', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: [
        {
          IndexName: 'ByCluster',
          KeySchema: [
            { AttributeName: 'clusterArn', KeyType: 'HASH' },
            { AttributeName: 'serviceTask', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
    }),
  );
  return { tableName, ddb: DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } }) };
}
