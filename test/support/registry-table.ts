import { CreateTableCommand, type CreateTableCommandInput, DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { motoClientConfig, uniqueName } from './aws.js';
import { loadTemplate } from '@ecs-session-drain/local';

/**
 * CreateTable input for the registry, taken from template.yaml's RegistryTable so that tests
 * run against the table the stack deploys, not a copy of it. Only the properties CreateTable
 * takes are kept (PITR, SSE and TTL are separate APIs and change no behaviour the tests rely on).
 */
export function registryTableDefinition(tableName: string): CreateTableCommandInput {
  const properties = loadTemplate().Resources.RegistryTable?.Properties as Record<string, unknown> | undefined;
  if (properties === undefined) throw new Error('template.yaml has no RegistryTable');
  const stream = properties.StreamSpecification as { StreamViewType: 'NEW_AND_OLD_IMAGES' } | undefined;
  return {
    TableName: tableName,
    BillingMode: properties.BillingMode as 'PAY_PER_REQUEST',
    AttributeDefinitions: properties.AttributeDefinitions as CreateTableCommandInput['AttributeDefinitions'],
    KeySchema: properties.KeySchema as CreateTableCommandInput['KeySchema'],
    GlobalSecondaryIndexes: properties.GlobalSecondaryIndexes as CreateTableCommandInput['GlobalSecondaryIndexes'],
    ...(stream === undefined ? {} : { StreamSpecification: { StreamEnabled: true, StreamViewType: stream.StreamViewType } }),
  };
}

export interface RegistryTable {
  tableName: string;
  ddb: DynamoDBDocumentClient;
  streamArn: string | undefined;
}

/** The registry table of template.yaml, created on the test run's moto server under a unique name. */
export async function createRegistryTable(prefix = 'registry'): Promise<RegistryTable> {
  return createRegistryTableAt(motoClientConfig(), uniqueName(prefix));
}

export async function createRegistryTableAt(
  clientConfig: ConstructorParameters<typeof DynamoDBClient>[0],
  tableName: string,
): Promise<RegistryTable> {
  const client = new DynamoDBClient(clientConfig ?? {});
  await client.send(new CreateTableCommand(registryTableDefinition(tableName)));
  const described = await client.send(new DescribeTableCommand({ TableName: tableName }));
  return {
    tableName,
    streamArn: described.Table?.LatestStreamArn,
    ddb: DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } }),
  };
}
