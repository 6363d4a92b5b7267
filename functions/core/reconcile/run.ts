/*
 * reconcile/: the scheduled repairs, once a minute: run.ts goes through each cluster's registry items,
 * services.ts does the repairs that need its services (deployments paced again, drain-aware
 * scale-in), decisions.ts decides (pure) and work.ts runs each unit of work so that one failure does
 * not stop the rest; orphans.ts repairs a drain whose workflow ended unfinished, for run.ts and for
 * execution-ended.ts (a drain execution's status change event, ExecutionEndedFunction); gauges.ts counts
 * what a run saw for the dashboard and alarms. May import drain/, workflow/, deployments/, terminations/, protection/, ecs/, registry/ and
 * shared/; never handlers/.
 */
import { DescribeTasksCommand } from '@aws-sdk/client-ecs';
import { batchesOf } from '../../shared/batches.js';
import type { Deps } from '../../shared/deps.js';
import { registryTable } from '../../registry/conditional-write.js';
import { expireTask } from '../../registry/tasks/lifecycle.js';
import { readDrainWait } from '../../registry/tasks/waits.js';
import { DrainReason, epochSeconds, type TaskItem, TaskStatus, WaitError } from '../../registry/model.js';
import { checkTaskItem } from '../../registry/item-checks.js';
import { listClusterTasks, readTask } from '../../registry/tasks.js';
import { asRetryable } from '../ecs/errors.js';
import { applyProtection, ProtectionIncompleteError, type ProtectionOutcome } from '../protection/records.js';
import { clusterOrder, clusterShareMs, type RunClock, withinShare } from './budget.js';
import { type EcsTaskState, isHeartbeatLost, isRunningInEcs, isStale, mayHaveLostItsWorkflow } from './decisions.js';
import { needsProtection } from '../protection/needs.js';
import { hasUnfinishedDrain } from '../drain/unfinished.js';
import { reconcileServices } from './services.js';
import { repairStreamMisses } from './repairs.js';
import { isExecutionRunning } from '../drain/executions.js';
import { type ReconcileSummary, Work } from './work.js';
import { releaseOrphanedReplacement, restartOrphanedDrain } from './orphans.js';
import { failDrainWait } from '../drain/wait-signals.js';
import { NamedError } from '../../shared/errors.js';
import { settleLifecycleActions } from '../terminations/lifecycle-actions.js';
import { definedOnly } from '../../shared/optional.js';
import { countClusterGauges, noGauges, publishGauges } from './gauges.js';

export type { ReconcileSummary } from './work.js';

const DESCRIBE_TASKS_BATCH = 100;

export class ReconcileFailedError extends NamedError {
  override readonly name = 'ReconcileFailedError';
}

/**
 * One run over every cluster in scope, in two phases: first each cluster's registry listing, ECS
 * view and protection renewal (what keeps busy tasks from being scaled in), then each cluster's
 * repairs. Each cluster gets a share of the invocation's time (budget.ts); one that fails or
 * overruns loses its own share, never the protection of the others.
 */
export async function reconcile(deps: Deps, clock: RunClock = {}): Promise<ReconcileSummary> {
  const work = new Work(deps);
  const summary: ReconcileSummary = {
    clusters: deps.config.clusterArns.length,
    clustersOutOfTime: 0,
    expired: 0,
    heartbeatLost: 0,
    restarted: 0,
    protectionRenewed: 0,
    scaleInDrains: 0,
    scaleInDrainsCancelled: 0,
    deploymentDrains: 0,
    replacementsReleased: 0,
    waitsCompleted: 0,
    protectionReleased: 0,
    lifecycleActionsCompleted: 0,
    lifecycleHeartbeats: 0,
    attempted: 0,
    failed: 0,
    gauges: noGauges(),
  };
  const clusters = clusterOrder(deps.config.clusterArns, deps.now());
  const views = new Map<string, ClusterView>();
  for (const [index, clusterArn] of clusters.entries()) {
    const view = await inShare(deps, clock, clusters.length - index, { clusterArn, phase: 'protection' }, work, summary, () =>
      protectCluster(deps, clusterArn, work, summary),
    );
    if (view !== undefined) views.set(clusterArn, view);
  }
  const viewed = clusters.filter((clusterArn) => views.has(clusterArn));
  for (const [index, clusterArn] of viewed.entries()) {
    const view = views.get(clusterArn);
    if (view === undefined) continue;
    await inShare(deps, clock, viewed.length - index, { clusterArn, phase: 'repairs' }, work, summary, () => repairCluster(deps, clusterArn, view, work, summary));
  }
  // Auto Scaling lifecycle actions held for drains: a heartbeat while tasks remain, CONTINUE once none does.
  // Within what the clusters left of the run, like them: a run whose clusters took all of it must still answer.
  const lifecycle = await withinShare(clusterShareMs(clock, 1), deps.logger, { phase: 'lifecycle actions' }, () =>
    settleLifecycleActions(deps, (what, context, action) => work.run(what, context, action)),
  );
  if (lifecycle === undefined) {
    work.attempted += 1;
    work.failed += 1;
  }
  summary.lifecycleActionsCompleted = lifecycle?.completed ?? 0;
  summary.lifecycleHeartbeats = lifecycle?.heartbeats ?? 0;
  summary.attempted = work.attempted;
  summary.failed = work.failed;
  publishGauges(deps, summary.gauges, work.failed);
  if (work.attempted > 0 && work.failed === work.attempted) {
    throw new ReconcileFailedError(`all ${work.attempted} reconciliation steps failed`, { cause: work.lastError });
  }
  return summary;
}

/** A cluster's phase within its share; running out counts as a failed unit of work. */
async function inShare<T>(
  deps: Deps,
  clock: RunClock,
  clustersLeft: number,
  context: Record<string, unknown>,
  work: Work,
  summary: ReconcileSummary,
  phase: () => Promise<T | undefined>,
): Promise<T | undefined> {
  const shareMs = clusterShareMs(clock, clustersLeft);
  let finished = false;
  const result = await withinShare(shareMs, deps.logger, context, async () => {
    const value = await phase();
    finished = true;
    return value;
  });
  if (!finished) {
    summary.clustersOutOfTime += 1;
    work.attempted += 1;
    work.failed += 1;
  }
  return result;
}

/** What the protection phase learnt of a cluster, for its repairs. */
interface ClusterView {
  items: TaskItem[];
  open: TaskItem[];
  states: Map<string, EcsTaskState>;
}

async function protectCluster(deps: Deps, clusterArn: string, work: Work, summary: ReconcileSummary): Promise<ClusterView | undefined> {
  const listed = await work.run('listing registry tasks', { clusterArn }, () => listClusterTasks(registryTable(deps), clusterArn));
  if (listed === undefined) return undefined;
  const items = usableItems(deps, clusterArn, listed);
  const open = items.filter((item) => item.status !== TaskStatus.Stopped);
  const states = await describeTaskStates(deps, clusterArn, open.map((item) => item.taskArn), work);
  const nowSeconds = epochSeconds(deps.now());
  const toProtect = open
    .filter((item) => isRunningInEcs(states.get(item.taskArn)) && needsProtection(item, nowSeconds, deps.config.protectionRenewBeforeSeconds))
    .map((item) => item.taskArn);
  let outcomes: ReadonlyMap<string, ProtectionOutcome> | undefined;
  if (toProtect.length > 0) {
    await work.run('renewing task protection', { clusterArn, taskArns: toProtect }, async () => {
      try {
        outcomes = await applyProtection(deps, clusterArn, toProtect, true);
      } catch (error) {
        // The batches before a throttled one were recorded: count them, then fail the unit.
        if (error instanceof ProtectionIncompleteError) outcomes = error.outcomes;
        throw error;
      }
    });
    summary.protectionRenewed += [...(outcomes?.values() ?? [])].filter((outcome) => outcome === 'recorded').length;
  }
  const live = open.filter((item) => !isStale(item, states.get(item.taskArn), nowSeconds, deps.config.heartbeatTimeoutSeconds));
  countClusterGauges(summary.gauges, live, outcomes ?? new Map(), nowSeconds);
  return { items, open, states };
}

async function repairCluster(deps: Deps, clusterArn: string, view: ClusterView, work: Work, summary: ReconcileSummary): Promise<void> {
  const { items, open, states } = view;
  const nowSeconds = epochSeconds(deps.now());
  const { heartbeatTimeoutSeconds } = deps.config;

  const live: TaskItem[] = [];
  for (const item of open) {
    if (!isStale(item, states.get(item.taskArn), nowSeconds, heartbeatTimeoutSeconds)) {
      live.push(item);
      continue;
    }
    const marked = await work.run('expiring a stopped task', { taskArn: item.taskArn }, () => markStopped(deps, item.taskArn));
    if (marked) summary.expired += 1;
  }

  for (const item of live.filter(hasUnfinishedDrain)) {
    if (isHeartbeatLost(item, nowSeconds, heartbeatTimeoutSeconds)) {
      const result = await work.run('ending a drain whose task stopped heartbeating', { taskArn: item.taskArn }, async () => {
        // Ending the wait stops a task that may hold sessions. The item was read through the index
        // (which lags) at the start of a run that can last a minute or more, and its age was
        // judged by this moment's clock: read it again and judge it by a clock read after that.
        const current = await readTask(registryTable(deps), item.taskArn);
        if (current === undefined || !isHeartbeatLost(current, epochSeconds(deps.now()), heartbeatTimeoutSeconds)) return undefined;
        const token = await readDrainWait(registryTable(deps), current);
        if (token === undefined) return undefined;
        return failDrainWait(deps, token, WaitError.HeartbeatLost, `no heartbeat since ${new Date((current.heartbeatAt ?? 0) * 1000).toISOString()}`);
      });
      if (result === 'sent') summary.heartbeatLost += 1;
    } else if (isRunningInEcs(states.get(item.taskArn)) && mayHaveLostItsWorkflow(item, nowSeconds)) {
      const restarted = await work.run('restarting a drain whose workflow ended', { taskArn: item.taskArn }, () =>
        restartOrphanedDrain(deps, clusterArn, item),
      );
      if (restarted) summary.restarted += 1;
    }
  }

  await repairStreamMisses(deps, clusterArn, live, states, work, summary);
  await releaseOrphanedReplacements(deps, clusterArn, items, work, summary);
  await reconcileServices(deps, clusterArn, live, states, work, summary);
}

/**
 * Items that break the registry contract (a task can write its own item: a negative count, an
 * unknown status, a number JavaScript cannot hold) are left out of every decision this run, each
 * with one log line: acting on a guess could stop a busy task or drain the wrong one.
 */
function usableItems(deps: Pick<Deps, 'logger'>, clusterArn: string, listed: readonly unknown[]): TaskItem[] {
  const usable: TaskItem[] = [];
  for (const raw of listed) {
    const checked = checkTaskItem(raw);
    if (checked.ok && checked.item.clusterArn === clusterArn) usable.push(checked.item);
    else {
      const reason = checked.ok ? `clusterArn ${checked.item.clusterArn} is not the cluster listed` : checked.reason;
      deps.logger.warn('registry item ignored: it breaks the registry contract', { taskArn: checked.ok ? checked.item.taskArn : checked.key, clusterArn, reason });
    }
  }
  return usable;
}

/**
 * A drain that ended without reaching "Release replacement capacity" (its stop failed for good,
 * or its task vanished before "Record drain") leaves its task in the service's surge set. The flag
 * on the task item shows it; once no workflow owns the task, nobody else will give it back.
 */
async function releaseOrphanedReplacements(
  deps: Deps,
  clusterArn: string,
  items: readonly TaskItem[],
  work: Work,
  summary: ReconcileSummary,
): Promise<void> {
  const nowSeconds = epochSeconds(deps.now());
  for (const item of items) {
    const service = item.serviceName;
    if (item.replacementRequested !== true || service === undefined) continue;
    // A drain still open gives its replacement back itself, or its workflow's end event does
    // (ExecutionEndedFunction); only where that event may have been lost is Step Functions asked.
    if (hasUnfinishedDrain(item) && !mayHaveLostItsWorkflow(item, nowSeconds)) continue;
    const released = await work.run('releasing an orphaned replacement', { taskArn: item.taskArn }, async () => {
      if (await isExecutionRunning(deps, item.executionArn)) return false;
      return releaseOrphanedReplacement(deps, clusterArn, item);
    });
    if (released) summary.replacementsReleased += 1;
  }
}

async function describeTaskStates(
  deps: Deps,
  clusterArn: string,
  taskArns: readonly string[],
  work: Work,
): Promise<Map<string, EcsTaskState>> {
  const states = new Map<string, EcsTaskState>();
  for (const batch of batchesOf(taskArns, DESCRIBE_TASKS_BATCH)) {
    const response = await work.run('describing tasks', { clusterArn, tasks: batch.length }, async () => {
      try {
        return await deps.ecs.send(new DescribeTasksCommand({ cluster: clusterArn, tasks: [...batch] }));
      } catch (error) {
        throw asRetryable(error, 'DescribeTasks');
      }
    });
    // Tasks of a failed batch stay unknown: nothing is decided about them this run.
    for (const task of response?.tasks ?? []) {
      if (task.taskArn === undefined) continue;
      states.set(task.taskArn, {
        kind: 'known',
        lastStatus: task.lastStatus ?? 'UNKNOWN',
        desiredStatus: task.desiredStatus ?? 'UNKNOWN',
        ...definedOnly({ containerInstanceArn: task.containerInstanceArn, taskDefinitionArn: task.taskDefinitionArn }),
      });
    }
    for (const failure of response?.failures ?? []) {
      if (failure.reason !== 'MISSING' || failure.arn === undefined) continue;
      const arn = failure.arn;
      const taskArn = batch.find((candidate) => candidate === arn || candidate.endsWith(`/${arn}`)) ?? arn;
      states.set(taskArn, { kind: 'missing' });
    }
  }
  return states;
}

/** STOPPED is the last status: the condition only keeps a write from landing on a deleted item. */
async function markStopped(deps: Deps, taskArn: string): Promise<boolean> {
  const written = await expireTask(registryTable(deps), taskArn, epochSeconds(deps.now()));
  if (!written.applied) return false;
  deps.logger.info('registry item of a stopped task expired', { taskArn });
  return true;
}
