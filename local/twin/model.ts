import { SeededRandom } from '../random.js';
import { randomInt } from 'node:crypto';
import type { CircuitBreakerSettings } from './circuit-breaker.js';
import type { TaskHealthStatus } from './health.js';
import type { NetworkBinding, TaskNetworkInterface } from './network.js';
import type { DeploymentRevisionConfig } from './rolling-settings.js';
import type { DeploymentControllerType, StrategyConfig, TwinTaskSet } from './strategies/config.js';

/*
 * The twin's state, as plain data. Timestamps are real Dates (the orchestrator and the tasks
 * agree on real time); only the durations the twin enforces are scaled by the clock.
 */

export type TaskLastStatus = 'PROVISIONING' | 'PENDING' | 'RUNNING' | 'DEPROVISIONING' | 'STOPPED';
export type TaskDesiredStatus = 'RUNNING' | 'STOPPED';
export type LaunchType = 'FARGATE' | 'EC2';
export type FargateCapacityProvider = 'FARGATE' | 'FARGATE_SPOT';
export type StopCode = 'UserInitiated' | 'ServiceSchedulerInitiated' | 'SpotInterruption' | 'TerminationNotice' | 'EssentialContainerExited' | 'TaskFailedToStart';
export type SigtermReason = 'StopTask' | 'ServiceScheduler' | 'SpotInterruption' | 'InstanceDraining';
export type KillCause = 'SIGKILL' | 'CRASH' | 'INSTANCE_TERMINATED';

export interface TwinTask {
  taskArn: string;
  taskId: string;
  clusterArn: string;
  serviceName?: string;
  taskDefinitionArn: string;
  /** "service:<name>" for service tasks, "family:<family>" for standalone ones. */
  group: string;
  /** The deployment id (ecs-svc/...) for service tasks, as ECS sets it. */
  startedBy?: string;
  lastStatus: TaskLastStatus;
  /** Container health (health.ts); absent: UNKNOWN. */
  healthStatus?: TaskHealthStatus;
  /** awsvpc tasks (every Fargate task; EC2 tasks of an awsvpc task definition): the elastic network interface (network.ts). */
  networkInterface?: TaskNetworkInterface;
  /** bridge and host mode tasks: the container's ports bound on the instance, from RUNNING on (network.ts). */
  networkBindings?: NetworkBinding[];
  desiredStatus: TaskDesiredStatus;
  capacityProviderName?: FargateCapacityProvider;
  launchType: LaunchType;
  containerInstanceArn?: string;
  protection: { enabled: boolean; expiresAt?: Date };
  /** Bumped on every change that ECS reports in a task state change event. */
  version: number;
  stopCode?: StopCode;
  stoppedReason?: string;
  exitCode?: number;
  createdAt: Date;
  pullStartedAt?: Date;
  pullStoppedAt?: Date;
  startedAt?: Date;
  stoppingAt?: Date;
  executionStoppedAt?: Date;
  stoppedAt?: Date;
  updatedAt: Date;
  deploymentId?: string;
  availabilityZone: string;
}

export interface TwinDeployment {
  id: string;
  status: 'PRIMARY' | 'ACTIVE';
  taskDefinitionArn: string;
  rolloutState: 'IN_PROGRESS' | 'COMPLETED' | 'FAILED';
  /** Set when it differs from "ECS deployment <id> in progress/completed." (circuit breaker, rollback). */
  rolloutStateReason?: string;
  /** Consecutive failed tasks the circuit breaker counted (circuit-breaker.ts). */
  failedTasks?: number;
  /** The revision's settings besides its task definition (rolling-settings.ts). */
  configuration?: DeploymentRevisionConfig;
  /** A rollback deployment: the id of the deployment it rolls back (rollout.ts). */
  rollbackOf?: string;
  createdAt: Date;
  updatedAt: Date;
}

export interface TwinService {
  serviceArn: string;
  serviceName: string;
  clusterArn: string;
  /** DRAINING, then INACTIVE, once DeleteService was called (service-deletion.ts). */
  status: 'ACTIVE' | 'DRAINING' | 'INACTIVE';
  desiredCount: number;
  launchType: LaunchType;
  capacityProvider?: FargateCapacityProvider;
  minimumHealthyPercent: number;
  maximumPercent: number;
  stopTimeoutSeconds: number;
  startupSeconds: number;
  /** Behind a load balancer: scenario seconds of the target group's deregistration delay (absent or 0: none). */
  deregistrationDelaySeconds?: number;
  /** Rolling update settings (rolling-settings.ts); absent: the defaults there. */
  healthCheckSeconds?: number | false;
  targetHealthCheckSeconds?: number;
  healthCheckGracePeriodSeconds?: number;
  deploymentCircuitBreaker?: CircuitBreakerSettings;
  /** The revision settings the next deployment takes (network configuration, load balancers, ...). */
  configuration?: DeploymentRevisionConfig;
  /** PRIMARY first. */
  deployments: TwinDeployment[];
  /** deploymentController.type; absent: ECS. */
  deploymentController?: DeploymentControllerType;
  /** BLUE_GREEN / LINEAR / CANARY (strategies/config.ts); absent: ROLLING. */
  deploymentStrategy?: StrategyConfig;
  /** EXTERNAL and CODE_DEPLOY services: their task sets (strategies/task-sets.ts). */
  taskSets?: TwinTaskSet[];
  createdAt: Date;
}

export interface TwinContainerInstance {
  containerInstanceArn: string;
  clusterArn: string;
  ec2InstanceId: string;
  status: 'ACTIVE' | 'DRAINING' | 'INACTIVE';
  agentConnected: boolean;
  version: number;
  registeredAt: Date;
  updatedAt: Date;
  /** Set by an EC2 Spot interruption warning: the instance terminates at this time. */
  terminatesAt?: Date;
}

export interface TwinCluster {
  clusterArn: string;
  clusterName: string;
}

export interface EventBridgeEnvelope {
  version: '0';
  id: string;
  'detail-type': string;
  source: 'aws.ecs' | 'aws.ec2' | 'aws.autoscaling';
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: Record<string, unknown>;
}

export interface StopInfo {
  reason: SigtermReason;
  killAt: Date;
}

/** A service task leaving its load balancer's target group (see TaskLifecycle.deregisterThenStop). */
export interface DeregistrationInfo {
  reason: SigtermReason;
  /** When the load balancer breaks the connections still open, unless they close before. */
  until: Date;
  /** The app calls this once its last connection closed: the load balancer completes deregistration early. */
  drained: () => void;
}

/** What runs inside the tasks: simulated applications or real processes. */
export interface TaskRuntime {
  started(task: TwinTask): void;
  sigterm(task: TwinTask, info: StopInfo): void;
  killed(task: TwinTask, cause: KillCause): void;
  /** The load balancer stops sending new connections; existing ones go on until `info.until`. */
  deregistering?(task: TwinTask, info: DeregistrationInfo): void;
  /** The deregistration delay ran out: the load balancer broke the connections still open. */
  deregistered?(task: TwinTask): void;
  /**
   * Whether the app answers its health checks now (the container's command, the target group's
   * request): a check that comes before the app serves fails and is tried again an interval later.
   * Absent: every check passes at its time.
   */
  answersHealthChecks?(task: TwinTask): boolean;
}

export interface ThrottlingOptions {
  /** Token bucket per API operation, in real time. */
  ratePerSecond: number;
  burst: number;
  /** Share (0..1) of calls that fail with ServerException (500), drawn from the seeded generator. */
  errorRate?: number;
}

export type TwinChange =
  | { kind: 'task'; task: TwinTask; previous?: { lastStatus: TaskLastStatus; desiredStatus: TaskDesiredStatus } }
  | { kind: 'deployment'; serviceArn: string; deploymentId: string; rolloutState: TwinDeployment['rolloutState'] }
  | { kind: 'container-instance'; instance: TwinContainerInstance };

export interface TwinServiceSnapshot extends Omit<TwinService, 'deployments'> {
  runningCount: number;
  pendingCount: number;
  deployments: (TwinDeployment & { desiredCount: number; runningCount: number; pendingCount: number })[];
}

export interface TwinSnapshot {
  clusters: TwinCluster[];
  services: TwinServiceSnapshot[];
  tasks: TwinTask[];
  containerInstances: TwinContainerInstance[];
  apiCalls: Record<string, number>;
  throttled: Record<string, number>;
  serverErrors: Record<string, number>;
}

export const FARGATE_MAX_STOP_TIMEOUT_SECONDS = 120;
/** Fargate Spot and EC2 Spot both give two minutes between the warning and the end. */
export const SPOT_WARNING_SECONDS = 120;
export const PROTECTION_DEFAULT_MINUTES = 120;
export const PROTECTION_MAX_MINUTES = 2880;

export function copyTask(task: TwinTask): TwinTask {
  return { ...task, protection: { ...task.protection } };
}

export function isProtected(task: TwinTask, now: Date): boolean {
  return task.protection.enabled && (task.protection.expiresAt === undefined || task.protection.expiresAt > now);
}

/** Counts toward the service: the scheduler still wants it (PROVISIONING, PENDING or RUNNING). */
export function isInService(task: TwinTask): boolean {
  return task.desiredStatus === 'RUNNING' && task.lastStatus !== 'STOPPED';
}

export function isPendingStatus(status: TaskLastStatus): boolean {
  return status === 'PROVISIONING' || status === 'PENDING';
}

export function taskDefinitionFamily(taskDefinitionArn: string): string {
  const resource = taskDefinitionArn.split(':').slice(5).join(':');
  return (resource.startsWith('task-definition/') ? resource.slice('task-definition/'.length) : resource).split(':')[0] ?? '';
}

export const TASK_DEFINITION_ARN = /^arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:task-definition\/[A-Za-z0-9_-]{1,255}:\d+$/;

/** Seeded ids, so that a scenario run with a seed names its tasks the same way every time. */
export class IdSource extends SeededRandom {
  constructor(seed?: number) {
    super(seed ?? randomInt(2 ** 31));
  }

  ec2InstanceId(): string {
    return `i-${this.hex(17)}`;
  }
}

