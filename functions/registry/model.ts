/**
 * The session registry's model on the orchestrator side. The item contract itself (keys, statuses,
 * drain reasons, the task and session item shapes) lives in the task-side agent,
 * agent/src/registry-contract.ts, and is re-exported here: one definition for both sides. README
 * "How a task integrates: the registry contract" documents the same attributes for tasks written
 * in other languages; keep the three in step.
 */

import type { TaskStatus } from '@ecs-session-drain/agent/registry-contract';

export {
  BY_CLUSTER_INDEX,
  DRAIN_REASONS,
  DrainControl,
  DrainOutcome,
  DrainReason,
  epochSeconds,
  isConditionalCheckFailure,
  ITEM_EXISTS,
  NO_SERVICE,
  ProtectionState,
  SESSION_SORT_PREFIX,
  serviceTaskKey,
  sessionKey,
  STATUS_NAME,
  TASK_SORT_KEY,
  taskKey,
  TaskStatus,
} from '@ecs-session-drain/agent/registry-contract';
export type { SessionItem, TaskItem } from '@ecs-session-drain/agent/registry-contract';

/** A stopped task's item stays readable this long (drain history, post-mortems), then TTL removes it. */
export const STOPPED_ITEM_TTL_SECONDS = 24 * 3600;

/** Order in which a task moves through its life; events never move a task backwards. */
export const STATUS_ORDER: Record<TaskStatus, number> = {
  ACTIVE: 0,
  DRAINING: 1,
  STOPPING: 2,
  STOPPED: 3,
};

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
