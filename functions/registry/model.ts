/**
 * The session registry's item contract. README "Registry contract" documents the same attributes
 * for tasks written in other languages; keep the two in step.
 *
 * One table, two item kinds under the task's partition:
 *   task item     pk = <task ARN>, sk = "TASK"
 *   session item  pk = <task ARN>, sk = "SESSION#<session id>"
 * Task items also carry the ByCluster index keys (clusterArn, serviceTask); session items do not,
 * so the index holds task items only.
 */

export const TASK_SORT_KEY = 'TASK';
export const SESSION_SORT_PREFIX = 'SESSION#';
export const BY_CLUSTER_INDEX = 'ByCluster';
/** Sort-key value for tasks that belong to no service (standalone RunTask tasks). */
export const NO_SERVICE = '-';
/** A stopped task's item stays readable this long (drain history, post-mortems), then TTL removes it. */
export const STOPPED_ITEM_TTL_SECONDS = 24 * 3600;

export const TaskStatus = {
  Active: 'ACTIVE',
  Draining: 'DRAINING',
  Stopping: 'STOPPING',
  Stopped: 'STOPPED',
} as const;
export type TaskStatus = (typeof TaskStatus)[keyof typeof TaskStatus];

/** Order in which a task moves through its life; events never move a task backwards. */
export const STATUS_ORDER: Record<TaskStatus, number> = {
  ACTIVE: 0,
  DRAINING: 1,
  STOPPING: 2,
  STOPPED: 3,
};

export const DrainReason = {
  Deployment: 'DEPLOYMENT',
  ScaleIn: 'SCALE_IN',
  Spot: 'SPOT',
  Instance: 'INSTANCE',
  Manual: 'MANUAL',
} as const;
export type DrainReason = (typeof DrainReason)[keyof typeof DrainReason];
export const DRAIN_REASONS = Object.values(DrainReason) as [DrainReason, ...DrainReason[]];

export const DrainOutcome = {
  Drained: 'DRAINED',
  DeadlineForced: 'DEADLINE_FORCED',
  TaskGone: 'TASK_GONE',
  Cancelled: 'CANCELLED',
  ForceStopped: 'FORCE_STOPPED',
  HeartbeatLost: 'HEARTBEAT_LOST',
} as const;
export type DrainOutcome = (typeof DrainOutcome)[keyof typeof DrainOutcome];

/** A request an operator leaves on a draining task; the workflow acts on it. */
export const DrainControl = {
  Cancel: 'CANCEL',
  ForceStop: 'FORCE_STOP',
} as const;
export type DrainControl = (typeof DrainControl)[keyof typeof DrainControl];

export const ProtectionState = {
  Protected: 'PROTECTED',
  Unprotected: 'UNPROTECTED',
  /** ECS answered DEPLOYMENT_BLOCKED; the reconciler tries again. */
  Blocked: 'BLOCKED',
} as const;
export type ProtectionState = (typeof ProtectionState)[keyof typeof ProtectionState];

/**
 * Error names the workflow's "Wait for sessions to drain" step can end with. They are sent with
 * SendTaskFailure and caught by name in statemachines/drain.asl.json.
 */
export const WaitError = {
  TaskGone: 'TaskGone',
  Cancelled: 'DrainCancelled',
  ForceStop: 'ForceStopRequested',
  HeartbeatLost: 'HeartbeatLost',
} as const;
export type WaitError = (typeof WaitError)[keyof typeof WaitError];

export interface TaskItem {
  pk: string;
  sk: typeof TASK_SORT_KEY;
  taskArn: string;
  clusterArn: string;
  /** `${serviceName}#${taskArn}`, or `-#${taskArn}` for standalone tasks: the ByCluster sort key. */
  serviceTask: string;
  serviceName?: string;
  taskDefinitionArn?: string;
  capacityProviderName?: string;
  containerInstanceArn?: string;
  sessionCount: number;
  status: TaskStatus;
  /** Epoch seconds of the last heartbeat the task wrote. */
  heartbeatAt?: number;
  /** Highest ECS event detail.version applied to this item; older events are ignored. */
  ecsVersion?: number;
  drainReason?: DrainReason;
  /** ISO-8601 time after which the drain force-stops the task. */
  drainDeadline?: string;
  /** Increments with every drain started for this task; part of the execution name. */
  drainAttempt?: number;
  executionArn?: string;
  /** Token of the workflow step waiting for the session count to reach zero. */
  taskToken?: string;
  sessionsAtDrainStart?: number;
  drainStartedAt?: number;
  drainControl?: DrainControl;
  drainOutcome?: DrainOutcome;
  replacementRequested?: boolean;
  protectionState?: ProtectionState;
  /** Epoch seconds at which ECS scale-in protection lapses. */
  protectedUntil?: number;
  /** DynamoDB TTL attribute, epoch seconds. */
  expiresAt?: number;
}

export interface SessionItem {
  pk: string;
  sk: string;
  sessionId: string;
  openedAt: number;
  expiresAt: number;
}

export function taskKey(taskArn: string): { pk: string; sk: typeof TASK_SORT_KEY } {
  return { pk: taskArn, sk: TASK_SORT_KEY };
}

export function sessionKey(taskArn: string, sessionId: string): { pk: string; sk: string } {
  return { pk: taskArn, sk: `${SESSION_SORT_PREFIX}${sessionId}` };
}

export function serviceTaskKey(serviceName: string | undefined, taskArn: string): string {
  return `${serviceName ?? NO_SERVICE}#${taskArn}`;
}

export function epochSeconds(date: Date): number {
  return Math.floor(date.getTime() / 1000);
}

/** The task id is the last segment of both the old (task/<id>) and new (task/<cluster>/<id>) ARN formats. */
export function taskIdOf(taskArn: string): string {
  const id = taskArn.slice(taskArn.lastIndexOf('/') + 1);
  return id;
}

/** "service:my-svc" (task group) or a service ARN -> "my-svc". */
export function serviceNameFromGroup(group: string | undefined): string | undefined {
  if (group === undefined || !group.startsWith('service:')) return undefined;
  const name = group.slice('service:'.length);
  return name === '' ? undefined : name;
}

export function serviceNameFromArn(serviceArn: string): string {
  return serviceArn.slice(serviceArn.lastIndexOf('/') + 1);
}

/** Workflow execution names allow 80 characters of [A-Za-z0-9-_]; task ids are 32 hex characters. */
export function drainExecutionName(taskArn: string, attempt: number): string {
  const safeId = taskIdOf(taskArn).replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 64);
  return `drain-${safeId}-${attempt}`;
}

/**
 * A conditional write that lost: the item is not in the state the write required. Matched by name
 * as well, because errors that crossed a serialisation boundary (or another SDK copy) lose their class.
 */
export function isConditionalCheckFailure(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}
