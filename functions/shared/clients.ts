import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ECSClient } from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SFNClient } from '@aws-sdk/client-sfn';
import { REGISTRY_TRANSLATE_CONFIG } from './document-client.js';
import { tracer } from './powertools.js';

/*
 * SDK clients as module singletons so that warm invocations reuse connections.
 * Endpoints come from the standard AWS_ENDPOINT_URL* variables, so the local cloud needs no
 * code path of its own. In Lambda each call is traced in X-Ray (the template's Tracing: Active);
 * elsewhere there is no tracer and the clients are left as they are (powertools.ts).
 */
const traced = <C>(client: C): C => tracer?.captureAWSv3Client(client) ?? client;

// ECS throttles per account and API (UpdateTaskProtection and the Describe/List calls alike). A
// drain that gives up after the default three attempts loses its event to the failure queue;
// adaptive retries also slow this client down while ECS is throttling it.
export const ecs = traced(new ECSClient({ maxAttempts: 6, retryMode: 'adaptive' }));
// The document client shares the middleware stack of the client it wraps, so that one is traced.
export const ddb = DynamoDBDocumentClient.from(traced(new DynamoDBClient({})), REGISTRY_TRANSLATE_CONFIG);
export const sfn = traced(new SFNClient({}));
export const eventBridge = traced(new EventBridgeClient({}));
export const elb = traced(new ElasticLoadBalancingV2Client({}));
// Lifecycle actions of Auto Scaling groups whose instances leave (heartbeat, complete).
export const autoScaling = traced(new AutoScalingClient({}));
