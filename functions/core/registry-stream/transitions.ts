import { DynamoDBStreamChangeRecord } from '@aws-lambda-powertools/parser/schemas/dynamodb';
import { z } from 'zod';
import { ClusterArn, TaskArn } from '../../events/arns.js';
import { Count, DrainOutcomeSchema, EpochSeconds, TaskStatusSchema } from '../../registry/item-checks.js';
import { DrainOutcome, TASK_SORT_KEY, TaskStatus } from '../../registry/model.js';
import { describeIssues } from '../../shared/issues.js';
import { definedOnly } from '../../shared/optional.js';

/**
 * Pure decisions of the registry stream handler: from one change record's old and new task
 * images, what the orchestrator must do. No SDK, no I/O, so every rule is tested on its own.
 *
 * Decisions are edge-triggered (the condition holds in the new image and did not in the old one),
 * because the orchestrator's own writes (protectionState, protectedUntil, heartbeats) also reach
 * the stream: a write that changes neither the session count nor the status decides nothing,
 * which is what keeps the protection writes from calling ECS again in a loop.
 */

/**
 * The task-item attributes the decisions read; everything else on the item is ignored. A task can
 * write its own item, so an image that breaks the contract (a negative or missing count, an
 * unknown status, a number no JavaScript number holds) is refused here rather than acted on: a
 * count of -1 on a DRAINING task would otherwise complete its drain with sessions still open.
 */
const TaskImageSchema = z.object({
  pk: TaskArn,
  sk: z.literal(TASK_SORT_KEY),
  clusterArn: ClusterArn.optional(),
  serviceName: z.string().min(1).optional(),
  status: TaskStatusSchema,
  sessionCount: Count,
  waitArmed: z.boolean().optional(),
  drainOutcome: DrainOutcomeSchema.optional(),
  drainStartedAt: EpochSeconds.optional(),
  executionArn: z.string().min(1).optional(),
});
export type TaskImage = z.infer<typeof TaskImageSchema>;

export interface ChangeRecord {
  sequenceNumber: string;
  /** The item's partition key: records of one item must be handled in order. */
  itemKey: string;
  oldImage?: TaskImage;
  newImage?: TaskImage;
}

export type StreamAction =
  | { kind: 'complete-drain'; taskArn: string; executionArn: string }
  | { kind: 'fail-wait-task-gone'; taskArn: string; executionArn: string }
  | { kind: 'protection'; clusterArn: string; taskArn: string; enabled: boolean }
  | { kind: 'drain-finished'; taskArn: string; outcome: DrainOutcome; executionArn?: string; drainStartedAt?: number };

export type ParsedImage = { kind: 'task'; image: TaskImage } | { kind: 'other' } | { kind: 'invalid'; reason: string };

/** Session items (and anything that is not a task item) are not the stream handler's business. */
export function parseTaskImage(image: Record<string, unknown> | undefined): ParsedImage | undefined {
  if (image === undefined) return undefined;
  if (image.sk !== TASK_SORT_KEY) return { kind: 'other' };
  const parsed = TaskImageSchema.safeParse(image);
  if (!parsed.success) {
    return { kind: 'invalid', reason: describeIssues(parsed.error, { limit: Number.POSITIVE_INFINITY }) };
  }
  return { kind: 'task', image: parsed.data };
}

type ArmedImage = TaskImage & { executionArn: string; waitArmed: true };

/**
 * The wait's token is not on the item (registry/tasks/waits.ts): an armed item names the drain
 * execution whose wait item holds it, and batch.ts completes the wait only if that wait item is
 * this task's.
 */
function isArmed(image: TaskImage | undefined): image is ArmedImage {
  return image !== undefined && image.waitArmed === true && image.executionArn !== undefined;
}

function isDrainComplete(image: TaskImage | undefined): image is ArmedImage {
  return isArmed(image) && image.status === TaskStatus.Draining && image.sessionCount <= 0;
}

function isGoneWhileWaiting(image: TaskImage | undefined): image is ArmedImage {
  return isArmed(image) && image.status === TaskStatus.Stopped;
}

/** Whether the decision held already for the same drain, i.e. this record only repeats it. */
function sameEdge(holds: (image: TaskImage | undefined) => boolean, oldImage: TaskImage | undefined, newImage: ArmedImage): boolean {
  return holds(oldImage) && oldImage?.executionArn === newImage.executionArn;
}

/**
 * Protection follows the session count of ACTIVE service tasks: 0 -> 1+ protects, 1+ -> 0
 * unprotects. A task that returns to ACTIVE (a cancelled drain) is brought in line with its
 * count, since a DRAINING task keeps whatever protection it had; except a task release-all gave
 * back (drainOutcome RELEASED), whose protection it turned off on purpose: its next first session
 * protects it again. DRAINING and later statuses decide nothing: the workflow's stop step releases
 * protection.
 */
export function protectionChange(oldImage: TaskImage | undefined, newImage: TaskImage | undefined): boolean | undefined {
  if (newImage === undefined || newImage.status !== TaskStatus.Active) return undefined;
  if (newImage.serviceName === undefined || newImage.clusterArn === undefined) return undefined;
  const hasSessions = newImage.sessionCount >= 1;
  if (oldImage === undefined) return hasSessions ? true : undefined;
  const hadSessions = oldImage.sessionCount >= 1;
  if (oldImage.status !== TaskStatus.Active) return newImage.drainOutcome === DrainOutcome.Released ? undefined : hasSessions;
  if (hasSessions === hadSessions) return undefined;
  return hasSessions;
}

export function decideActions(record: Pick<ChangeRecord, 'oldImage' | 'newImage'>): StreamAction[] {
  const { oldImage, newImage } = record;
  const actions: StreamAction[] = [];
  if (newImage === undefined) return actions;
  const taskArn = newImage.pk;
  if (isDrainComplete(newImage) && !sameEdge(isDrainComplete, oldImage, newImage)) {
    actions.push({ kind: 'complete-drain', taskArn, executionArn: newImage.executionArn });
  }
  if (isGoneWhileWaiting(newImage) && !sameEdge(isGoneWhileWaiting, oldImage, newImage)) {
    actions.push({ kind: 'fail-wait-task-gone', taskArn, executionArn: newImage.executionArn });
  }
  // "Record drain" removes drainOutcome, so every drain sets it exactly once, whatever its path.
  if (newImage.drainOutcome !== undefined && oldImage?.drainOutcome === undefined) {
    const drainStartedAt = newImage.drainStartedAt ?? oldImage?.drainStartedAt;
    const executionArn = newImage.executionArn;
    actions.push({
      kind: 'drain-finished',
      taskArn,
      outcome: newImage.drainOutcome,
      ...definedOnly({ executionArn, drainStartedAt }),
    });
  }
  const enabled = protectionChange(oldImage, newImage);
  if (enabled !== undefined && newImage.clusterArn !== undefined) {
    actions.push({ kind: 'protection', clusterArn: newImage.clusterArn, taskArn, enabled });
  }
  return actions;
}

/**
 * The protection each task should end the batch with: the last change per task wins, so a task
 * that went 0 -> 1 -> 0 within one batch costs one unprotect call, not two calls.
 * Returns, per cluster, the tasks to protect and to unprotect, in first-seen order.
 */
export function collapseProtection(
  changes: readonly { clusterArn: string; taskArn: string; enabled: boolean }[],
): Map<string, { protect: string[]; unprotect: string[] }> {
  const last = new Map<string, { clusterArn: string; enabled: boolean }>();
  for (const change of changes) {
    last.set(change.taskArn, { clusterArn: change.clusterArn, enabled: change.enabled });
  }
  const byCluster = new Map<string, { protect: string[]; unprotect: string[] }>();
  for (const [taskArn, { clusterArn, enabled }] of last) {
    const entry = byCluster.get(clusterArn) ?? { protect: [], unprotect: [] };
    (enabled ? entry.protect : entry.unprotect).push(taskArn);
    byCluster.set(clusterArn, entry);
  }
  return byCluster;
}

/** The part of a DynamoDB stream record the handler uses; Lambda events and GetRecords share it. */
const StreamRecordSchema = z.object({
  eventName: z.enum(['INSERT', 'MODIFY', 'REMOVE']).optional(),
  dynamodb: DynamoDBStreamChangeRecord,
});

export type ParsedRecord =
  | { kind: 'task'; record: ChangeRecord }
  | { kind: 'ignored'; sequenceNumber: string }
  | { kind: 'invalid'; sequenceNumber?: string; reason: string };

/** Turns one raw stream record into old/new task images, or says why it is not one. */
export function parseStreamRecord(raw: unknown): ParsedRecord {
  const parsed = StreamRecordSchema.safeParse(raw);
  if (!parsed.success) {
    const sequenceNumber = (raw as { dynamodb?: { SequenceNumber?: unknown } } | undefined)?.dynamodb?.SequenceNumber;
    return {
      kind: 'invalid',
      ...(typeof sequenceNumber === 'string' ? { sequenceNumber } : {}),
      reason: describeIssues(parsed.error, { limit: Number.POSITIVE_INFINITY }),
    };
  }
  // The schema's transform types the unmarshalled record loosely; it has these fields once parsed.
  const change = parsed.data.dynamodb as {
    SequenceNumber: string;
    Keys: Record<string, unknown>;
    NewImage?: Record<string, unknown>;
    OldImage?: Record<string, unknown>;
  };
  const sequenceNumber = change.SequenceNumber;
  const itemKey = change.Keys.pk;
  const oldParsed = parseTaskImage(change.OldImage);
  const newParsed = parseTaskImage(change.NewImage);
  if (typeof itemKey !== 'string' || (oldParsed === undefined && newParsed === undefined)) {
    return { kind: 'invalid', sequenceNumber, reason: 'record carries no item key or no image (stream view type must be NEW_AND_OLD_IMAGES)' };
  }
  if (newParsed?.kind === 'invalid') return { kind: 'invalid', sequenceNumber, reason: `new image: ${newParsed.reason}` };
  if (oldParsed?.kind !== 'task' && newParsed?.kind !== 'task') return { kind: 'ignored', sequenceNumber };
  return {
    kind: 'task',
    record: {
      sequenceNumber,
      itemKey,
      // An old image we cannot read is treated as absent: decisions then rest on the new image alone.
      ...(oldParsed?.kind === 'task' ? { oldImage: oldParsed.image } : {}),
      ...(newParsed?.kind === 'task' ? { newImage: newParsed.image } : {}),
    },
  };
}
