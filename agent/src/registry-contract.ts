/**
 * The session registry's item contract, shared by the orchestrator (functions/registry/model.ts
 * re-exports it) and the task-side agent. README "How a task integrates: the registry contract"
 * documents the same attributes for tasks written in other languages; keep the two in step.
 *
 * One table, two item kinds under the task's partition:
 *   task item     pk = <task ARN>, sk = "TASK"
 *   session item  pk = <task ARN>, sk = "SESSION#<session id>"
 * Task items also carry the ByCluster index keys (clusterArn, serviceTask); session items do not,
 * so the index holds task items only.
 *
 * This file imports nothing: the agent package builds on its own.
 */

export const TASK_SORT_KEY = 'TASK';
export const SESSION_SORT_PREFIX = 'SESSION#';
export const BY_CLUSTER_INDEX = 'ByCluster';
/** Sort-key value for tasks that belong to no service (standalone RunTask tasks). */
export const NO_SERVICE = '-';

export const TaskStatus = {
  Active: 'ACTIVE',
  Draining: 'DRAINING',
  Stopping: 'STOPPING',
  Stopped: 'STOPPED',
} as const;
export type TaskStatus = (typeof TaskStatus)[keyof typeof TaskStatus];

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
  /** An operator's release-all, or the stack's deletion, stopped the drain and gave the task back to service. */
  Released: 'RELEASED',
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
  /**
   * The drain's wait for the session count to reach zero is armed. Its Step Functions token is
   * kept in the orchestrator's own wait item (pk "WAIT#<executionArn>"), which no task can read.
   */
  waitArmed?: boolean;
  sessionsAtDrainStart?: number;
  drainStartedAt?: number;
  drainControl?: DrainControl;
  drainOutcome?: DrainOutcome;
  /**
   * Set when the orchestrator itself cancelled the drain because its reason is gone (a rollback
   * keeps a deployment's task; a scale-in ECS already satisfied); absent for an operator's cancel.
   */
  cancelledBy?: DrainReason;
  /**
   * ISO-8601 time of the last operator's cancel (DrainControlFunction). An event older than it
   * starts no drain of the task: the stack's rules retry a delivery for up to an hour, and a late
   * duplicate must not undo the operator's decision.
   */
  operatorCancelledAt?: string;
  /** The execution whose outcome the orchestrator has counted (metrics), so a re-delivered stream record counts nothing. */
  outcomeCounted?: string;
  replacementRequested?: boolean;
  protectionState?: ProtectionState;
  /** Epoch seconds at which ECS scale-in protection lapses. */
  protectedUntil?: number;
  /** Epoch seconds at which release-all (an operator's, or the stack's deletion) released the task. */
  releasedAt?: number;
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

/**
 * A conditional write that lost: the item is not in the state the write required. Matched by name
 * as well, because errors that crossed a serialisation boundary (or another SDK copy) lose their class.
 */
/** `#status` stands for the reserved word status in every expression that reads or writes it. */
export const STATUS_NAME = { '#status': 'status' } as const;

/** The task item exists: a write that must not create one (the task registers itself) holds this. */
export const ITEM_EXISTS = 'attribute_exists(pk)';

export function isConditionalCheckFailure(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}
