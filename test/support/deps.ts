import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { ECSClient, UpdateTaskProtectionCommand } from '@aws-sdk/client-ecs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import type { Config } from '../../functions/shared/config.js';
import type { Deps } from '../../functions/shared/deps.js';

export const TEST_REGION = 'us-east-1';
export const TEST_ACCOUNT = '111122223333';
export const CLUSTER_ARN = `arn:aws:ecs:${TEST_REGION}:${TEST_ACCOUNT}:cluster/sessions`;
export const OTHER_CLUSTER_ARN = `arn:aws:ecs:${TEST_REGION}:${TEST_ACCOUNT}:cluster/batch`;
export const STATE_MACHINE_ARN = `arn:aws:states:${TEST_REGION}:${TEST_ACCOUNT}:stateMachine:SessionDrain`;
export const TABLE_NAME = 'SessionRegistry';
export const NOW = new Date('2026-11-21T10:00:00.000Z');

export function taskArn(id: string, cluster = 'sessions'): string {
  return `arn:aws:ecs:${TEST_REGION}:${TEST_ACCOUNT}:task/${cluster}/${id}`;
}

export function testConfig(overrides: Partial<Config> = {}): Config {
  return {
    tableName: TABLE_NAME,
    stateMachineArn: STATE_MACHINE_ARN,
    eventBusName: 'session-drain',
    clusterArns: [CLUSTER_ARN],
    defaultDrainSeconds: 3600,
    maxDrainSeconds: 8 * 3600,
    heartbeatTimeoutSeconds: 120,
    protectionMinutes: 2880,
    protectionRenewBeforeSeconds: 6 * 3600,
    fargateSpotWarningSeconds: 120,
    targetHealthRecheckSeconds: 10,
    rebalanceAction: 'drain',
    ...overrides,
  };
}

/** A silent logger whose calls tests can spy on. */
export function testLogger(): Logger {
  return new Logger({ serviceName: 'test', logLevel: 'SILENT' });
}

/**
 * Deps with every SDK client mocked by aws-sdk-client-mock. Mocks are per client instance, so
 * tests running in parallel do not share state. Unmocked commands resolve to undefined.
 */
export function makeTestDeps(options: { config?: Partial<Config>; now?: Date } = {}) {
  const ecs = new ECSClient({ region: TEST_REGION });
  const ddb = DynamoDBDocumentClient.from(new DynamoDBClient({ region: TEST_REGION }));
  const sfn = new SFNClient({ region: TEST_REGION });
  const eventBridge = new EventBridgeClient({ region: TEST_REGION });
  const elb = new ElasticLoadBalancingV2Client({ region: TEST_REGION });
  const autoScaling = new AutoScalingClient({ region: TEST_REGION });
  const mocks = {
    ecs: mockClient(ecs),
    ddb: mockClient(ddb),
    sfn: mockClient(sfn),
    eventBridge: mockClient(eventBridge),
    elb: mockClient(elb),
    autoScaling: mockClient(autoScaling),
  };
  const deps: Deps = {
    ecs,
    ddb,
    sfn,
    eventBridge,
    elb,
    autoScaling,
    logger: testLogger(),
    metrics: new Metrics({ namespace: 'Test', serviceName: 'test' }),
    config: testConfig(options.config),
    now: () => options.now ?? NOW,
  };
  return { deps, mocks };
}

/** ECS as it answers UpdateTaskProtection when nothing blocks it: every task gets what was asked. */
export function grantEveryProtection(ecsMock: ReturnType<typeof makeTestDeps>['mocks']['ecs'], protectedUntil: Date): void {
  ecsMock.on(UpdateTaskProtectionCommand).callsFake((input: { tasks: string[]; protectionEnabled: boolean }) => ({
    protectedTasks: input.tasks.map((arn) => ({
      taskArn: arn,
      protectionEnabled: input.protectionEnabled,
      ...(input.protectionEnabled ? { expirationDate: protectedUntil } : {}),
    })),
    failures: [],
  }));
}
