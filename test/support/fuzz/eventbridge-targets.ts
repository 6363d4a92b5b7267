import { createHandler as containerInstanceDraining } from '../../../functions/handlers/container-instance-draining.js';
import { createHandler as deploymentEvent } from '../../../functions/handlers/deployment-event.js';
import { createHandler as deploymentHook } from '../../../functions/handlers/deployment-hook.js';
import { createHandler as lifecycleTerminate } from '../../../functions/handlers/lifecycle-terminate.js';
import { createHandler as scheduledMaintenance } from '../../../functions/handlers/scheduled-maintenance.js';
import { createHandler as paceDeployment } from '../../../functions/handlers/deployment-pacer.js';
import { createHandler as rebalanceRecommendation } from '../../../functions/handlers/rebalance-recommendation.js';
import { createHandler as spotInterruption } from '../../../functions/handlers/spot-interruption.js';
import { createHandler as taskStopped } from '../../../functions/handlers/task-stopped.js';
import { parseTerminateLifecycleAction } from '../../../functions/events/autoscaling.js';
import { parseRebalanceRecommendation } from '../../../functions/events/ec2.js';
import { parseScheduledMaintenance } from '../../../functions/events/health.js';
import {
  parseContainerInstanceDraining,
  parseDeploymentEvent,
  parsePauseHookAwaiting,
  parseServiceTaskRunning,
  parseTaskStopped,
} from '../../../functions/events/ecs.js';
import type { ParseResult } from '../../../functions/events/parse.js';
import { parseSpotWarning } from '../../../functions/events/spot.js';
import type { Deps } from '../../../functions/shared/deps.js';
import type { HandlerOutcome } from '../../../functions/shared/handler-kit.js';
import {
  containerInstanceEffect,
  deploymentEventEffect,
  type EffectOracle,
  lifecycleTerminateEffect,
  scheduledMaintenanceEffect,
  pauseHookEffect,
  rebalanceEffect,
  serviceTaskRunningEffect,
  spotWarningEffect,
  taskStoppedEffect,
} from './effects.js';
import { loadSample } from './foreign-events.js';
import type { RequiredField } from './invalid-fields.js';

/*
 * The EventBridge handlers, each with its parser (the oracle for arbitrary input), its valid
 * samples from events/, and the fields of each sample that the AWS event shape requires.
 */

export interface Sample {
  name: string;
  event: unknown;
  required: RequiredField[];
  /** Paths noise must not touch although they are not broken on purpose (they decide whether the input is looked at at all). */
  keep?: RequiredField['path'][];
}

export interface EventBridgeTarget {
  name: string;
  createHandler: (getDeps: () => Deps) => (event: unknown) => Promise<HandlerOutcome<unknown>>;
  parse: (raw: unknown) => ParseResult<unknown>;
  samples: Sample[];
  /** What an accepted event must make the handler do, judged from the raw event (effects.ts). */
  effect: EffectOracle;
  /**
   * Inputs meant for another trigger of the same function (the pacer's DynamoDB stream batches),
   * which that trigger's own properties judge; every other input is held to the EventBridge contract.
   */
  otherTrigger?: (event: unknown) => boolean;
}

/** A batch of DynamoDB stream records: a Records array whose every record comes from aws:dynamodb. */
export function isDynamoDbStreamBatch(event: unknown): boolean {
  const records = (event as { Records?: unknown } | null | undefined)?.Records;
  return (
    Array.isArray(records) &&
    records.length > 0 &&
    records.every((record) => (record as { eventSource?: unknown } | null | undefined)?.eventSource === 'aws:dynamodb')
  );
}

const OPTIONAL_STRING = { kind: 'string' } as const;

/**
 * What every handler needs of the envelope: which event it is, and its detail. A handler requires
 * only the fields it uses (issue 12: AWS's own samples leave out time, region, detail.version);
 * `time`, where used, falls back to the receipt when it is absent or no date, so it is not listed.
 */
function envelope(source: string, detailType: string): RequiredField[] {
  return [
    { path: [], field: { kind: 'object' } },
    { path: ['id'], field: { kind: 'string' }, optional: true },
    { path: ['detail'], field: { kind: 'object' } },
    { path: ['source'], field: { kind: 'literal', values: [source] } },
    { path: ['detail-type'], field: { kind: 'literal', values: [detailType] } },
  ];
}

function optionalStrings(...names: string[]): RequiredField[] {
  return names.map((name) => ({ path: ['detail', name], field: OPTIONAL_STRING, optional: true }));
}

function sample(name: string, required: RequiredField[]): Sample {
  return { name, event: loadSample(name), required };
}

const TASK_ARN = 'arn:aws:ecs:us-east-1:111122223333:task/sessions/0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c';
const CLUSTER_ARN = 'arn:aws:ecs:us-east-1:111122223333:cluster/sessions';
const INSTANCE_ARN = 'arn:aws:ecs:us-east-1:111122223333:container-instance/sessions/6d7a2f1e9c8b4a3d2e1f0a9b8c7d6e5f';
const SERVICE_ARN = 'arn:aws:ecs:us-east-1:111122223333:service/sessions/chat-gateway';
const SERVICE_DEPLOYMENT_ARN = 'arn:aws:ecs:us-east-1:111122223333:service-deployment/sessions/chat-gateway/EZe5RNVLH6PPzHXINuP28';

const taskStateFields = (lastStatus: RequiredField['field'], desiredStatus: RequiredField['field'], version: 'required' | 'optional' = 'optional'): RequiredField[] => [
  ...envelope('aws.ecs', 'ECS Task State Change'),
  { path: ['detail', 'clusterArn'], field: { kind: 'arn', sample: CLUSTER_ARN, ecsResource: true } },
  { path: ['detail', 'taskArn'], field: { kind: 'arn', sample: TASK_ARN, ecsResource: true } },
  { path: ['detail', 'lastStatus'], field: lastStatus },
  { path: ['detail', 'desiredStatus'], field: desiredStatus },
  // Only the stop handler orders events by it; the others take it when it is valid.
  { path: ['detail', 'version'], field: { kind: 'int', min: 0 }, ...(version === 'optional' ? { optional: true } : {}) },
  ...optionalStrings('group', 'taskDefinitionArn', 'containerInstanceArn', 'launchType', 'stopCode', 'stoppedReason', 'stoppingAt', 'stoppedAt', 'updatedAt'),
];

const fargateSpotFields: RequiredField[] = [
  ...taskStateFields({ kind: 'string', nonEmpty: true }, { kind: 'literal', values: ['STOPPED'] }),
  // Present and not FARGATE_SPOT: a scale-in of a FARGATE task, never a Spot warning.
  { path: ['detail', 'capacityProviderName'], field: { kind: 'literal', values: ['FARGATE_SPOT'] }, optional: true },
];

/** A service's task RUNNING towards RUNNING: its group must name the service ("service:<name>"). */
const serviceTaskRunningFields: RequiredField[] = [
  ...taskStateFields({ kind: 'literal', values: ['RUNNING'] }, { kind: 'literal', values: ['RUNNING'] }).filter((field) => field.path.join('.') !== 'detail.group'),
  {
    path: ['detail', 'group'],
    field: { kind: 'one-of-these', values: [null, 7, '', 'service:', 'family:chat-gateway', 'SERVICE:chat-gateway', ['service:chat-gateway'], { service: 'chat-gateway' }] },
  },
];

const ec2InstanceField: RequiredField = { path: ['detail', 'instance-id'], field: { kind: 'ec2-instance-id' } };

export const EVENTBRIDGE_TARGETS: EventBridgeTarget[] = [
  {
    name: 'deployment-event',
    effect: deploymentEventEffect,
    createHandler: deploymentEvent,
    parse: parseDeploymentEvent,
    samples: [
      sample('deployment-in-progress.json', [
        ...envelope('aws.ecs', 'ECS Deployment State Change'),
        { path: ['resources'], field: { kind: 'array', minItems: 1 } },
        { path: ['resources', 0], field: { kind: 'arn', sample: SERVICE_ARN, ecsResource: true } },
        { path: ['detail', 'eventName'], field: { kind: 'string', nonEmpty: true } },
        { path: ['detail', 'deploymentId'], field: { kind: 'string', nonEmpty: true } },
        ...optionalStrings('eventType', 'updatedAt', 'reason'),
      ]),
    ],
  },
  {
    name: 'deployment-pacer',
    effect: serviceTaskRunningEffect,
    // The pacer also takes DynamoDB stream batches; as an EventBridge target it must behave like every other.
    createHandler: paceDeployment as EventBridgeTarget['createHandler'],
    parse: parseServiceTaskRunning,
    samples: [sample('task-running.json', serviceTaskRunningFields)],
    otherTrigger: isDynamoDbStreamBatch,
  },
  {
    name: 'deployment-hook',
    effect: pauseHookEffect,
    createHandler: deploymentHook,
    parse: parsePauseHookAwaiting,
    samples: [
      sample('hook-awaiting-action.json', [
        ...envelope('aws.ecs', 'ECS Hook State Change'),
        { path: ['detail', 'eventName'], field: { kind: 'literal', values: ['HOOK_AWAITING_ACTION'] } },
        { path: ['detail', 'hookId'], field: { kind: 'string', nonEmpty: true } },
        { path: ['detail', 'lifecycleStage'], field: { kind: 'literal', values: ['POST_PRODUCTION_TRAFFIC_SHIFT'] } },
        { path: ['detail', 'clusterArn'], field: { kind: 'arn', sample: CLUSTER_ARN, ecsResource: true } },
        { path: ['detail', 'serviceArn'], field: { kind: 'arn', sample: SERVICE_ARN, ecsResource: true } },
        { path: ['detail', 'serviceDeploymentArn'], field: { kind: 'arn', sample: SERVICE_DEPLOYMENT_ARN, ecsResource: true } },
        ...optionalStrings('hookType', 'expiresAt'),
      ]),
    ],
  },
  {
    name: 'spot-interruption',
    effect: spotWarningEffect,
    createHandler: spotInterruption,
    parse: parseSpotWarning,
    samples: [
      sample('fargate-spot-warning-spot-interruption.json', fargateSpotFields),
      sample('fargate-spot-warning-termination-notice.json', fargateSpotFields),
      sample('fargate-spot-warning-no-stop-code.json', fargateSpotFields),
      sample('ec2-spot-interruption-warning.json', [
        ...envelope('aws.ec2', 'EC2 Spot Instance Interruption Warning'),
        ec2InstanceField,
        // Any string: every action takes the tasks away, and AWS's sample has the placeholder "action".
        { path: ['detail', 'instance-action'], field: { kind: 'string' }, optional: true },
      ]),
    ],
  },
  {
    name: 'rebalance-recommendation',
    effect: rebalanceEffect,
    createHandler: rebalanceRecommendation,
    parse: parseRebalanceRecommendation,
    samples: [sample('ec2-rebalance-recommendation.json', [...envelope('aws.ec2', 'EC2 Instance Rebalance Recommendation'), ec2InstanceField])],
  },
  {
    name: 'lifecycle-terminate',
    effect: lifecycleTerminateEffect,
    createHandler: lifecycleTerminate,
    parse: parseTerminateLifecycleAction,
    samples: [
      sample('autoscaling-terminate-lifecycle-action.json', [
        ...envelope('aws.autoscaling', 'EC2 Instance-terminate Lifecycle Action'),
        { path: ['detail', 'LifecycleActionToken'], field: { kind: 'string', nonEmpty: true } },
        { path: ['detail', 'AutoScalingGroupName'], field: { kind: 'string', nonEmpty: true } },
        { path: ['detail', 'LifecycleHookName'], field: { kind: 'string', nonEmpty: true } },
        { path: ['detail', 'EC2InstanceId'], field: { kind: 'ec2-instance-id' } },
        { path: ['detail', 'LifecycleTransition'], field: { kind: 'literal', values: ['autoscaling:EC2_INSTANCE_TERMINATING'] } },
        ...optionalStrings('Origin', 'Destination'),
      ]),
    ],
  },
  {
    name: 'scheduled-maintenance',
    effect: scheduledMaintenanceEffect,
    createHandler: scheduledMaintenance,
    parse: parseScheduledMaintenance,
    samples: [
      sample('ec2-scheduled-instance-retirement.json', [
        ...envelope('aws.health', 'AWS Health Event'),
        { path: ['detail', 'service'], field: { kind: 'literal', values: ['EC2'] } },
        { path: ['detail', 'eventTypeCategory'], field: { kind: 'literal', values: ['scheduledChange'] } },
        { path: ['detail', 'eventTypeCode'], field: { kind: 'literal', values: ['AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED'] } },
        { path: ['detail', 'startTime'], field: { kind: 'string', nonEmpty: true } },
        ...optionalStrings('eventArn'),
      ]),
    ],
  },
  {
    name: 'container-instance-draining',
    effect: containerInstanceEffect,
    createHandler: containerInstanceDraining,
    parse: parseContainerInstanceDraining,
    samples: [
      sample('container-instance-draining.json', [
        ...envelope('aws.ecs', 'ECS Container Instance State Change'),
        { path: ['detail', 'clusterArn'], field: { kind: 'arn', sample: CLUSTER_ARN, ecsResource: true } },
        { path: ['detail', 'containerInstanceArn'], field: { kind: 'arn', sample: INSTANCE_ARN, ecsResource: true } },
        { path: ['detail', 'status'], field: { kind: 'literal', values: ['DRAINING'] } },
        { path: ['detail', 'version'], field: { kind: 'int', min: 0 }, optional: true },
        ...optionalStrings('ec2InstanceId', 'updatedAt'),
      ]),
    ],
  },
  {
    name: 'task-stopped',
    effect: taskStoppedEffect,
    createHandler: taskStopped,
    parse: parseTaskStopped,
    samples: [
      sample('task-stopped.json', taskStateFields({ kind: 'literal', values: ['STOPPED'] }, { kind: 'string', nonEmpty: true }, 'required')),
    ],
  },
];
