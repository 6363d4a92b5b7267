import { expect } from 'vitest';
import {
  type DrainExecution,
  type FargateCapacityProvider,
  type InvocationInfo,
  type LaunchType,
  type Rehearsal,
  runningTasks,
} from '@ecs-session-drain/local';
import { taskDefinitionArn } from './scenario.js';

/** Arranging and reading the fault scenarios (test/e2e/faults): small services, one fault at a time. */

export interface ServiceArrangement {
  cluster: string;
  name: string;
  count: number;
  launchType?: LaunchType;
  capacityProvider?: FargateCapacityProvider;
  stopTimeoutSeconds?: number;
}

/** Creates a service and waits until each of its tasks takes sessions; returns their ARNs. */
export async function startService(rehearsal: Rehearsal, arrangement: ServiceArrangement): Promise<string[]> {
  const { cluster, name, count } = arrangement;
  rehearsal.twin.createService({
    cluster,
    name,
    desiredCount: count,
    taskDefinition: taskDefinitionArn(rehearsal, name, 1),
    ...(arrangement.launchType ? { launchType: arrangement.launchType } : {}),
    ...(arrangement.capacityProvider ? { capacityProvider: arrangement.capacityProvider } : {}),
    ...(arrangement.stopTimeoutSeconds === undefined ? {} : { stopTimeoutSeconds: arrangement.stopTimeoutSeconds }),
  });
  await rehearsal.waitFor(`${count} tasks of ${name} accepting`, () => rehearsal.apps.acceptingTasks((task) => task.serviceName === name).length === count, 60_000);
  return runningTasks(rehearsal.twin, name).map((task) => task.taskArn);
}

/** Waits until every given task holds sessions and is protected, so that a drain has something to wait for. */
export async function waitProtected(rehearsal: Rehearsal, serviceName: string, taskArns: readonly string[]): Promise<void> {
  const wanted = new Set(taskArns);
  await rehearsal.waitFor(`tasks of ${serviceName} protected`, () =>
    runningTasks(rehearsal.twin, serviceName).filter((task) => wanted.has(task.taskArn) && task.protection.enabled).length === wanted.size,
  );
  // And recorded as such, so that the reconciler has nothing to repair that a scenario did not cause.
  await rehearsal.waitFor(`protection of ${serviceName} recorded`, async () => {
    const items = await Promise.all(taskArns.map((taskArn) => rehearsal.taskItem(taskArn)));
    return items.every((item) => item?.protectionState === 'PROTECTED');
  });
}

/** Fault plan matcher: invocations whose event names every one of these (a task ARN, a service name). */
export function mentioning(...needles: string[]): (invocation: InvocationInfo) => boolean {
  return (invocation) => {
    const text = JSON.stringify(invocation.event);
    return needles.every((needle) => text.includes(needle));
  };
}

/** The operator's DrainControlFunction, synchronously; fails the test when the function failed. */
export async function drainControl(rehearsal: Rehearsal, payload: Record<string, unknown>): Promise<Record<string, unknown>> {
  const result = await rehearsal.cloud.invoke('DrainControlFunction', payload);
  expect(result.functionError, JSON.stringify(result.payload)).toBeUndefined();
  return result.payload as Record<string, unknown>;
}

function attempt(execution: DrainExecution): number {
  return Number(/-(\d+)$/.exec(execution.name)?.[1] ?? 0);
}

/** The drains of one task, oldest attempt first. */
export async function drainsOf(rehearsal: Rehearsal, taskArn: string): Promise<DrainExecution[]> {
  return (await rehearsal.drainExecutions()).filter((execution) => execution.taskArn === taskArn).sort((a, b) => attempt(a) - attempt(b));
}

/**
 * Waits until the task's drain has ended: its latest execution succeeded, or ended after the
 * outcome was recorded on the task's item (a crash in the last step). A failed execution without
 * an outcome is waited past, for the reconciler to restart it. Returns every drain of the task.
 */
export async function drainsEnded(rehearsal: Rehearsal, taskArn: string, timeoutMs = 45_000): Promise<DrainExecution[]> {
  return rehearsal.waitFor(
    `the drain of ${taskArn} to end`,
    async () => {
      const drains = await drainsOf(rehearsal, taskArn);
      const last = drains.at(-1);
      if (last === undefined || last.status === 'RUNNING') return undefined;
      if (last.status === 'SUCCEEDED') return drains;
      const item = await rehearsal.taskItem(taskArn);
      return item?.drainOutcome !== undefined && item.executionArn === last.executionArn ? drains : undefined;
    },
    timeoutMs,
    250,
  );
}

/** The seed of a fault file: FAULT_SEED in the environment repeats a failing run. */
export function faultSeed(fallback: number): number {
  const given = Number(process.env.FAULT_SEED);
  return Number.isInteger(given) && given > 0 ? given : fallback;
}
