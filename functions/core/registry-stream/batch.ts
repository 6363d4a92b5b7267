/*
 * registry-stream/: what a change of a task's registry item (a session opened or closed, a new status)
 * calls for: transitions.ts decides from the old and new images (pure), batch.ts acts on a batch of
 * stream records (ends drain waits, sets protection). May import drain/, protection/, registry/,
 * events/ and shared/; never handlers/.
 */
import type { Deps } from '../../shared/deps.js';
import { isClusterInScope } from '../../shared/config.js';
import { RetryableEcsError } from '../../shared/errors.js';
import { epochSeconds, type TaskItem, TaskStatus, WaitError } from '../../registry/model.js';
import { MetricName, MetricUnit } from '../../shared/powertools.js';
import { readTask } from '../../registry/tasks.js';
import { applyProtection } from '../protection/records.js';
import { PROTECTION_BATCH_SIZE } from '../protection/task-protection.js';
import { hasUnfinishedDrain } from '../drain/unfinished.js';
import { type ChangeRecord, collapseProtection, decideActions, type StreamAction } from './transitions.js';
import { markOutcomeCounted } from '../../registry/tasks/endings.js';
import { completeDrainWait, failDrainWait } from '../drain/wait-signals.js';
import { registryTable } from '../../registry/conditional-write.js';
import { readDrainWait } from '../../registry/tasks/waits.js';

export interface StreamBatchOutcome {
  /** Sequence numbers to report as batchItemFailures, in stream order. */
  failedSequenceNumbers: string[];
  drainsCompleted: number;
  waitsFailedTaskGone: number;
  protectionCalls: { protect: number; unprotect: number };
}

/**
 * Below this much invocation time left, the batch takes no further record: the protection changes
 * collected so far (a few ECS calls) and the answer still fit. The records it did not reach are
 * reported as failures, so Lambda delivers them again from the first of them, instead of timing
 * the invocation out and retrying the whole batch (whose repeated signals Step Functions refuses,
 * but which start every record's work over: the 200-task scale run against moto did).
 */
export const RECORDS_RESERVE_MS = 10_000;
/** Below this much time left, no further protection batch is sent: the answer still fits. */
export const FLUSH_RESERVE_MS = 3_000;

interface ProtectionChange {
  clusterArn: string;
  taskArn: string;
  enabled: boolean;
  recordIndex: number;
}

/**
 * Acts on one batch of registry change records (task items only, in stream order).
 *
 * Records of one item are handled in order: once a record of an item fails retryably, that
 * record and every later record of the same item are reported as failed (so they are retried
 * in order), while other items go on. Step Functions signals are sent record by record;
 * protection changes are collected over the whole batch and sent per cluster in batches of
 * ten, because a burst of sessions opening on many tasks is the common case. With `timeLeftMs`
 * (the invocation's remaining time) the batch stops taking records RECORDS_RESERVE_MS before the end.
 */
export async function handleRegistryChanges(deps: Deps, records: readonly ChangeRecord[], timeLeftMs?: () => number): Promise<StreamBatchOutcome> {
  const { logger } = deps;
  const firstFailure = new Map<string, number>();
  const markFailed = (itemKey: string, index: number) => {
    const previous = firstFailure.get(itemKey);
    if (previous === undefined || index < previous) firstFailure.set(itemKey, index);
  };
  const outcome: StreamBatchOutcome = {
    failedSequenceNumbers: [],
    drainsCompleted: 0,
    waitsFailedTaskGone: 0,
    protectionCalls: { protect: 0, unprotect: 0 },
  };
  const protectionChanges: ProtectionChange[] = [];

  for (const [index, record] of records.entries()) {
    if (timeLeftMs !== undefined && timeLeftMs() < RECORDS_RESERVE_MS) {
      logger.warn('registry stream batch cut short: the records not reached will be delivered again', { handled: index, notReached: records.length - index });
      for (const [later, left] of records.entries()) if (later >= index) markFailed(left.itemKey, later);
      break;
    }
    if (firstFailure.has(record.itemKey)) continue;
    const actions = decideActions(record);
    try {
      for (const action of actions) {
        if (action.kind === 'complete-drain') {
          const token = await ownWaitToken(deps, action);
          if (token === undefined) continue;
          const result = await completeDrainWait(deps, token, { sessionsRemaining: 0 });
          if (result === 'sent') outcome.drainsCompleted += 1;
          logger.info('last session closed on a draining task', { taskArn: action.taskArn, result });
        } else if (action.kind === 'fail-wait-task-gone') {
          const token = await ownWaitToken(deps, action);
          if (token === undefined) continue;
          const result = await failDrainWait(deps, token, WaitError.TaskGone, 'the task stopped while its drain waited for sessions');
          if (result === 'sent') outcome.waitsFailedTaskGone += 1;
          logger.info('task stopped while its drain waited', { taskArn: action.taskArn, result });
        } else if (action.kind === 'drain-finished') {
          await recordDrainFinished(deps, action);
        } else if (isClusterInScope(deps.config, action.clusterArn)) {
          protectionChanges.push({ ...action, recordIndex: index });
        } else {
          logger.info('protection change ignored: cluster not in scope', { taskArn: action.taskArn, clusterArn: action.clusterArn });
        }
      }
    } catch (error) {
      logger.error('registry change failed; it and later changes of the task will be retried', {
        taskArn: record.itemKey,
        sequenceNumber: record.sequenceNumber,
        error,
      });
      markFailed(record.itemKey, index);
    }
  }

  await applyProtectionChanges(deps, protectionChanges, records, markFailed, outcome, timeLeftMs);

  for (const [index, record] of records.entries()) {
    const failedFrom = firstFailure.get(record.itemKey);
    if (failedFrom !== undefined && index >= failedFrom) outcome.failedSequenceNumbers.push(record.sequenceNumber);
  }
  return outcome;
}

async function applyProtectionChanges(
  deps: Deps,
  changes: readonly ProtectionChange[],
  records: readonly ChangeRecord[],
  markFailed: (itemKey: string, index: number) => void,
  outcome: StreamBatchOutcome,
  timeLeftMs: (() => number) | undefined,
): Promise<void> {
  // The earliest record that asked for a task's change is where a retry has to start.
  const firstRecordOf = new Map<string, number>();
  for (const change of changes) if (!firstRecordOf.has(change.taskArn)) firstRecordOf.set(change.taskArn, change.recordIndex);
  const failTask = (taskArn: string) => {
    const index = firstRecordOf.get(taskArn);
    const record = index === undefined ? undefined : records[index];
    if (index !== undefined && record !== undefined) markFailed(record.itemKey, index);
  };

  for (const [clusterArn, { protect, unprotect }] of collapseProtection(changes)) {
    for (const [enabled, all] of [
      [true, protect],
      [false, unprotect],
    ] as const) {
      // One UpdateTaskProtection batch at a time, each only while the invocation has time for it:
      // the changes not sent fail their records, which come again, instead of a timeout.
      for (let start = 0; start < all.length; start += PROTECTION_BATCH_SIZE) {
        if (timeLeftMs !== undefined && timeLeftMs() < FLUSH_RESERVE_MS) {
          deps.logger.warn('protection changes left to the next delivery: the invocation is running out of time', { clusterArn, enabled, taskArns: all.slice(start) });
          for (const taskArn of all.slice(start)) failTask(taskArn);
          break;
        }
        await applyProtectionChunk(deps, clusterArn, all.slice(start, start + PROTECTION_BATCH_SIZE), enabled, outcome, failTask);
      }
    }
  }
}

/** One cluster's protection change for up to one UpdateTaskProtection batch of tasks. */
async function applyProtectionChunk(
  deps: Deps,
  clusterArn: string,
  taskArns: readonly string[],
  enabled: boolean,
  outcome: StreamBatchOutcome,
  failTask: (taskArn: string) => void,
): Promise<void> {
  try {
    const release = enabled ? taskArns : await stillIdle(deps, taskArns);
    if (release.length === 0) return;
    const outcomes = await applyProtection(deps, clusterArn, release, enabled);
    if (enabled) outcome.protectionCalls.protect += release.length;
    else outcome.protectionCalls.unprotect += release.length;
    for (const [taskArn, result] of outcomes) if (result === 'record-failed') failTask(taskArn);
    deps.logger.info('protection updated', { clusterArn, enabled, outcomes: Object.fromEntries(outcomes) });
    if (!enabled) await protectAgainIfBusy(deps, clusterArn, release, outcome, failTask);
  } catch (error) {
    if (!(error instanceof RetryableEcsError)) {
      // A retry would fail the same way and hold up the shard; the reconciler heals protection.
      deps.logger.error('protection update refused by ECS; left to the reconciler', { clusterArn, enabled, taskArns, error });
      return;
    }
    deps.logger.error('protection update failed; the changes will be retried', { clusterArn, enabled, taskArns, error });
    for (const taskArn of taskArns) failTask(taskArn);
  }
}

/**
 * The token of the wait the record's item names, if that wait is this task's drain's own. A task
 * can write its own item (status, count, executionArn, waitArmed): an item that names another
 * task's drain, or a wait nobody armed, ends nothing.
 */
async function ownWaitToken(deps: Deps, action: { taskArn: string; executionArn: string }): Promise<string | undefined> {
  const token = await readDrainWait(registryTable(deps), { pk: action.taskArn, executionArn: action.executionArn, waitArmed: true });
  if (token === undefined) {
    deps.logger.warn('drain wait not signalled: the item names no wait of its own drain', { taskArn: action.taskArn, executionArn: action.executionArn });
  }
  return token;
}

/**
 * The tasks whose count is still 0 now. A record that says a task emptied can be a while old by
 * the time its release goes out, and a least-sessions load balancer sends the next user to exactly
 * that empty task: releasing it then would leave a session on an unprotected task until its next
 * 0 -> 1 record protects it again. A task whose item is gone or unreadable is released as asked.
 */
async function stillIdle(deps: Deps, taskArns: readonly string[]): Promise<string[]> {
  const items = await readItems(deps, taskArns);
  const busy = taskArns.filter((_, index) => (items[index]?.sessionCount ?? 0) > 0);
  if (busy.length > 0) deps.logger.info('protection kept: a session opened since the count reached 0', { taskArns: busy });
  // A claimed drain owns the task's protection until its stop step: the task may still take a
  // session before it is marked DRAINING, and ECS would stop an unprotected leaving task at once.
  const draining = taskArns.filter((taskArn, index) => !busy.includes(taskArn) && items[index] !== undefined && hasUnfinishedDrain(items[index]));
  if (draining.length > 0) deps.logger.info('protection kept: a drain owns the task', { taskArns: draining });
  return taskArns.filter((taskArn) => !busy.includes(taskArn) && !draining.includes(taskArn));
}

/** Each task's item as it is now (a consistent read), in the order asked. */
function readItems(deps: Deps, taskArns: readonly string[]): Promise<(TaskItem | undefined)[]> {
  return Promise.all(taskArns.map((taskArn) => readTask(registryTable(deps), taskArn)));
}

/**
 * The count is read once more after the release has gone out: a session that opened during the
 * release (between the read above and ECS's answer, seconds on a loaded system) gets its task
 * protected again now instead of at the task's next 0 -> 1 record, which this session's open
 * already was. A read that fails leaves it to that record and the reconciler.
 */
async function protectAgainIfBusy(
  deps: Deps,
  clusterArn: string,
  released: readonly string[],
  outcome: StreamBatchOutcome,
  failTask: (taskArn: string) => void,
): Promise<void> {
  const items = await readItems(deps, released);
  const reopened = released.filter((_, index) => (items[index]?.sessionCount ?? 0) > 0 && items[index]?.status === TaskStatus.Active);
  if (reopened.length === 0) return;
  const outcomes = await applyProtection(deps, clusterArn, reopened, true);
  outcome.protectionCalls.protect += reopened.length;
  for (const [taskArn, result] of outcomes) if (result === 'record-failed') failTask(taskArn);
  deps.logger.info('protection restored: a session opened while it was released', { clusterArn, outcomes: Object.fromEntries(outcomes) });
}

/**
 * Drain outcome metrics live here because only the registry sees every outcome path end. They
 * count once per drain: Lambda re-delivers every record after a batch's lowest failed one (the
 * failed item's and every other item's; docs.aws.amazon.com/lambda/latest/dg/services-ddb-batchfailurereporting.html),
 * so the count rides on a conditional write that applies once per execution.
 */
async function recordDrainFinished(
  deps: Pick<Deps, 'ddb' | 'config' | 'logger' | 'metrics' | 'now'>,
  finished: Extract<StreamAction, { kind: 'drain-finished' }>,
): Promise<void> {
  const { taskArn, outcome, executionArn, drainStartedAt } = finished;
  if (executionArn === undefined) {
    deps.logger.warn('drain outcome not counted: the item names no execution', { taskArn, outcome });
    return;
  }
  if (!(await markOutcomeCounted(registryTable(deps), taskArn, executionArn)).applied) {
    deps.logger.info('drain outcome already counted (a re-delivered record) or moved on', { taskArn, executionArn, outcome });
    return;
  }
  const single = deps.metrics.singleMetric();
  single.addDimension('outcome', outcome);
  single.addMetric(MetricName.DrainsCompleted, MetricUnit.Count, 1);
  if (drainStartedAt !== undefined) {
    deps.metrics.addMetric(MetricName.DrainSeconds, MetricUnit.Seconds, Math.max(0, epochSeconds(deps.now()) - drainStartedAt));
  }
}
