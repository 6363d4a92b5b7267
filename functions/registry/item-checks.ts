import { z } from 'zod';
import { ClusterArn, TaskArn } from '../events/arns.js';
import { describeIssues } from '../shared/issues.js';
import { DRAIN_REASONS, DrainControl, DrainOutcome, ProtectionState, TASK_SORT_KEY, type TaskItem, TaskStatus } from './model.js';

/*
 * Task items are written by tasks as well as by the orchestrator, and a task's role may update its
 * own item in ways the registry contract does not allow (README "How a task integrates"). Before a
 * handler acts on an item it read, the fields it acts on are checked here; an item that fails is
 * left alone with one log line by the caller, never "repaired" by a guess.
 */

/** Counts and epoch seconds: whole, not negative, and exactly representable (no 1e308, no 2^63). */
export const Count = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
export const EpochSeconds = Count;
/** Step Functions task tokens; 2048 characters is the most SendTaskSuccess takes (older API models said 1024). */
export const TaskToken = z.string().min(1).max(2048);

export const TaskStatusSchema = z.enum([TaskStatus.Active, TaskStatus.Draining, TaskStatus.Stopping, TaskStatus.Stopped]);
export const DrainOutcomeSchema = z.enum(Object.values(DrainOutcome) as [DrainOutcome, ...DrainOutcome[]]);

/** The attributes of a task item every reader relies on; the optional ones are checked when present. */
export const TaskItemSchema = z.object({
  pk: TaskArn,
  sk: z.literal(TASK_SORT_KEY),
  taskArn: TaskArn,
  clusterArn: ClusterArn,
  serviceName: z.string().min(1).optional(),
  sessionCount: Count,
  status: TaskStatusSchema,
  heartbeatAt: EpochSeconds.optional(),
  ecsVersion: Count.optional(),
  drainReason: z.enum(DRAIN_REASONS).optional(),
  drainDeadline: z.string().optional(),
  drainAttempt: Count.optional(),
  executionArn: z.string().min(1).optional(),
  waitArmed: z.boolean().optional(),
  drainStartedAt: EpochSeconds.optional(),
  drainControl: z.enum([DrainControl.Cancel, DrainControl.ForceStop]).optional(),
  drainOutcome: DrainOutcomeSchema.optional(),
  replacementRequested: z.boolean().optional(),
  protectionState: z.enum([ProtectionState.Protected, ProtectionState.Unprotected, ProtectionState.Blocked]).optional(),
  protectedUntil: EpochSeconds.optional(),
});

export type TaskItemCheck = { ok: true; item: TaskItem } | { ok: false; key: string | undefined; reason: string };

/**
 * Whether a task item read from the registry can be acted on. The item is returned as read (not
 * as parsed) so that attributes this schema does not list are kept.
 */
export function checkTaskItem(raw: unknown): TaskItemCheck {
  const pk = (raw as { pk?: unknown } | null | undefined)?.pk;
  const key = typeof pk === 'string' ? pk : undefined;
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return { ok: false, key, reason: 'the item is not an object' };
  const parsed = TaskItemSchema.safeParse(raw);
  if (!parsed.success) return { ok: false, key, reason: describeIssues(parsed.error, { whole: '(item)' }) };
  if (parsed.data.taskArn !== parsed.data.pk) return { ok: false, key, reason: 'taskArn differs from the item key' };
  return { ok: true, item: raw as TaskItem };
}
