import type { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ECSClient } from '@aws-sdk/client-ecs';
import type { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { SFNClient } from '@aws-sdk/client-sfn';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { Config } from './config.js';

/**
 * What a core function may touch. Handlers build it from the module singletons; tests build it
 * from mocked clients and a fixed clock.
 */
export interface Deps {
  ecs: ECSClient;
  ddb: DynamoDBDocumentClient;
  sfn: SFNClient;
  eventBridge: EventBridgeClient;
  /** Target health of a service's load balancers (the deployment pacer). */
  elb: ElasticLoadBalancingV2Client;
  /** Lifecycle actions of terminating Auto Scaling instances (heartbeat, complete). */
  autoScaling: AutoScalingClient;
  logger: Logger;
  metrics: Metrics;
  config: Config;
  now: () => Date;
}
