import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ECSClient } from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SFNClient } from '@aws-sdk/client-sfn';
import { REGISTRY_TRANSLATE_CONFIG } from './document-client.js';

/*
 * SDK clients as module singletons so that warm invocations reuse connections.
 * Endpoints come from the standard AWS_ENDPOINT_URL* variables, so the local cloud needs no
 * code path of its own.
 */
// ECS throttles per account and API (UpdateTaskProtection and the Describe/List calls alike). A
// drain that gives up after the default three attempts loses its event to the failure queue;
// adaptive retries also slow this client down while ECS is throttling it.
export const ecs = new ECSClient({ maxAttempts: 6, retryMode: 'adaptive' });
export const ddb = DynamoDBDocumentClient.from(new DynamoDBClient({}), REGISTRY_TRANSLATE_CONFIG);
export const sfn = new SFNClient({});
export const eventBridge = new EventBridgeClient({});
export const elb = new ElasticLoadBalancingV2Client({});
