/* Claims of paced deployment drains: one transaction per batch, guarded by the service's pace version. */
import { GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { registryTable } from '../../registry/conditional-write.js';
import {
  dropPaceLease as dropLease,
  markPaceDirty as markDirty,
  movePaceVersionAction,
  paceKey,
  releasePaceLease as releaseLease,
  takePaceLease as takeLease,
} from '../../registry/pace/items.js';
import { batchesOf } from '../../shared/batches.js';
import type { Deps } from '../../shared/deps.js';
import { drainExecutionName, type TaskItem } from '../../registry/model.js';
import { claimActiveDrainAttemptAction } from '../../registry/tasks/drain.js';
import { executionArnFor } from '../drain/start.js';


/** DynamoDB allows 100 actions per transaction; one of them is the pace item. */
const CLAIMS_PER_TRANSACTION = 99;

export interface PacedClaim {
  item: TaskItem;
  attempt: number;
  executionName: string;
  executionArn: string;
}

type PaceDeps = Pick<Deps, 'ddb' | 'config' | 'now'>;

/** The pace version, read consistently before anything the decision rests on; undefined before the first claim. */
export async function readPaceVersion(deps: PaceDeps, clusterArn: string, serviceName: string): Promise<number | undefined> {
  const read = await deps.ddb.send(new GetCommand({ TableName: deps.config.tableName, Key: paceKey(clusterArn, serviceName), ConsistentRead: true }));
  const version = (read.Item as { version?: unknown } | undefined)?.version;
  return typeof version === 'number' ? version : undefined;
}

/**
 * Claims drains for the given tasks in as few transactions as possible. Each transaction also
 * moves the pace version on from the one read before the decision, so two pacers that decided on
 * the same state cannot both release: the second one's transaction is cancelled and it decides
 * again on what the first one left. 'moved' means that happened (nothing of that batch was written).
 */
export async function claimPacedDrains(
  deps: PaceDeps,
  ref: { clusterArn: string; serviceName: string },
  version: number | undefined,
  items: readonly TaskItem[],
): Promise<{ claimed: PacedClaim[]; moved: boolean }> {
  const claimed: PacedClaim[] = [];
  let current = version;
  for (const slice of batchesOf(items, CLAIMS_PER_TRANSACTION)) {
    const batch = slice.map((item) => claimFor(deps, item));
    const next = (current ?? 0) + 1;
    try {
      await deps.ddb.send(
        new TransactWriteCommand({
          TransactItems: [
            movePaceVersionAction(deps.config.tableName, ref, current, next, deps.now().toISOString()),
            ...batch.map((claim) =>
              claimActiveDrainAttemptAction(deps.config.tableName, {
                taskArn: claim.item.taskArn,
                attempt: claim.attempt,
                previousAttempt: claim.item.drainAttempt ?? 0,
                executionArn: claim.executionArn,
              }),
            ),
          ],
        }),
      );
    } catch (error) {
      if ((error as Error).name === 'TransactionCanceledException') return { claimed, moved: true };
      throw error;
    }
    claimed.push(...batch);
    current = next;
  }
  return { claimed, moved: false };
}

function claimFor(deps: Pick<Deps, 'config'>, item: TaskItem): PacedClaim {
  const attempt = (item.drainAttempt ?? 0) + 1;
  const executionName = drainExecutionName(item.taskArn, attempt);
  return { item, attempt, executionName, executionArn: executionArnFor(deps.config.stateMachineArn, executionName) };
}

/*
 * One pacer at a time per service: every trigger of a large deployment (thousands of RUNNING and
 * registration events) would otherwise re-read the whole service. A trigger that finds the lease
 * held marks the service dirty and leaves; the holder runs another pass while it is dirty. The
 * holder releases only if nothing marked it dirty since its pass began, and a trigger that marked
 * it dirty tries to take the lease once more, so no trigger is lost between the two. The lease is
 * an economy: correctness rests on the pace version (claimPacedDrains).
 */

/** Takes the lease if it is free or expired, and clears dirty: the pass about to run covers what it stood for. */
export async function takePaceLease(deps: PaceDeps, ref: { clusterArn: string; serviceName: string }, holder: string, leaseMs: number): Promise<boolean> {
  const now = deps.now().getTime();
  return (await takeLease(registryTable(deps), ref, holder, now, now + leaseMs)).applied;
}

export async function markPaceDirty(deps: PaceDeps, ref: { clusterArn: string; serviceName: string }): Promise<void> {
  await markDirty(registryTable(deps), ref);
}

/** True when released; false when a trigger marked the service dirty meanwhile (the holder runs again) or the lease was lost. */
export async function releasePaceLease(deps: PaceDeps, ref: { clusterArn: string; serviceName: string }, holder: string): Promise<boolean> {
  return (await releaseLease(registryTable(deps), ref, holder)).applied;
}

/** After a failure: the lease goes, dirty stays, so the next trigger or the reconciler runs a pass. */
export async function dropPaceLease(deps: PaceDeps, ref: { clusterArn: string; serviceName: string }, holder: string): Promise<void> {
  await dropLease(registryTable(deps), ref, holder);
}
