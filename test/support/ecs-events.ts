import { CLUSTER_ARN, TEST_ACCOUNT, TEST_REGION, taskArn } from './deps.js';

/*
 * AWS-shaped EventBridge events for tests, after the samples in the ECS and EC2 user guides.
 * Each builder takes overrides for the detail so that a test states only what it is about.
 */

export const SERVICE_NAME = 'chat';
export const SERVICE_ARN = `arn:aws:ecs:${TEST_REGION}:${TEST_ACCOUNT}:service/sessions/${SERVICE_NAME}`;
export const CONTAINER_INSTANCE_ARN = `arn:aws:ecs:${TEST_REGION}:${TEST_ACCOUNT}:container-instance/sessions/0b3c4d5e6f708192a3b4c5d6e7f80910`;
export const EC2_INSTANCE_ID = 'i-0123456789abcdef0';
export const EVENT_TIME = '2026-11-21T09:59:50Z';

function envelope(source: string, detailType: string, resources: string[], detail: Record<string, unknown>) {
  return {
    version: '0',
    id: '3317b2af-7005-947d-b652-f55e762e571a',
    'detail-type': detailType,
    source,
    account: TEST_ACCOUNT,
    time: EVENT_TIME,
    region: TEST_REGION,
    resources,
    detail,
  };
}

export function deploymentEvent(detail: Record<string, unknown> = {}, serviceArn = SERVICE_ARN) {
  return envelope('aws.ecs', 'ECS Deployment State Change', [serviceArn], {
    eventType: 'INFO',
    eventName: 'SERVICE_DEPLOYMENT_IN_PROGRESS',
    deploymentId: 'ecs-svc/0123456789012345678',
    updatedAt: '2026-11-21T09:59:45.000Z',
    reason: 'ECS deployment ecs-svc/0123456789012345678 in progress.',
    ...detail,
  });
}

export function taskStateChange(detail: Record<string, unknown> = {}) {
  const arn = (detail.taskArn as string | undefined) ?? taskArn('a1b2c3d4e5f60718293a4b5c6d7e8f90');
  return envelope('aws.ecs', 'ECS Task State Change', [arn], {
    clusterArn: CLUSTER_ARN,
    taskArn: arn,
    taskDefinitionArn: `arn:aws:ecs:${TEST_REGION}:${TEST_ACCOUNT}:task-definition/chat:7`,
    group: `service:${SERVICE_NAME}`,
    launchType: 'FARGATE',
    capacityProviderName: 'FARGATE_SPOT',
    lastStatus: 'RUNNING',
    desiredStatus: 'RUNNING',
    version: 3,
    containers: [],
    createdAt: '2026-11-21T08:00:00.000Z',
    updatedAt: '2026-11-21T09:59:50.000Z',
    ...detail,
  });
}

/** The Fargate Spot two-minute warning as real events carry it. */
export function fargateSpotWarning(detail: Record<string, unknown> = {}) {
  return taskStateChange({
    desiredStatus: 'STOPPED',
    lastStatus: 'RUNNING',
    stopCode: 'SpotInterruption',
    stoppedReason: 'Your Spot Task was interrupted.',
    stoppingAt: '2026-11-21T09:59:50.000Z',
    version: 4,
    ...detail,
  });
}

export function taskStopped(detail: Record<string, unknown> = {}) {
  return taskStateChange({
    desiredStatus: 'STOPPED',
    lastStatus: 'STOPPED',
    stopCode: 'ServiceSchedulerInitiated',
    stoppedReason: 'Scaling activity initiated by (deployment ecs-svc/0123456789012345678)',
    stoppedAt: '2026-11-21T09:59:50.000Z',
    version: 6,
    ...detail,
  });
}

export function containerInstanceStateChange(detail: Record<string, unknown> = {}) {
  return envelope('aws.ecs', 'ECS Container Instance State Change', [CONTAINER_INSTANCE_ARN], {
    agentConnected: true,
    clusterArn: CLUSTER_ARN,
    containerInstanceArn: CONTAINER_INSTANCE_ARN,
    ec2InstanceId: EC2_INSTANCE_ID,
    registeredResources: [],
    remainingResources: [],
    status: 'DRAINING',
    version: 14,
    versionInfo: { agentVersion: '1.87.0' },
    updatedAt: '2026-11-21T09:59:50.000Z',
    ...detail,
  });
}

export function ec2SpotWarning(detail: Record<string, unknown> = {}) {
  return envelope(
    'aws.ec2',
    'EC2 Spot Instance Interruption Warning',
    [`arn:aws:ec2:${TEST_REGION}:${TEST_ACCOUNT}:instance/${EC2_INSTANCE_ID}`],
    { 'instance-id': EC2_INSTANCE_ID, 'instance-action': 'terminate', ...detail },
  );
}

export function rebalanceRecommendation(detail: Record<string, unknown> = {}) {
  return envelope(
    'aws.ec2',
    'EC2 Instance Rebalance Recommendation',
    [`arn:aws:ec2:${TEST_REGION}:${TEST_ACCOUNT}:instance/${EC2_INSTANCE_ID}`],
    { 'instance-id': EC2_INSTANCE_ID, ...detail },
  );
}

export const LIFECYCLE_TOKEN = 'b3f1c2d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d';

/** An instance of "sessions-asg" held at the terminate lifecycle hook "ecs-session-drain". */
export function terminateLifecycleAction(detail: Record<string, unknown> = {}) {
  return envelope('aws.autoscaling', 'EC2 Instance-terminate Lifecycle Action', [`arn:aws:autoscaling:${TEST_REGION}:${TEST_ACCOUNT}:autoScalingGroup:5e0c8f0e-1a2b-4c3d-9e8f-7a6b5c4d3e2f:autoScalingGroupName/sessions-asg`], {
    LifecycleActionToken: LIFECYCLE_TOKEN,
    AutoScalingGroupName: 'sessions-asg',
    LifecycleHookName: 'ecs-session-drain',
    EC2InstanceId: EC2_INSTANCE_ID,
    LifecycleTransition: 'autoscaling:EC2_INSTANCE_TERMINATING',
    Origin: 'AutoScalingGroup',
    Destination: 'EC2',
    ...detail,
  });
}

/** AWS Health announces that EC2 retires the instance at `startTime` (an HTTP date, as AWS's samples write it). */
export function scheduledRetirement(detail: Record<string, unknown> = {}) {
  return envelope('aws.health', 'AWS Health Event', [EC2_INSTANCE_ID], {
    eventArn: `arn:aws:health:${TEST_REGION}::event/EC2/AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED/AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED_1`,
    service: 'EC2',
    eventTypeCode: 'AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED',
    eventTypeCategory: 'scheduledChange',
    statusCode: 'upcoming',
    startTime: 'Sat, 21 Nov 2026 12:00:00 GMT',
    eventDescription: [{ language: 'en_US', latestDescription: 'The instance is scheduled for retirement.' }],
    affectedEntities: [{ entityValue: EC2_INSTANCE_ID }],
    ...detail,
  });
}
