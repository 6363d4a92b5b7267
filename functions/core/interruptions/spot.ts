/*
 * interruptions/: capacity that is going away (a Spot warning, an EC2 rebalance recommendation, a
 * container instance set to DRAINING) and the drains of the tasks on it: spot.ts, instances.ts,
 * leaving-tasks.ts (drain or release each leaving task), drain-notice.ts (the app-facing event).
 * May import drain/, workflow/ (a replacement asked for early), protection/, ecs/, registry/,
 * events/ and shared/; never reconcile/, deployments/ or handlers/.
 */
import type { Deps } from '../../shared/deps.js';
import { ignored, type Ignored } from '../../shared/handler-kit.js';
import { MetricName, MetricUnit } from '../../shared/powertools.js';
import { registryTable } from '../../registry/conditional-write.js';
import { markSpotDraining as markSpotDrainingTransition, takeOverForSpot } from '../../registry/tasks/drain.js';
import { DrainReason, type TaskItem, TaskStatus } from '../../registry/model.js';
import { readTask } from '../../registry/tasks.js';
import type { SpotWarning } from '../../events/spot.js';
import { SPOT_WARNING_LEAD_SECONDS } from '../../events/ec2.js';
import { launchReplacement } from '../workflow/replacement-capacity.js';
import { tallyDrain } from './leaving-tasks.js';
import { findContainerInstance, listRunningTaskArns } from '../ecs/lookups.js';
import { publishDrainNotice } from './drain-notice.js';
import { startDrain } from '../drain/start.js';
import { definedOnly } from '../../shared/optional.js';

export interface SpotSummary {
  kind: SpotWarning['kind'];
  clusterArn: string;
  deadline: string;
  tasks: number;
  notified: string[];
  drainsStarted: string[];
  alreadyDraining: string[];
  skipped: string[];
  replacementsRequested: string[];
  /** Tasks already draining for another reason whose drain now ends at the Spot deadline. */
  takenOver: string[];
}

/**
 * Two minutes is all a Spot warning leaves, so everything happens in this one invocation rather
 * than in the workflow's first steps: the task stops taking sessions (DRAINING), the application
 * hears about it, the drain workflow starts, and replacement capacity is asked for at once.
 *
 * The replacement is requested for a drain this invocation started (that SPOT workflow releases
 * it at its end; its own "Launch replacement" step asks again, the capacity set is per task, so
 * twice is once) and for a drain of another reason that the warning takes over: its deadline
 * becomes the Spot deadline (takeOverForSpot) and, as its workflow releases no replacement, the
 * reconciler gives that one back once the drain's execution has ended (the task item's
 * replacementRequested flag). A duplicate warning on a SPOT drain asks for nothing.
 *
 * Every step tolerates a duplicate event: the mark is conditional, the workflow start is
 * deterministic, and the notice is at-least-once like any EventBridge event.
 */
export async function handleSpotWarning(deps: Deps, warning: SpotWarning): Promise<SpotSummary | Ignored> {
  let clusterArn: string;
  let taskArns: string[];
  let deadline: Date;
  // A warning that does not say when it was sent (AWS's own samples) counts from its receipt: EventBridge
  // delivers ECS and EC2 events in near real time, so the deadline is at most that delay late.
  const warnedAt = (warning.time ?? deps.now()).getTime();
  if (warning.kind === 'fargate-spot') {
    clusterArn = warning.clusterArn;
    taskArns = [warning.taskArn];
    deadline = new Date(warnedAt + deps.config.fargateSpotWarningSeconds * 1000);
  } else {
    const located = await findContainerInstance(deps, warning.instanceId);
    if (located === undefined) return ignored(`EC2 instance ${warning.instanceId} is not a container instance of a cluster in scope`);
    clusterArn = located.clusterArn;
    taskArns = await listRunningTaskArns(deps, located);
    deadline = new Date(warnedAt + SPOT_WARNING_LEAD_SECONDS * 1000);
  }
  deps.metrics.addMetric(MetricName.SpotInterruptions, MetricUnit.Count, 1);

  const summary: SpotSummary = {
    kind: warning.kind,
    clusterArn,
    deadline: deadline.toISOString(),
    tasks: taskArns.length,
    notified: [],
    drainsStarted: [],
    alreadyDraining: [],
    skipped: [],
    replacementsRequested: [],
    takenOver: [],
  };
  for (const taskArn of taskArns) {
    const item = await markSpotDraining(deps, taskArn, deadline);
    if (item === undefined || item.status === TaskStatus.Stopping || item.status === TaskStatus.Stopped) {
      summary.skipped.push(taskArn);
      continue;
    }
    await publishDrainNotice(deps, {
      clusterArn,
      taskArn,
      ...definedOnly({ serviceName: item.serviceName }),
      reason: DrainReason.Spot,
      deadline: summary.deadline,
      sessionCount: item.sessionCount,
    });
    summary.notified.push(taskArn);
    if (await takeOverOtherDrain(deps, item, deadline)) {
      summary.takenOver.push(taskArn);
      if (item.serviceName !== undefined) await requestReplacementEarly(deps, { cluster: clusterArn, taskArn, service: item.serviceName }, summary);
      continue;
    }
    const result = await startDrain(deps, {
      clusterArn,
      taskArn,
      ...definedOnly({ serviceName: item.serviceName }),
      reason: DrainReason.Spot,
      deadline,
    });
    tallyDrain(summary, taskArn, result);
    if (result.status === 'started' && item.serviceName !== undefined) {
      await requestReplacementEarly(deps, { cluster: clusterArn, taskArn, service: item.serviceName }, summary);
    }
  }
  deps.logger.info('spot warning handled', { ...summary });
  return summary;
}

/**
 * ACTIVE -> DRAINING with reason SPOT, so that no new session lands on the task. A task that is
 * already draining (another drain, or a duplicate of this event) keeps its state; the caller
 * still notifies and starts the drain, which are idempotent. Returns the item as it now is, or
 * undefined when the registry does not know the task.
 */
export async function markSpotDraining(deps: Pick<Deps, 'ddb' | 'config' | 'logger'>, taskArn: string, deadline: Date): Promise<TaskItem | undefined> {
  const result = await markSpotDrainingTransition(registryTable(deps), taskArn, deadline);
  if (result.applied) return result.item;
  const item = await readTask(registryTable(deps), taskArn);
  deps.logger.info('task was not ACTIVE; left as it is', { taskArn, status: item?.status ?? 'not registered' });
  return item;
}

/** A drain open for another reason gets the Spot deadline; true when this call moved it. */
async function takeOverOtherDrain(deps: Deps, item: TaskItem, deadline: Date): Promise<boolean> {
  if (item.status !== TaskStatus.Draining || item.executionArn === undefined || item.drainReason === DrainReason.Spot) return false;
  const taken = await takeOverForSpot(registryTable(deps), item.taskArn, item.executionArn, deadline);
  if (!taken.applied) return false;
  deps.logger.info('Spot warning takes over a running drain: its deadline is now the Spot deadline', {
    taskArn: item.taskArn,
    executionArn: item.executionArn,
    previousReason: item.drainReason,
    previousDeadline: item.drainDeadline,
    deadline: deadline.toISOString(),
  });
  return true;
}

async function requestReplacementEarly(
  deps: Deps,
  input: { cluster: string; taskArn: string; service: string },
  summary: SpotSummary,
): Promise<void> {
  try {
    await launchReplacement(deps, input);
    summary.replacementsRequested.push(input.taskArn);
  } catch (error) {
    deps.logger.warn('early replacement request failed; the drain workflow asks again', { taskArn: input.taskArn, error: error as Error });
  }
}
