/*
 * Blue/green, linear and canary deployments: a pause lifecycle hook at POST_PRODUCTION_TRAFFIC_SHIFT
 * holds the deployment while the blue tasks drain, and the end of the last blue drain continues it.
 * The contract: docs/ecs-deployment-strategies.md.
 */
import { ContinueServiceDeploymentCommand } from '@aws-sdk/client-ecs';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { PauseHookAwaiting } from '../../events/ecs.js';
import { mapWithConcurrency } from '../../shared/concurrency.js';
import type { Deps } from '../../shared/deps.js';
import { ignored, type Ignored } from '../../shared/handler-kit.js';
import { registryTable } from '../../registry/conditional-write.js';
import { armHook, hookKey, markHookContinued, recordHook as recordHookTransition } from '../../registry/pace/items.js';
import { DrainReason, type TaskItem, TaskStatus } from '../../registry/model.js';
import { readTask } from '../../registry/tasks.js';
import { asRetryable } from '../ecs/errors.js';
import { describeService, describeTasks, listRunningTaskArns } from '../ecs/lookups.js';
import { startDrain } from '../drain/start.js';
import { isLeaving } from './pacing.js';
import { pacingMode, unmanagedDeployment } from './pace-service.js';


/** The service's paused hook and the blue tasks it waits for. */
interface HookItem {
  hookId: string;
  serviceDeploymentArn: string;
  blueTaskArns: string[];
  continuedAt?: string;
  /** False until every blue drain has been started: a blue task not claimed yet must not count as drained. */
  armed?: boolean;
}

export interface BlueDrainSummary {
  serviceName: string;
  hookId: string;
  blueTasks: string[];
  drainsStarted: string[];
  continued: ContinueResult;
}

export type ContinueResult = 'continued' | 'waiting' | 'nothing-paused';

const CONCURRENCY = 10;

/**
 * The production traffic has moved to green; blue tasks keep only the sessions they hold. Each
 * registered blue task gets a DEPLOYMENT drain that ECS, not the workflow, ends with a stop: the
 * task refuses new sessions, its users are told (drain notice, agent), and the hook holds the
 * clean-up until its sessions reach zero or the drain deadline passes.
 */
export async function drainBlueTasks(deps: Deps, hook: PauseHookAwaiting): Promise<BlueDrainSummary | Ignored> {
  const { clusterArn } = hook;
  const service = await describeService(deps, clusterArn, hook.serviceArn);
  if (service?.serviceName === undefined) return ignored(`service ${hook.serviceArn} is unknown to ECS`);
  const unmanaged = unmanagedDeployment(service);
  if (unmanaged !== undefined) return ignored(unmanaged);
  if (pacingMode(service) === 'rolling') return ignored(`service ${service.serviceName} deploys with ROLLING: its drains are paced, not held at a hook`);
  const primary = service.deployments?.find((deployment) => deployment.status === 'PRIMARY');
  if (primary?.id === undefined) return ignored(`service ${service.serviceName} has no PRIMARY deployment`);
  const serviceName = service.serviceName;
  const green = { id: primary.id };

  const tasks = await describeTasks(deps, clusterArn, await listRunningTaskArns(deps, { clusterArn, serviceName }));
  const blueTaskArns = tasks
    .filter((task) => task.taskArn !== undefined && isLeaving({ ...task, taskArn: task.taskArn }, green))
    .map((task) => task.taskArn as string);
  // The hook is recorded before any drain starts, so the drain that ends last always finds it.
  await recordHook(deps, clusterArn, serviceName, { hookId: hook.hookId, serviceDeploymentArn: hook.serviceDeploymentArn, blueTaskArns });

  const drainsStarted: string[] = [];
  await mapWithConcurrency(blueTaskArns, CONCURRENCY, async (taskArn) => {
    // A late duplicate of the hook event does not restart a blue drain an operator cancelled after it.
    const eventTime = hook.time === undefined ? {} : { eventTime: hook.time };
    const started = await startDrain(deps, { clusterArn, taskArn, serviceName, reason: DrainReason.Deployment, ecsStopsTask: true, ...eventTime });
    if (started.status === 'started') drainsStarted.push(taskArn);
  });
  await armHook(registryTable(deps), { clusterArn, serviceName }, hook.hookId);
  const continued = await continueIfBlueDrained(deps, { clusterArn, serviceName });
  return { serviceName, hookId: hook.hookId, blueTasks: blueTaskArns, drainsStarted, continued };
}

async function recordHook(deps: Deps, clusterArn: string, serviceName: string, hook: HookItem): Promise<void> {
  // The same hook was continued already: a late duplicate of its event changes nothing.
  await recordHookTransition(registryTable(deps), { clusterArn, serviceName }, hook, deps.now().toISOString());
}

/** Still draining: no outcome yet and the task still runs. Unregistered and stopped tasks hold nothing. */
export function isDrainPending(item: TaskItem | undefined): boolean {
  if (item === undefined || item.status === TaskStatus.Stopping || item.status === TaskStatus.Stopped) return false;
  if (item.drainOutcome !== undefined) return false;
  return item.status === TaskStatus.Draining || (item.executionArn !== undefined && item.drainReason !== undefined);
}

/**
 * Continues the paused deployment once no blue drain is pending. Every drain that ends calls this
 * after writing its outcome, and reads with consistent reads: of two drains ending together, the
 * later reader sees both outcomes, so the last one always continues. ContinueServiceDeployment is
 * called before the hook is marked continued, so a failed call is retried, never lost; a second
 * call for a hook that already moved on is answered with an error and counts as done.
 */
export async function continueIfBlueDrained(deps: Pick<Deps, 'ddb' | 'ecs' | 'config' | 'logger' | 'now'>, ref: { clusterArn: string; serviceName: string }): Promise<ContinueResult> {
  const read = await deps.ddb.send(new GetCommand({ TableName: deps.config.tableName, Key: hookKey(ref.clusterArn, ref.serviceName), ConsistentRead: true }));
  const hook = read.Item as HookItem | undefined;
  if (hook === undefined || hook.continuedAt !== undefined) return 'nothing-paused';
  // The hook's own handler checks once every drain is started; until then a blue task without a claim is not drained.
  if (hook.armed === false) return 'waiting';
  const items = await mapWithConcurrency(hook.blueTaskArns ?? [], CONCURRENCY, (taskArn) => readTask(registryTable(deps), taskArn));
  const pending = items.filter(isDrainPending).length;
  if (pending > 0) return 'waiting';

  try {
    await deps.ecs.send(new ContinueServiceDeploymentCommand({ serviceDeploymentArn: hook.serviceDeploymentArn, hookId: hook.hookId, action: 'CONTINUE' }));
  } catch (error) {
    const name = (error as Error).name;
    // The hook timed out, was continued by someone else, or the deployment rolled back: nothing waits.
    if (name !== 'InvalidParameterException' && name !== 'ClientException' && name !== 'ConflictException') throw asRetryable(error, 'ContinueServiceDeployment');
    deps.logger.info('paused hook no longer waiting', { hookId: hook.hookId, error: (error as Error).message });
  }
  await markHookContinued(registryTable(deps), ref, hook.hookId, deps.now().toISOString());
  deps.logger.info('blue tasks drained: deployment continued', { hookId: hook.hookId, serviceDeploymentArn: hook.serviceDeploymentArn, blueTasks: hook.blueTaskArns.length });
  return 'continued';
}
