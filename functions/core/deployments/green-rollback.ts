/*
 * A BLUE_GREEN, LINEAR or CANARY deployment rolled back after production traffic reached green:
 * ECS shifts production back to blue, runs the hooks of PRODUCTION_TRAFFIC_SHIFT again, then
 * removes green. Green's users hold sessions there. A Lambda hook at that stage (pause hooks are
 * not allowed at it) drains green's tasks and answers IN_PROGRESS until they are empty or their
 * drain deadline passed, so ECS removes green only when it holds nobody. Forward, the hook never
 * holds anything: it answers SUCCEEDED at once. See README "Deployment kinds".
 */
import type { LifecycleHookInvocation } from '../../events/lifecycle-hook.js';
import { mapWithConcurrency } from '../../shared/concurrency.js';
import type { Deps } from '../../shared/deps.js';
import { DrainReason } from '../../registry/model.js';
import { readTask } from '../../registry/tasks.js';
import { describeService, describeTasks, listRunningTaskArns } from '../ecs/lookups.js';
import { startDrain } from '../drain/start.js';
import { isDrainPending } from './blue-green.js';
import { pacingMode, unmanagedDeployment } from './pace-service.js';
import { registryTable } from '../../registry/conditional-write.js';

/** ECS's default re-invocation interval; a drain ends by an event, so the hook only needs to look again now and then. */
export const CALLBACK_DELAY_SECONDS = 30;
/** Carried by ECS between invocations of one hook execution (hookDetails): green's drains were all started. */
export const DRAINS_STARTED = 'greenDrainsStarted';
const CONCURRENCY = 10;

export type HookAnswer =
  | { hookStatus: 'SUCCEEDED' }
  | { hookStatus: 'IN_PROGRESS'; callBackDelay: number; hookDetails: Record<string, unknown> };

export interface RollbackHookResult {
  answer: HookAnswer;
  /** Why the hook answered as it did, for the log. */
  why: string;
  greenTasks?: number;
  drainsStarted?: number;
  pending?: number;
}

const done = (why: string): RollbackHookResult => ({ answer: { hookStatus: 'SUCCEEDED' }, why });

export async function holdRollbackForGreen(deps: Deps, hook: LifecycleHookInvocation): Promise<RollbackHookResult> {
  if (!hook.rollingBack) return done('production traffic moves forward: nothing to hold');
  const service = await describeService(deps, hook.clusterArn, hook.serviceArn);
  if (service?.serviceName === undefined) return done(`service ${hook.serviceArn} is unknown to ECS`);
  const unmanaged = unmanagedDeployment(service);
  if (unmanaged !== undefined) return done(unmanaged);
  if (pacingMode(service) === 'rolling') return done(`service ${service.serviceName} deploys with ROLLING: nothing shifts traffic`);
  const serviceName = service.serviceName;

  const running = await describeTasks(deps, hook.clusterArn, await listRunningTaskArns(deps, { clusterArn: hook.clusterArn, serviceName }));
  const green = running.filter((task) => task.taskArn !== undefined && task.startedBy === hook.greenDeploymentId && task.desiredStatus === 'RUNNING').map((task) => task.taskArn as string);

  let drainsStarted = 0;
  if (hook.hookDetails[DRAINS_STARTED] !== true) {
    // Started once per hook execution: a green task whose drain ended takes no new one on the next look.
    await mapWithConcurrency(green, CONCURRENCY, async (taskArn) => {
      const started = await startDrain(deps, { clusterArn: hook.clusterArn, taskArn, serviceName, reason: DrainReason.Deployment, ecsStopsTask: true });
      if (started.status === 'started') drainsStarted += 1;
    });
  }
  const items = await mapWithConcurrency(green, CONCURRENCY, (taskArn) => readTask(registryTable(deps), taskArn));
  const pending = items.filter(isDrainPending).length;
  const counts = { greenTasks: green.length, drainsStarted, pending };
  if (pending === 0) return { answer: { hookStatus: 'SUCCEEDED' }, why: 'green holds no session any more: ECS may remove it', ...counts };
  return {
    answer: { hookStatus: 'IN_PROGRESS', callBackDelay: CALLBACK_DELAY_SECONDS, hookDetails: { [DRAINS_STARTED]: true } },
    why: 'green tasks still drain',
    ...counts,
  };
}
