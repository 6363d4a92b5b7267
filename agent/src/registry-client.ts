import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

const TRANSLATE = { marshallOptions: { removeUndefinedValues: true } };

/**
 * The document client the registry functions take. The default client reads region, credentials
 * and AWS_ENDPOINT_URL from the environment like any SDK client; it retries a request once itself,
 * because the agent's own loops retry with backoff and must not wait behind SDK retries.
 */
export function documentClient(client?: DynamoDBClient | DynamoDBDocumentClient): DynamoDBDocumentClient {
  if (client === undefined) return DynamoDBDocumentClient.from(new DynamoDBClient({ maxAttempts: 2 }), TRANSLATE);
  // Matched by name too: an application may bundle its own copy of lib-dynamodb.
  if (client instanceof DynamoDBDocumentClient || client.constructor.name === 'DynamoDBDocumentClient') return client as DynamoDBDocumentClient;
  return DynamoDBDocumentClient.from(client as DynamoDBClient, TRANSLATE);
}
