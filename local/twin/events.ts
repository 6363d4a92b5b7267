import { randomUUID } from 'node:crypto';
import type { EventBridgeEnvelope, TwinContainerInstance, TwinDeployment, TwinTask } from './model.js';
import { taskDefinitionFamily } from './model.js';
import { containerNetworkBindings, containerNetworkInterfaces, taskAttachments } from './network.js';

/*
 * EventBridge events in the shapes of AWS's samples:
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs_cwe_events.html
 * https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/spot-instance-termination-notices.html
 * (also events/*.json in this repository). Event timestamps are ISO strings; API responses use
 * epoch seconds (see views.ts).
 */

export interface EventContext {
  region: string;
  accountId: string;
  now: Date;
}

export const CONTAINER_NAME = 'app';
export const AGENT_VERSION_INFO = { agentHash: '4023248', agentVersion: '1.87.1', dockerVersion: 'DockerVersion: 20.10.25' };

/** EventBridge stamps events to the second: "2026-03-02T11:20:41Z". */
function eventTime(now: Date): string {
  return now.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function iso(date: Date | undefined): string | undefined {
  return date?.toISOString();
}

function envelope(
  context: EventContext,
  source: EventBridgeEnvelope['source'],
  detailType: string,
  resources: string[],
  detail: Record<string, unknown>,
): EventBridgeEnvelope {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': detailType,
    source,
    account: context.accountId,
    time: eventTime(context.now),
    region: context.region,
    resources,
    detail,
  };
}

function defined(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined));
}

export function containerArn(task: TwinTask): string {
  const [prefix] = task.taskArn.split(':task/');
  const clusterName = task.clusterArn.split('/').pop() ?? '';
  return `${prefix}:container/${clusterName}/${task.taskId}/${task.taskId.slice(0, 8)}-0000-4000-8000-${task.taskId.slice(20)}`;
}

/** The container's status follows the task's, as ECS reports it for a one-container task. */
export function containerStatus(task: TwinTask): string {
  if (task.lastStatus === 'DEPROVISIONING' || task.lastStatus === 'STOPPED') return 'STOPPED';
  return task.lastStatus === 'RUNNING' ? 'RUNNING' : 'PENDING';
}

/** `withHealth`: carry healthStatus (EcsTwinOptions.healthEvents); AWS's sample event has none. */
export function taskStateChangeEvent(context: EventContext, task: TwinTask, withHealth = false): EventBridgeEnvelope {
  const fargate = task.launchType === 'FARGATE';
  const healthStatus = withHealth ? (task.healthStatus ?? 'UNKNOWN') : undefined;
  const detail = defined({
    attachments: taskAttachments(task, 'eni'),
    availabilityZone: task.availabilityZone,
    clusterArn: task.clusterArn,
    containerInstanceArn: task.containerInstanceArn,
    containers: [
      defined({
        containerArn: containerArn(task),
        lastStatus: containerStatus(task),
        name: CONTAINER_NAME,
        taskArn: task.taskArn,
        networkInterfaces: containerNetworkInterfaces(task),
        networkBindings: containerNetworkBindings(task),
        exitCode: task.exitCode,
        healthStatus,
        cpu: '0',
      }),
    ],
    cpu: '1024',
    memory: '2048',
    createdAt: iso(task.createdAt),
    healthStatus,
    desiredStatus: task.desiredStatus,
    enableExecuteCommand: false,
    group: task.group,
    launchType: task.launchType,
    lastStatus: task.lastStatus,
    overrides: { containerOverrides: [{ name: CONTAINER_NAME }] },
    platformVersion: fargate ? '1.4.0' : undefined,
    pullStartedAt: iso(task.pullStartedAt),
    pullStoppedAt: iso(task.pullStoppedAt),
    startedAt: iso(task.startedAt),
    startedBy: task.startedBy,
    taskArn: task.taskArn,
    taskDefinitionArn: task.taskDefinitionArn,
    updatedAt: iso(task.updatedAt),
    version: task.version,
    capacityProviderName: task.capacityProviderName,
    stopCode: task.stopCode,
    stoppedReason: task.stoppedReason,
    stoppingAt: iso(task.stoppingAt),
    executionStoppedAt: iso(task.executionStoppedAt),
    stoppedAt: iso(task.stoppedAt),
  });
  return envelope(context, 'aws.ecs', 'ECS Task State Change', [task.taskArn], detail);
}

export function deploymentStateChangeEvent(
  context: EventContext,
  serviceArn: string,
  deployment: TwinDeployment,
): EventBridgeEnvelope {
  // https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs_service_deployment_events.html
  const eventName = { IN_PROGRESS: 'SERVICE_DEPLOYMENT_IN_PROGRESS', COMPLETED: 'SERVICE_DEPLOYMENT_COMPLETED', FAILED: 'SERVICE_DEPLOYMENT_FAILED' }[deployment.rolloutState];
  return envelope(context, 'aws.ecs', 'ECS Deployment State Change', [serviceArn], {
    eventType: deployment.rolloutState === 'FAILED' ? 'ERROR' : 'INFO',
    eventName,
    deploymentId: deployment.id,
    updatedAt: context.now.toISOString(),
    reason: rolloutReason(deployment),
  });
}

export function rolloutReason(deployment: TwinDeployment): string {
  if (deployment.rolloutStateReason !== undefined) return deployment.rolloutStateReason;
  return `ECS deployment ${deployment.id} ${deployment.rolloutState === 'COMPLETED' ? 'completed' : 'in progress'}.`;
}

export function containerInstanceAttributes(instance: TwinContainerInstance): { name: string; value?: string }[] {
  return [
    { name: 'ecs.os-type', value: 'linux' },
    { name: 'ecs.cpu-architecture', value: 'x86_64' },
    { name: 'ecs.instance-type', value: 'c6i.xlarge' },
    { name: 'ecs.availability-zone', value: availabilityZoneOf(instance.ec2InstanceId, instance.containerInstanceArn.split(':')[3] ?? 'us-east-1') },
    { name: 'ecs.capability.task-eni' },
  ];
}

export const REGISTERED_RESOURCES = [
  { name: 'CPU', type: 'INTEGER', integerValue: 4096 },
  { name: 'MEMORY', type: 'INTEGER', integerValue: 7680 },
];

/** Spreads ids over three zones of us-east-1-like Regions, deterministically. */
export function availabilityZoneOf(id: string, region: string): string {
  const letter = ['a', 'b', 'c'][parseInt(id.slice(-1), 16) % 3] ?? 'a';
  return `${region}${letter}`;
}

export function containerInstanceStateChangeEvent(
  context: EventContext,
  instance: TwinContainerInstance,
  counts: { runningTasksCount: number; pendingTasksCount: number },
): EventBridgeEnvelope {
  return envelope(context, 'aws.ecs', 'ECS Container Instance State Change', [instance.containerInstanceArn], {
    agentConnected: instance.agentConnected,
    attributes: containerInstanceAttributes(instance),
    clusterArn: instance.clusterArn,
    containerInstanceArn: instance.containerInstanceArn,
    ec2InstanceId: instance.ec2InstanceId,
    registeredResources: REGISTERED_RESOURCES,
    remainingResources: REGISTERED_RESOURCES,
    runningTasksCount: counts.runningTasksCount,
    pendingTasksCount: counts.pendingTasksCount,
    status: instance.status,
    version: instance.version,
    versionInfo: AGENT_VERSION_INFO,
    registeredAt: instance.registeredAt.toISOString(),
    updatedAt: instance.updatedAt.toISOString(),
  });
}

export function ec2SpotInterruptionWarningEvent(context: EventContext, ec2InstanceId: string): EventBridgeEnvelope {
  return envelope(
    context,
    'aws.ec2',
    'EC2 Spot Instance Interruption Warning',
    [`arn:aws:ec2:${context.region}:${context.accountId}:instance/${ec2InstanceId}`],
    { 'instance-id': ec2InstanceId, 'instance-action': 'terminate' },
  );
}

export function standaloneGroup(taskDefinitionArn: string): string {
  return `family:${taskDefinitionFamily(taskDefinitionArn)}`;
}
