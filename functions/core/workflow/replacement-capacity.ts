import { randomUUID } from 'node:crypto';
import { DescribeServicesCommand, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { ClusterArn, TaskArn } from '../../events/arns.js';
import {
  type AppliedCounts,
  CAPACITY_SORT_KEY,
  capacityKey,
  changeSurge as changeSurgeTransition,
  releaseCapacityLock,
  takeCapacityLock,
  writeApplied as writeAppliedTransition,
} from '../../registry/capacity/items.js';
import { registryTable } from '../../registry/conditional-write.js';
import { epochSeconds, TaskStatus } from '../../registry/model.js';
import { listClusterTasks, readTasksConsistently } from '../../registry/tasks.js';
import type { ServiceRef as PaceServiceRef } from '../../registry/pace/items.js';
import { setReplacementRequested as setReplacementRequestedTransition } from '../../registry/tasks/lifecycle.js';
import type { Deps } from '../../shared/deps.js';
import { asRetryable } from '../ecs/errors.js';
import { NamedError } from '../../shared/errors.js';
import { needsProtection } from '../protection/needs.js';
import { applyProtection } from '../protection/records.js';

/**
 * Replacement capacity ("surge") for drains that take a task away from a service whatever the
 * service wants (Spot, instance, manual). Many drains of one service run at once, so the desired
 * count is never read-modify-written by a drain. Instead a per-service capacity item holds
 *   surge          the set of draining tasks that asked for a replacement (changed idempotently)
 *   baseCount      the desired count without the surge, captured when the set becomes non-empty
 *   version        bumped by every change of the set
 *   appliedCount   the desired count last sent to ECS, appliedFromCount the count it replaced,
 *                  appliedVersion the version it was computed from
 *   lockOwner      the one converger allowed to call UpdateService, with lockExpiresAt
 * After changing the set, a drain waits until some converger has applied a version at least as
 * new as its own change, taking the lock itself when it is free. Only lock holders talk to ECS,
 * so UpdateService calls never overtake one another, and a desired count that differs from
 * `appliedCount` can only mean someone else scaled the service: that difference moves into the base.
 */
export const LOCK_TTL_MS = 30_000;
const CONVERGE_BUDGET_MS = 20_000;
const MAX_APPLY_ROUNDS = 200;

export class CapacityBusyError extends NamedError {
  override readonly name = 'CapacityBusy';
}

export const capacityInputSchema = z.object({
  cluster: ClusterArn,
  taskArn: TaskArn,
  service: z.string().min(1).optional(),
});
export type CapacityInput = z.output<typeof capacityInputSchema>;

export interface CapacityItem {
  pk: string;
  sk: typeof CAPACITY_SORT_KEY;
  clusterArn: string;
  serviceName: string;
  surge?: Set<string>;
  version?: number;
  baseCount?: number;
  appliedCount?: number;
  appliedFromCount?: number;
  appliedVersion?: number;
  lockOwner?: string;
  lockExpiresAt?: number;
}

export type CapacityResult =
  | { changed: boolean; desiredCount: number | null; surge: number }
  | { changed: false; skipped: 'standalone-task' };

type CapacityDeps = Pick<Deps, 'ecs' | 'ddb' | 'config' | 'logger' | 'metrics' | 'now'>;
type ServiceRef = PaceServiceRef;


/** Adds the task's replacement to its service's desired count (once per task, however often called). */
export async function launchReplacement(deps: CapacityDeps, input: CapacityInput): Promise<CapacityResult> {
  if (input.service === undefined) return { changed: false, skipped: 'standalone-task' };
  const ref = { clusterArn: input.cluster, serviceName: input.service };
  // Flag first: a drain that dies after joining the set is then visible on its task item.
  await setReplacementRequested(deps, input.taskArn, true);
  const change = await changeSurge(deps, ref, input.taskArn, 'add');
  return finish(deps, ref, input.taskArn, change);
}

/** Takes the task's replacement back out of the desired count (once per task). */
export async function releaseReplacement(deps: CapacityDeps, input: CapacityInput): Promise<CapacityResult> {
  if (input.service === undefined) return { changed: false, skipped: 'standalone-task' };
  const ref = { clusterArn: input.cluster, serviceName: input.service };
  const change = await changeSurge(deps, ref, input.taskArn, 'remove');
  const result = await finish(deps, ref, input.taskArn, change);
  await setReplacementRequested(deps, input.taskArn, false);
  return result;
}

async function finish(deps: CapacityDeps, ref: ServiceRef, taskArn: string, change: { changed: boolean; version: number }): Promise<CapacityResult> {
  const applied = await converge(deps, ref, change.version);
  deps.logger.info('replacement capacity converged', { ...ref, taskArn, changed: change.changed, ...applied });
  return { changed: change.changed, ...applied };
}

async function changeSurge(deps: CapacityDeps, ref: ServiceRef, taskArn: string, change: 'add' | 'remove'): Promise<{ changed: boolean; version: number }> {
  const result = await changeSurgeTransition(registryTable(deps), ref, taskArn, change);
  if (result.applied) return { changed: true, version: Number(result.item?.version ?? 0) };
  // Already done by an earlier try of this step: only the convergence may still be missing.
  const item = await readCapacity(deps, ref);
  return { changed: false, version: item?.version ?? 0 };
}

/** Waits until ECS reflects a version of the set at least as new as `version`. */
async function converge(deps: CapacityDeps, ref: ServiceRef, version: number): Promise<{ desiredCount: number | null; surge: number }> {
  const owner = randomUUID();
  const giveUpAt = Date.now() + CONVERGE_BUDGET_MS;
  for (;;) {
    const item = await readCapacity(deps, ref);
    if (item === undefined) return { desiredCount: null, surge: 0 };
    if ((item.appliedVersion ?? -1) >= version) return { desiredCount: item.appliedCount ?? null, surge: item.surge?.size ?? 0 };
    if (await tryLock(deps, ref, owner)) {
      try {
        return await applyUnderLock(deps, ref, owner);
      } finally {
        await unlock(deps, ref, owner);
      }
    }
    if (Date.now() > giveUpAt) throw new CapacityBusyError(`capacity of ${ref.serviceName} did not converge within ${CONVERGE_BUDGET_MS} ms`);
    await sleep(25 + Math.random() * 100);
  }
}

async function applyUnderLock(deps: CapacityDeps, ref: ServiceRef, owner: string): Promise<{ desiredCount: number | null; surge: number }> {
  let busyProtected = false;
  for (let round = 0; round < MAX_APPLY_ROUNDS; round += 1) {
    const item = await readCapacity(deps, ref);
    if (item === undefined) return { desiredCount: null, surge: 0 };
    if (item.lockOwner !== owner) throw new CapacityBusyError(`lost the capacity lock of ${ref.serviceName}`);
    const version = item.version ?? 0;
    const surge = item.surge?.size ?? 0;
    const desired = await describeDesiredCount(deps, ref);
    if (desired === undefined) {
      deps.logger.warn('service not found or not active: no capacity to change', { ...ref });
      await writeApplied(deps, ref, owner, version, {});
      return { desiredCount: null, surge };
    }
    const plan = planDesiredCount(item, surge, desired);
    if (plan.adopted !== 0) deps.logger.info('the service was scaled by someone else: adopting the change into the base', { ...ref, adopted: plan.adopted });
    if (plan.target === undefined) {
      // Nothing surged and nothing to undo: only record that this version is settled.
      if (await writeApplied(deps, ref, owner, version, { clear: true })) return { desiredCount: desired, surge };
      continue;
    }
    if (plan.target < desired && !busyProtected) {
      await protectBusyTasks(deps, ref);
      busyProtected = true;
      // The protection took time in which someone else may have scaled the service: read the count
      // again, so that it is read right before the UpdateService that would otherwise overwrite it.
      continue;
    }
    // Intent before action: a later holder that finds ECS at appliedFromCount knows this call never landed.
    if (!(await writeApplied(deps, ref, owner, version, { base: plan.base, applied: plan.target, appliedFrom: desired }))) continue;
    if (plan.target !== desired) {
      try {
        await deps.ecs.send(new UpdateServiceCommand({ cluster: ref.clusterArn, service: ref.serviceName, desiredCount: plan.target }));
      } catch (error) {
        throw asRetryable(error, 'UpdateService');
      }
    }
    if (surge === 0) {
      // Back at the base: forget it, so the next surge captures whatever the service has then.
      if (await writeApplied(deps, ref, owner, version, { clear: true })) return { desiredCount: plan.target, surge };
      continue;
    }
    const after = await readCapacity(deps, ref);
    if ((after?.version ?? 0) === version) return { desiredCount: plan.target, surge };
  }
  throw new CapacityBusyError(`capacity of ${ref.serviceName} kept changing for ${MAX_APPLY_ROUNDS} rounds`);
}

/**
 * The desired count the service should have, from the capacity item and what ECS has now.
 * Exported for unit tests: this is where someone else's scaling is told apart from our own.
 */
export function planDesiredCount(
  item: Pick<CapacityItem, 'baseCount' | 'appliedCount' | 'appliedFromCount'>,
  surge: number,
  desired: number,
): { base?: number; target?: number; adopted: number } {
  let base = item.baseCount;
  let adopted = 0;
  if (base !== undefined && item.appliedCount !== undefined && desired !== item.appliedCount && desired !== item.appliedFromCount) {
    adopted = desired - item.appliedCount;
    base = Math.max(0, base + adopted);
  }
  if (surge > 0) {
    base ??= desired;
    return { base, target: base + surge, adopted };
  }
  return base === undefined ? { adopted } : { base, target: base, adopted };
}

/**
 * Protection that lapses within this many seconds is renewed before a lower desired count: ECS
 * chooses the task to stop within seconds of the call.
 */
const SCALE_IN_MARGIN_SECONDS = 300;

/**
 * A lower desired count lets ECS stop any unprotected task of the service, of its own choice. A
 * task whose first users arrived a moment ago holds sessions that its item already counts but
 * that the stream handler has not protected yet (its 0 -> 1 record is still on its way), and a
 * new task, empty when the load balancer starts sending it users, fills first. So before giving a
 * replacement back, every task whose item holds sessions is protected, read consistently now:
 * the window for a first session shrinks from the stream's lag to the agent's own write.
 */
async function protectBusyTasks(deps: CapacityDeps, ref: ServiceRef): Promise<void> {
  const registry = registryTable(deps);
  // The index lags behind the items: each is read again, consistently, for its count of now.
  const indexed = await listClusterTasks(registry, ref.clusterArn, ref.serviceName);
  const items = await readTasksConsistently(registry, indexed.filter((item) => item.status !== TaskStatus.Stopped).map((item) => item.taskArn));
  const nowSeconds = epochSeconds(deps.now());
  const busy = items.filter((item) => needsProtection(item, nowSeconds, SCALE_IN_MARGIN_SECONDS)).map((item) => item.taskArn);
  if (busy.length === 0) return;
  deps.logger.info('protecting busy tasks before the desired count goes down', { ...ref, taskArns: busy });
  // applyProtection already throws ECS throttling and 5xx as RetryableEcsError.
  await applyProtection(deps, ref.clusterArn, busy, true);
}

async function describeDesiredCount(deps: CapacityDeps, ref: ServiceRef): Promise<number | undefined> {
  let response;
  try {
    response = await deps.ecs.send(new DescribeServicesCommand({ cluster: ref.clusterArn, services: [ref.serviceName] }));
  } catch (error) {
    throw asRetryable(error, 'DescribeServices');
  }
  const service = response.services?.[0];
  if (service === undefined || service.status !== 'ACTIVE') return undefined;
  return service.desiredCount ?? 0;
}

async function writeApplied(deps: CapacityDeps, ref: ServiceRef, owner: string, version: number, fields: AppliedCounts): Promise<boolean> {
  return (await writeAppliedTransition(registryTable(deps), ref, owner, version, fields)).applied;
}

async function tryLock(deps: CapacityDeps, ref: ServiceRef, owner: string): Promise<boolean> {
  const now = deps.now().getTime();
  return (await takeCapacityLock(registryTable(deps), ref, owner, now, now + LOCK_TTL_MS)).applied;
}

async function unlock(deps: CapacityDeps, ref: ServiceRef, owner: string): Promise<void> {
  // A lock that expired and was taken by another converger is theirs to release.
  await releaseCapacityLock(registryTable(deps), ref, owner);
}

async function readCapacity(deps: CapacityDeps, ref: ServiceRef): Promise<CapacityItem | undefined> {
  const result = await deps.ddb.send(
    new GetCommand({ TableName: deps.config.tableName, Key: capacityKey(ref.clusterArn, ref.serviceName), ConsistentRead: true }),
  );
  return result.Item as CapacityItem | undefined;
}

async function setReplacementRequested(deps: CapacityDeps, taskArn: string, requested: boolean): Promise<void> {
  // A task item that is gone (the task stopped and its item expired) needs no flag.
  await setReplacementRequestedTransition(registryTable(deps), taskArn, requested);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
