import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ECSClient } from '@aws-sdk/client-ecs';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SFNClient } from '@aws-sdk/client-sfn';

/*
 * SDK clients as module singletons so that warm invocations reuse connections.
 * Endpoints come from the standard AWS_ENDPOINT_URL* variables, so the local cloud needs no
 * code path of its own.
 */
export const ecs = new ECSClient({});
export const ddb = DynamoDBDocumentClient.from(new DynamoDBClient({}), {
  marshallOptions: { removeUndefinedValues: true },
});
export const sfn = new SFNClient({});
export const eventBridge = new EventBridgeClient({});
