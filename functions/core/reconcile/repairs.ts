/*
 * What the registry stream can leave behind, repaired from the items as they are. Lambda re-delivers
 * every record after a stream batch's lowest failed one, other items' included, and gives a batch up
 * to the OnFailure queue after MaximumRetryAttempts
 * (docs.aws.amazon.com/lambda/latest/dg/services-ddb-batchfailurereporting.html,
 * docs.aws.amazon.com/lambda/latest/dg/services-dynamodb-errors.html). So a 0 -> 1 "protect" can be
 * replayed after the task emptied again, and the record in which a draining task reached 0 can be
 * lost. Both leave the registry and the workflow or ECS disagreeing until someone looks: here, once a
 * minute.
 */
import { GetTaskProtectionCommand } from '@aws-sdk/client-ecs';
import { batchesOf } from '../../shared/batches.js';
import type { Deps } from '../../shared/deps.js';
import { registryTable } from '../../registry/conditional-write.js';
import { ProtectionState, type TaskItem, TaskStatus } from '../../registry/model.js';
import { checkTaskItem } from '../../registry/item-checks.js';
import { readTask } from '../../registry/tasks.js';
import { readDrainWait } from '../../registry/tasks/waits.js';
import { asRetryable } from '../ecs/errors.js';
import { applyProtection } from '../protection/records.js';
import { hasUnfinishedDrain } from '../drain/unfinished.js';
import { completeDrainWait } from '../drain/wait-signals.js';
import { type EcsTaskState, isRunningInEcs } from './decisions.js';
import type { ReconcileSummary, Work } from './work.js';

/** GetTaskProtection reads up to 100 tasks per call (ECS API reference, GetTaskProtection). */
const GET_PROTECTION_BATCH = 100;

export async function repairStreamMisses(
  deps: Deps,
  clusterArn: string,
  live: readonly TaskItem[],
  states: ReadonlyMap<string, EcsTaskState>,
  work: Work,
  summary: ReconcileSummary,
): Promise<void> {
  for (const item of live.filter(isEmptyArmedDrain)) {
    const result = await work.run('completing a drain wait whose last session closed unseen', { taskArn: item.taskArn }, () => completeEmptiedWait(deps, item));
    if (result === 'sent') summary.waitsCompleted += 1;
  }
  const idle = live.filter((item) => isIdleServing(item) && item.protectionState !== ProtectionState.Protected && isRunningInEcs(states.get(item.taskArn)));
  const released = await work.run('releasing protection ECS still holds on idle tasks', { clusterArn, tasks: idle.length }, () =>
    releaseStrayProtection(deps, clusterArn, idle),
  );
  summary.protectionReleased += released ?? 0;
}

/** A draining task with no session left whose wait is armed: the stream should have ended the wait. */
function isEmptyArmedDrain(item: TaskItem): boolean {
  return item.status === TaskStatus.Draining && item.sessionCount <= 0 && item.waitArmed === true && item.executionArn !== undefined;
}

/** An ACTIVE service task without sessions and without a drain: it should not be protected. */
function isIdleServing(item: TaskItem): boolean {
  return item.status === TaskStatus.Active && item.sessionCount <= 0 && item.serviceName !== undefined && !hasUnfinishedDrain(item);
}

/** The item read again (the index lags), if it is still what the decision assumed. */
async function reread(deps: Deps, indexed: TaskItem, still: (item: TaskItem) => boolean): Promise<TaskItem | undefined> {
  const read = await readTask(registryTable(deps), indexed.taskArn);
  const checked = read === undefined ? undefined : checkTaskItem(read);
  if (checked === undefined || !checked.ok || !still(checked.item)) return undefined;
  return checked.item;
}

async function completeEmptiedWait(deps: Deps, indexed: TaskItem): Promise<'sent' | 'workflow-moved-on' | 'nothing'> {
  const item = await reread(deps, indexed, (current) => isEmptyArmedDrain(current) && current.executionArn === indexed.executionArn);
  const token = item === undefined ? undefined : await readDrainWait(registryTable(deps), item);
  if (token === undefined) return 'nothing';
  const result = await completeDrainWait(deps, token, { sessionsRemaining: 0 });
  deps.logger.info('drain wait completed by the reconciler: the task emptied and no stream record ended the wait', { taskArn: indexed.taskArn, result });
  return result;
}

/**
 * Idle tasks ECS reports protected while their item does not say so (a replayed "protect" after
 * the release) are released, each re-read first: a session opened since the index was read keeps
 * its task protected. Returns how many were released.
 */
async function releaseStrayProtection(deps: Deps, clusterArn: string, idle: readonly TaskItem[]): Promise<number> {
  const strays: string[] = [];
  for (const batch of batchesOf(idle, GET_PROTECTION_BATCH)) {
    const tasks = batch.map((item) => item.taskArn);
    let response;
    try {
      response = await deps.ecs.send(new GetTaskProtectionCommand({ cluster: clusterArn, tasks }));
    } catch (error) {
      throw asRetryable(error, 'GetTaskProtection');
    }
    for (const task of response?.protectedTasks ?? []) if (task.protectionEnabled === true && task.taskArn !== undefined) strays.push(task.taskArn);
  }
  const release: string[] = [];
  for (const taskArn of strays) {
    const indexed = idle.find((item) => item.taskArn === taskArn);
    if (indexed !== undefined && (await reread(deps, indexed, (current) => isIdleServing(current) && current.protectionState !== ProtectionState.Protected))) {
      release.push(taskArn);
    }
  }
  if (release.length === 0) return 0;
  const outcomes = await applyProtection(deps, clusterArn, release, false);
  deps.logger.info('protection released: ECS held it on idle tasks whose items say unprotected', { clusterArn, outcomes: Object.fromEntries(outcomes) });
  return [...outcomes.values()].filter((outcome) => outcome === 'recorded').length;
}
