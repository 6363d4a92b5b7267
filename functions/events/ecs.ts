import { z } from 'zod';
import { clusterArnOfService, ClusterArn, ContainerInstanceArn, ServiceArn, TaskArn } from './arns.js';
import { envelopeSchema, eventTime } from './envelope.js';
import { accepted, type ParseResult, rejected, safeParse } from './parse.js';
import { definedOnly } from '../shared/optional.js';

/*
 * ECS events as EventBridge delivers them. Only the fields the orchestrator acts on are
 * required; everything else is optional or ignored, so that AWS adding fields breaks nothing.
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs_cwe_events.html
 */

const EcsVersion = z.number().int().nonnegative();

export const DeploymentStateChangeSchema = envelopeSchema(
  'aws.ecs',
  'ECS Deployment State Change',
  z.object({
    eventType: z.string().optional(),
    eventName: z.string().min(1),
    deploymentId: z.string().min(1),
    updatedAt: z.string().optional(),
    reason: z.string().optional(),
  }),
).extend({ resources: z.array(ServiceArn).min(1, 'no service ARN in resources') });

export interface DeploymentEvent {
  eventName: string;
  deploymentId: string;
  serviceArn: string;
  clusterArn: string;
  /** ECS's reason text; rollbacks say so here ("... rolling back to ..."). */
  reason?: string;
  time?: Date;
}

export function parseDeploymentEvent(raw: unknown): ParseResult<DeploymentEvent> {
  const parsed = safeParse(DeploymentStateChangeSchema, raw, 'ECS Deployment State Change');
  if (!parsed.ok) return parsed;
  const event = parsed.event;
  const serviceArn = event.resources[0] as string;
  const clusterArn = clusterArnOfService(serviceArn);
  if (clusterArn === undefined) {
    return rejected(`ECS Deployment State Change: service ARN "${serviceArn}" does not name its cluster (short ARN format)`);
  }
  return accepted({
    eventName: event.detail.eventName,
    deploymentId: event.detail.deploymentId,
    serviceArn,
    clusterArn,
    ...definedOnly({ reason: event.detail.reason }),
    ...optionalTime(event.time),
  });
}

/** `{ time }` when the event tells a valid one, else nothing. */
function optionalTime(raw: unknown): { time?: Date } {
  const time = eventTime(raw);
  return time === undefined ? {} : { time };
}

export const TaskStateChangeSchema = envelopeSchema(
  'aws.ecs',
  'ECS Task State Change',
  z.object({
    clusterArn: ClusterArn,
    taskArn: TaskArn,
    lastStatus: z.string().min(1),
    desiredStatus: z.string().min(1),
    // Only TaskStoppedFunction orders events by it (parseTaskStopped requires it); AWS's Fargate Spot sample has none.
    version: EcsVersion.optional(),
    group: z.string().optional(),
    taskDefinitionArn: z.string().optional(),
    containerInstanceArn: z.string().optional(),
    capacityProviderName: z.string().optional(),
    launchType: z.string().optional(),
    stopCode: z.string().optional(),
    stoppedReason: z.string().optional(),
    stoppingAt: z.string().optional(),
    stoppedAt: z.string().optional(),
    updatedAt: z.string().optional(),
    healthStatus: z.string().optional(),
  }),
);

export type TaskStateChange = z.output<typeof TaskStateChangeSchema>;
export type TaskStateDetail = TaskStateChange['detail'];

export function parseTaskStateChange(raw: unknown): ParseResult<TaskStateChange> {
  return safeParse(TaskStateChangeSchema, raw, 'ECS Task State Change');
}

export type TaskStopped = TaskStateChange & { detail: { version: number } };

/**
 * The task has stopped for good: the registry item can be closed. detail.version orders the event
 * against the ones the item already applied, so a stop without it cannot be applied safely.
 */
export function parseTaskStopped(raw: unknown): ParseResult<TaskStopped> {
  const parsed = parseTaskStateChange(raw);
  if (!parsed.ok) return parsed;
  const { detail } = parsed.event;
  if (detail.lastStatus !== 'STOPPED') return rejected(`ECS Task State Change: lastStatus is ${detail.lastStatus}, not STOPPED`);
  if (detail.version === undefined) return rejected('ECS Task State Change: detail.version is missing, so the stop cannot be ordered against newer events');
  return accepted({ ...parsed.event, detail: { ...detail, version: detail.version } });
}

const SPOT_STOPPED_REASON = /spot task was interrupted/i;
/** Stop codes that name some other cause; a task stopped for one of them is never a Spot warning. */
const NON_SPOT_STOP_CODES = new Set(['TaskFailedToStart', 'EssentialContainerExited', 'UserInitiated', 'ServiceSchedulerInitiated']);

/**
 * Fargate announces a Spot interruption as a task state change towards STOPPED while the task
 * still runs, two minutes ahead. The signals vary between AWS's documents and real events:
 * stopCode "SpotInterruption" (current docs), "TerminationNotice" (AWS's sample) or none at all;
 * capacityProviderName FARGATE_SPOT in real events, absent in AWS's trimmed sample; the
 * stoppedReason text is the one constant. A scale-in or a user stop must never pass, even if a
 * rule routes it here.
 */
export function spotWarningVerdict(detail: TaskStateDetail): { spot: true } | { spot: false; reason: string } {
  if (detail.desiredStatus !== 'STOPPED') return { spot: false, reason: `desiredStatus is ${detail.desiredStatus}, not STOPPED` };
  if (detail.lastStatus === 'STOPPED') return { spot: false, reason: 'the task has already stopped' };
  if (detail.capacityProviderName !== undefined && detail.capacityProviderName !== 'FARGATE_SPOT') {
    return { spot: false, reason: `capacityProviderName is ${detail.capacityProviderName}, not FARGATE_SPOT` };
  }
  if (detail.stopCode !== undefined && NON_SPOT_STOP_CODES.has(detail.stopCode)) {
    return { spot: false, reason: `stopCode ${detail.stopCode} is not a Spot interruption` };
  }
  const reasonSaysSpot = detail.stoppedReason !== undefined && SPOT_STOPPED_REASON.test(detail.stoppedReason);
  // On FARGATE_SPOT, a stop that ECS gives no code and no reason at all is the bare warning;
  // every other stop (scale-in, user, failed container) comes with a code or a reason.
  const bareSpotWarning = detail.stopCode === undefined && detail.stoppedReason === undefined;
  const codeSaysSpot =
    detail.stopCode === 'SpotInterruption' ||
    (detail.capacityProviderName === 'FARGATE_SPOT' && (detail.stopCode === 'TerminationNotice' || bareSpotWarning));
  if (!reasonSaysSpot && !codeSaysSpot) {
    return { spot: false, reason: `not a Spot interruption (stopCode ${detail.stopCode ?? 'absent'}, stoppedReason "${detail.stoppedReason ?? ''}")` };
  }
  return { spot: true };
}

export interface FargateSpotWarning {
  kind: 'fargate-spot';
  clusterArn: string;
  taskArn: string;
  group?: string;
  /** When ECS warned; undefined when the event does not say (AWS's sample): the handler counts from its receipt. */
  time?: Date;
}

export function parseFargateSpotWarning(raw: unknown): ParseResult<FargateSpotWarning> {
  const parsed = parseTaskStateChange(raw);
  if (!parsed.ok) return parsed;
  const { detail, time } = parsed.event;
  const verdict = spotWarningVerdict(detail);
  if (!verdict.spot) return rejected(`ECS Task State Change: ${verdict.reason}`);
  return accepted({
    kind: 'fargate-spot',
    clusterArn: detail.clusterArn,
    taskArn: detail.taskArn,
    ...definedOnly({ group: detail.group }),
    ...optionalTime(time),
  });
}

export const ContainerInstanceStateChangeSchema = envelopeSchema(
  'aws.ecs',
  'ECS Container Instance State Change',
  z.object({
    clusterArn: ClusterArn,
    containerInstanceArn: ContainerInstanceArn,
    ec2InstanceId: z.string().optional(),
    status: z.string().min(1),
    // Unused: DescribeContainerInstances, not the event, decides whether the instance still drains.
    version: EcsVersion.optional(),
    agentConnected: z.boolean().optional(),
    updatedAt: z.string().optional(),
  }),
);

export interface ContainerInstanceDraining {
  clusterArn: string;
  containerInstanceArn: string;
  ec2InstanceId?: string;
  time?: Date;
}

export function parseContainerInstanceDraining(raw: unknown): ParseResult<ContainerInstanceDraining> {
  const parsed = safeParse(ContainerInstanceStateChangeSchema, raw, 'ECS Container Instance State Change');
  if (!parsed.ok) return parsed;
  const { detail, time } = parsed.event;
  if (detail.status !== 'DRAINING') {
    return rejected(`ECS Container Instance State Change: status is ${detail.status}, not DRAINING`);
  }
  return accepted({
    clusterArn: detail.clusterArn,
    containerInstanceArn: detail.containerInstanceArn,
    ...definedOnly({ ec2InstanceId: detail.ec2InstanceId }),
    ...optionalTime(time),
  });
}

export interface ServiceTaskRunning {
  clusterArn: string;
  serviceName: string;
  taskArn: string;
  healthStatus?: string;
}

/**
 * A service's task is RUNNING (just started, or its health status changed): the service may now
 * spare one of the tasks a deployment is replacing. Tasks outside a service are not paced.
 */
export function parseServiceTaskRunning(raw: unknown): ParseResult<ServiceTaskRunning> {
  const parsed = parseTaskStateChange(raw);
  if (!parsed.ok) return parsed;
  const { detail } = parsed.event;
  if (detail.lastStatus !== 'RUNNING' || detail.desiredStatus !== 'RUNNING') {
    return rejected(`ECS Task State Change: the task is ${detail.lastStatus} towards ${detail.desiredStatus}, not RUNNING`);
  }
  const serviceName = detail.group?.startsWith('service:') ? detail.group.slice('service:'.length) : '';
  if (serviceName === '') return rejected(`ECS Task State Change: group "${detail.group ?? ''}" is not a service's`);
  const { healthStatus } = detail;
  return accepted({
    clusterArn: detail.clusterArn,
    serviceName,
    taskArn: detail.taskArn,
    ...definedOnly({ healthStatus }),
  });
}

export const HookStateChangeSchema = envelopeSchema(
  'aws.ecs',
  'ECS Hook State Change',
  z.object({
    eventName: z.string().min(1),
    hookId: z.string().min(1).max(256),
    hookType: z.string().optional(),
    lifecycleStage: z.string().min(1),
    clusterArn: ClusterArn,
    serviceArn: ServiceArn,
    serviceDeploymentArn: z.string().regex(/^arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:service-deployment\/[A-Za-z0-9_-]+\/[A-Za-z0-9_-]+\/[A-Za-z0-9_-]+$/, 'must be a service deployment ARN'),
    expiresAt: z.string().optional(),
  }),
);

export interface PauseHookAwaiting {
  hookId: string;
  /** When ECS began to wait; an operator's later cancel of a blue task's drain wins over it. */
  time?: Date;
  lifecycleStage: string;
  clusterArn: string;
  serviceArn: string;
  serviceDeploymentArn: string;
}

/** The stage at which a blue/green, linear or canary deployment's blue tasks carry no production traffic any more. */
export const DRAIN_STAGE = 'POST_PRODUCTION_TRAFFIC_SHIFT';

/**
 * A pause lifecycle hook waits (pause-lifecycle-hooks.html): ECS holds the deployment until
 * ContinueServiceDeployment names this hookId, or the hook times out.
 */
export function parsePauseHookAwaiting(raw: unknown): ParseResult<PauseHookAwaiting> {
  const parsed = safeParse(HookStateChangeSchema, raw, 'ECS Hook State Change');
  if (!parsed.ok) return parsed;
  const { detail } = parsed.event;
  if (detail.eventName !== 'HOOK_AWAITING_ACTION') return rejected(`ECS Hook State Change: ${detail.eventName} needs no action (only HOOK_AWAITING_ACTION)`);
  if (detail.lifecycleStage !== DRAIN_STAGE) {
    return rejected(`ECS Hook State Change: the hook pauses ${detail.lifecycleStage}; blue tasks are drained at ${DRAIN_STAGE}`);
  }
  if (clusterArnOfService(detail.serviceArn) !== detail.clusterArn) {
    return rejected(`ECS Hook State Change: service ${detail.serviceArn} is not in cluster ${detail.clusterArn}`);
  }
  return accepted({
    hookId: detail.hookId,
    ...optionalTime(parsed.event.time),
    lifecycleStage: detail.lifecycleStage,
    clusterArn: detail.clusterArn,
    serviceArn: detail.serviceArn,
    serviceDeploymentArn: detail.serviceDeploymentArn,
  });
}
