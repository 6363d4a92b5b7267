/* The deployment pacer's I/O: read the service, its tasks and their registry items; cancel, claim and start drains. */
import { randomUUID } from 'node:crypto';
import type { Service } from '@aws-sdk/client-ecs';
import { mapWithConcurrency } from '../../shared/concurrency.js';
import type { Deps } from '../../shared/deps.js';
import { ignored, type Ignored } from '../../shared/handler-kit.js';
import { MetricName, MetricUnit } from '../../shared/powertools.js';
import { registryTable } from '../../registry/conditional-write.js';
import { restoreLeftTask } from '../../registry/tasks/endings.js';
import { DrainReason, type TaskItem } from '../../registry/model.js';
import { listClusterTasks, readTasksConsistently } from '../../registry/tasks.js';
import { describeService, describeTasks, listRunningTaskArns } from '../ecs/lookups.js';
import { setTaskProtection } from '../protection/task-protection.js';
import { startClaimedDrain } from '../drain/start.js';
import { cancelDrain } from '../drain/cancel.js';
import { claimPacedDrains, dropPaceLease, markPaceDirty, readPaceVersion, releasePaceLease, takePaceLease } from './pace-claims.js';
import { targetsHealthy } from './target-health.js';
import { type EcsTaskView, isServing, keptByService, type PacingMode, type PacingPlan, planPacing, type ServiceDeploymentView } from './pacing.js';
import { NamedError } from '../../shared/errors.js';
import { definedOnly } from '../../shared/optional.js';

export interface PaceSummary {
  serviceName: string;
  deploymentId: string;
  leaving: number;
  serving: number;
  minServing: number;
  /** Drains are held while new tasks wait for their load balancer targets to turn healthy. */
  waitingForTargets: boolean;
  drainsStarted: string[];
  held: string[];
  cancelled: string[];
  restored: string[];
  released: string[];
  /** Passes this invocation ran; 0 when another pacer held the service and took this trigger over. */
  passes: number;
}

/** Decisions rest on a state another pacer may have changed; a few rounds always settle. */
const MAX_ROUNDS = 4;
const START_CONCURRENCY = 10;
const KEPT_BY_DEPLOYMENT = 'the service keeps this task: its deployment was rolled back, superseded or failed';

/** Services whose deployments ECS does not run itself (CodeDeploy, an external controller): README "Deployment kinds". */
export function unmanagedDeployment(service: Service): string | undefined {
  const controller = service.deploymentController?.type ?? 'ECS';
  if (controller === 'ECS') return undefined;
  return `service ${service.serviceName ?? ''} uses the ${controller} deployment controller, whose task sets this orchestrator does not drain (README "Deployment kinds")`;
}

/**
 * One deployment started every running task: nothing leaves. A FAILED one is not settled (its
 * drains are cancelled). Most tasks becoming RUNNING and registering belong to settled services.
 */
export function settledDeployment(service: Service): boolean {
  const deployments = service.deployments ?? [];
  return deployments.length === 1 && deployments[0]?.rolloutState !== 'FAILED';
}

/** ROLLING replaces tasks and is paced here; BLUE_GREEN, LINEAR and CANARY shift traffic and drain at the lifecycle hook. */
export function pacingMode(service: Service): PacingMode {
  const strategy = service.deploymentConfiguration?.strategy ?? 'ROLLING';
  return strategy === 'ROLLING' ? 'rolling' : 'traffic-shift';
}

export function deploymentView(service: Service): ServiceDeploymentView | undefined {
  const primary = service.deployments?.find((deployment) => deployment.status === 'PRIMARY');
  if (primary?.id === undefined) return undefined;
  return {
    desiredCount: service.desiredCount ?? 0,
    minimumHealthyPercent: service.deploymentConfiguration?.minimumHealthyPercent ?? 100,
    primary: {
      id: primary.id,
      ...definedOnly({ taskDefinition: primary.taskDefinition, rolloutState: primary.rolloutState }),
    },
  };
}

export interface PaceOptions {
  /** The service as DescribeServices just returned it (the reconciler has it already). */
  known?: Service;
  /**
   * The trigger only says that capacity came (a task RUNNING, a registration): a settled service
   * has nothing to release, so no registry read is made. Deployment events and the reconciler
   * pace unconditionally, which is what gives back a drain of a kept task.
   */
  skipSettled?: boolean;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Brings a service's rolling deployment one step on, the way ECS would: drains start for leaving
 * tasks only while the tasks still taking sessions stay at the minimum healthy count; drains of
 * tasks the PRIMARY deployment keeps (a rollback, a superseded deployment) or of a FAILED one are
 * cancelled. Level-triggered and idempotent: every caller (deployment events, tasks becoming
 * RUNNING or healthy, task registrations, the reconciler) may run it at any time, repeatedly.
 */
export async function paceService(deps: Deps, ref: { clusterArn: string; service: string }, options: PaceOptions = {}): Promise<PaceSummary | Ignored> {
  const { known, sleep = realSleep } = options;
  const service = known ?? (await describeService(deps, ref.clusterArn, ref.service));
  if (service?.serviceName === undefined) return ignored(`service ${ref.service} is unknown to ECS`);
  const unmanaged = unmanagedDeployment(service);
  if (unmanaged !== undefined) {
    deps.metrics.addMetric(MetricName.DeploymentsNotPaced, MetricUnit.Count, 1);
    return ignored(unmanaged);
  }
  if (options.skipSettled === true && settledDeployment(service)) return idle(service.serviceName, service.deployments?.[0]?.id ?? '');
  const lease = { clusterArn: ref.clusterArn, serviceName: service.serviceName };
  const holder = randomUUID();
  const intervalMs = deps.config.targetHealthRecheckSeconds * 1000;
  const leaseMs = (RECHECKS + 6) * intervalMs;
  if (!(await takePaceLease(deps, lease, holder, leaseMs))) {
    await markPaceDirty(deps, lease);
    if (!(await takePaceLease(deps, lease, holder, leaseMs))) return handedOver(lease.serviceName);
  }
  const waitUntil = deps.now().getTime() + RECHECKS * intervalMs;
  const drainsStarted: string[] = [];
  try {
    for (let pass = 1; ; pass += 1) {
      if (pass > 1 && !(await takePaceLease(deps, lease, holder, leaseMs))) return handedOver(lease.serviceName);
      const paced = await paceOnce(deps, ref, pass === 1 ? service : undefined);
      if ('ignored' in paced) {
        await releasePaceLease(deps, lease, holder);
        return paced;
      }
      drainsStarted.push(...paced.drainsStarted);
      // No event says that a target turned healthy: the holder looks again for a while.
      if (paced.waitingForTargets && deps.now().getTime() + intervalMs <= waitUntil) {
        await sleep(intervalMs);
        continue;
      }
      if (await releasePaceLease(deps, lease, holder)) return { ...paced, drainsStarted, passes: pass };
    }
  } catch (error) {
    await dropPaceLease(deps, lease, holder).catch(() => undefined);
    throw error;
  }
}

/** Passes that wait for load balancer targets per lease: each TARGET_HEALTH_RECHECK_SECONDS apart. */
const RECHECKS = 10;

function realSleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Another pacer holds the service; it was marked dirty and runs one more pass for this trigger. */
function handedOver(serviceName: string): PaceSummary {
  return idle(serviceName, '');
}

/** A summary of no pass: the service was settled, or another pacer took the trigger over. */
function idle(serviceName: string, deploymentId: string): PaceSummary {
  return { serviceName, deploymentId, leaving: 0, serving: 0, minServing: 0, waitingForTargets: false, drainsStarted: [], held: [], cancelled: [], restored: [], released: [], passes: 0 };
}

async function paceOnce(deps: Deps, ref: { clusterArn: string; service: string }, known?: Service): Promise<PaceSummary | Ignored> {
  const { clusterArn } = ref;
  let service = known ?? (await describeService(deps, clusterArn, ref.service));
  if (service?.serviceName === undefined) return ignored(`service ${ref.service} is unknown to ECS`);
  let view = deploymentView(service);
  if (view === undefined) return ignored(`service ${service.serviceName} has no PRIMARY deployment`);
  const serviceName = service.serviceName;
  const summary: PaceSummary = { ...idle(serviceName, view.primary.id), passes: 1 };
  for (let round = 1; round <= MAX_ROUNDS; round += 1) {
    if (round > 1) {
      // A round follows a lost claim: the service may have changed meanwhile too (a rollback, a newer deployment).
      const again = await describeService(deps, clusterArn, serviceName);
      const againView = again === undefined ? undefined : deploymentView(again);
      if (again === undefined || againView === undefined) return summary;
      [service, view] = [again, againView];
      summary.deploymentId = view.primary.id;
    }
    const mode = pacingMode(service);
    // The version is read before the state the decision rests on (see claimPacedDrains).
    const version = await readPaceVersion(deps, clusterArn, serviceName);
    const described = await describeTasks(deps, clusterArn, await listRunningTaskArns(deps, { clusterArn, serviceName }));
    const targets = await targetsHealthy(deps, service, described);
    const tasks: EcsTaskView[] = described
      .filter((task): task is typeof task & { taskArn: string } => task.taskArn !== undefined)
      .map((task) => {
        const healthy = targets?.get(task.taskArn);
        return { ...task, taskArn: task.taskArn, ...definedOnly({ targetsHealthy: healthy }) } as EcsTaskView;
      });
    // The index finds the service's items; a consistent read of each tells their state now (a drain
    // claimed a moment ago must not count as serving, or one task too many would be released).
    const registry = registryTable(deps);
    const indexed = await listClusterTasks(registry, clusterArn, serviceName);
    const running = new Set(tasks.map((task) => task.taskArn));
    const items = new Map((await readTasksConsistently(registry, indexed.filter((item) => running.has(item.taskArn)).map((item) => item.taskArn))).map((item) => [item.taskArn, item]));
    const plan = planPacing(view, tasks, items, mode);
    // Registered and running, only the load balancer is not sending it sessions yet.
    const waitingForTargets =
      plan.held.length > 0 &&
      tasks.some((task) => task.targetsHealthy === false && isServing({ ...task, targetsHealthy: true }, items.get(task.taskArn)));
    Object.assign(summary, {
      leaving: plan.leaving.length,
      serving: plan.serving,
      minServing: plan.minServing,
      waitingForTargets,
      held: plan.held.map((item) => item.taskArn),
    });

    if (round === 1) {
      const { cancel, restore } = await stillKept(deps, ref, tasks, plan);
      // Side by side: after a rollback every task still DRAINING turns users away until its cancel lands.
      const cancelled = await mapWithConcurrency(cancel, START_CONCURRENCY, (item) => cancelDrain(deps, item, DrainReason.Deployment, KEPT_BY_DEPLOYMENT));
      summary.cancelled.push(...cancel.filter((_, index) => cancelled[index] === true).map((item) => item.taskArn));
      for (const item of restore) if (await returnToService(deps, item)) summary.restored.push(item.taskArn);
      if (mode === 'rolling' && plan.unregistered.length > 0) {
        // No session can be counted on these: ECS replaces them at its own pace once they are unprotected.
        const released = await setTaskProtection(deps, { clusterArn, taskArns: plan.unregistered, enabled: false });
        summary.released.push(...released.updated.map((task) => task.taskArn), ...released.notApplicable);
      }
    }
    const confirmed = plan.release;
    if (confirmed.length === 0) return summary;

    const { claimed, moved } = await claimPacedDrains(deps, { clusterArn, serviceName }, version, confirmed);
    const started = await mapWithConcurrency(claimed, START_CONCURRENCY, (claim) =>
      startClaimedDrain(deps, { clusterArn, taskArn: claim.item.taskArn, serviceName, reason: DrainReason.Deployment }, claim),
    );
    started.forEach((result, index) => {
      if (result.status === 'started') summary.drainsStarted.push(claimed[index]?.item.taskArn ?? '');
    });
    if (!moved) return summary;
  }
  throw new PacingContendedError(`pacing ${serviceName} lost to concurrent pacers ${MAX_ROUNDS} times; the event will be retried`);
}

/**
 * The plan rests on a service read made before the registry read (the reconciler's even at the
 * start of its run), so a drain started in between would be judged on a service older than the
 * drain: the rollback hook drains green once a rollback made blue PRIMARY again, and the older
 * read still shows green PRIMARY, keeping green. So the service is read again, after the registry,
 * and only drains of tasks the service still keeps are given back. Rare: the extra call is cheap.
 */
async function stillKept(
  deps: Deps,
  ref: { clusterArn: string; service: string },
  tasks: readonly EcsTaskView[],
  plan: Pick<PacingPlan, 'cancel' | 'restore'>,
): Promise<Pick<PacingPlan, 'cancel' | 'restore'>> {
  if (plan.cancel.length === 0 && plan.restore.length === 0) return plan;
  const service = await describeService(deps, ref.clusterArn, ref.service);
  const primary = service === undefined ? undefined : deploymentView(service)?.primary;
  const kept = (item: TaskItem) => {
    const task = tasks.find((candidate) => candidate.taskArn === item.taskArn);
    return primary !== undefined && task !== undefined && keptByService(task, primary);
  };
  return { cancel: plan.cancel.filter(kept), restore: plan.restore.filter(kept) };
}

/**
 * A blue task whose drain ended without a stop (left for ECS's clean-up) that the service keeps
 * after all: a rollback during bake time sends production traffic back to it. ACTIVE again, and
 * protected again while it still holds sessions (its drain released protection when it ended).
 */
async function returnToService(deps: Deps, item: TaskItem): Promise<boolean> {
  if (item.executionArn === undefined) return false;
  const response = await restoreLeftTask(registryTable(deps), item.taskArn, item.executionArn);
  if (!response.applied) return false;
  const updated = response.item;
  if (updated.sessionCount > 0 && updated.serviceName !== undefined) {
    await setTaskProtection(deps, { clusterArn: updated.clusterArn, taskArns: [updated.taskArn], enabled: true });
  }
  deps.logger.info('blue task returned to service: the deployment rolled back', { taskArn: item.taskArn, sessions: updated.sessionCount });
  return true;
}

export class PacingContendedError extends NamedError {
  override readonly name = 'PacingContendedError';
}
