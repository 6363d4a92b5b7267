import type { ScaledClock } from '../cloud/clock.js';
import { asInput, invalidParameter, readBoolean, readInteger, readStringList, requireString } from './errors.js';
import type { TwinTask } from './model.js';
import { isInService, isProtected, PROTECTION_DEFAULT_MINUTES, PROTECTION_MAX_MINUTES } from './model.js';
import type { TwinStore } from './store.js';
import { protectedTaskView } from './views.js';

/*
 * UpdateTaskProtection / GetTaskProtection.
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_UpdateTaskProtection.html
 * - service tasks only: a standalone task fails with TASK_NOT_VALID;
 * - expiresInMinutes 1..2880, 120 by default, reset by every call that enables protection;
 * - DEPLOYMENT_BLOCKED "means the service has more protected tasks than the desired count"
 *   (task-scale-in-protection.html, considerations): modelled as refusing each task whose
 *   protection would take the service's protected tasks above its desired count.
 * A task that is stopping or stopped is not valid for protection either (TASK_NOT_VALID).
 */

export const UPDATE_PROTECTION_MAX_TASKS = 10;
export const GET_PROTECTION_MAX_TASKS = 100;

export interface ProtectionHost {
  clock: ScaledClock;
  store: TwinStore;
  /** (Re)arms the expiry timer of a protected task, or disarms it. */
  armExpiry(task: TwinTask): void;
}

interface Failure {
  arn: string;
  reason: string;
  detail?: string;
}

export function updateTaskProtection(host: ProtectionHost, rawInput: unknown): Record<string, unknown> {
  const input = asInput(rawInput);
  const cluster = host.store.resolveCluster(requireString(input, 'cluster'));
  const refs = readStringList(input, 'tasks') ?? [];
  const enabled = readBoolean(input, 'protectionEnabled');
  if (refs.length === 0) throw invalidParameter('tasks can not be null or empty.');
  if (refs.length > UPDATE_PROTECTION_MAX_TASKS) throw invalidParameter(`tasks can have at most ${UPDATE_PROTECTION_MAX_TASKS} items.`);
  if (enabled === undefined) throw invalidParameter('protectionEnabled can not be null.');
  const minutes = readInteger(input, 'expiresInMinutes') ?? PROTECTION_DEFAULT_MINUTES;
  if (enabled && (minutes < 1 || minutes > PROTECTION_MAX_MINUTES)) {
    throw invalidParameter(`The specified expiresInMinutes is invalid. Specify a value between 1 and ${PROTECTION_MAX_MINUTES}.`);
  }

  const now = host.clock.now();
  const protectedTasks: Record<string, unknown>[] = [];
  const failures: Failure[] = [];
  for (const ref of refs) {
    const task = host.store.findTask(cluster, ref);
    const refusal = task === undefined ? { arn: ref, reason: 'MISSING' } : refuse(host, task, enabled, now);
    if (refusal !== undefined) {
      failures.push(refusal);
      continue;
    }
    const found = task as TwinTask;
    found.protection = enabled ? { enabled: true, expiresAt: new Date(now.getTime() + host.clock.ms(minutes * 60)) } : { enabled: false };
    host.armExpiry(found);
    protectedTasks.push(protectedTaskView(found, now));
  }
  return { protectedTasks, failures };
}

function refuse(host: ProtectionHost, task: TwinTask, enabled: boolean, now: Date): Failure | undefined {
  if (task.serviceName === undefined) {
    return { arn: task.taskArn, reason: 'TASK_NOT_VALID', detail: 'Task protection is only supported for tasks that belong to a service.' };
  }
  if (task.lastStatus === 'STOPPED' || (enabled && task.desiredStatus === 'STOPPED')) {
    return { arn: task.taskArn, reason: 'TASK_NOT_VALID', detail: `The task is ${task.lastStatus} with desired status ${task.desiredStatus}.` };
  }
  if (!enabled || isProtected(task, now)) return undefined;
  const service = [...host.store.services.values()].find(
    (candidate) => candidate.clusterArn === task.clusterArn && candidate.serviceName === task.serviceName,
  );
  if (service === undefined) return undefined;
  const protectedCount = host.store.tasksOfService(service).filter((other) => isInService(other) && isProtected(other, now)).length;
  if (protectedCount + 1 > service.desiredCount) {
    return {
      arn: task.taskArn,
      reason: 'DEPLOYMENT_BLOCKED',
      detail: `Protecting the task would leave ${protectedCount + 1} protected tasks in service ${service.serviceName}, more than its desired count of ${service.desiredCount}.`,
    };
  }
  return undefined;
}

export function getTaskProtection(host: ProtectionHost, rawInput: unknown): Record<string, unknown> {
  const input = asInput(rawInput);
  const cluster = host.store.resolveCluster(requireString(input, 'cluster'));
  const refs = readStringList(input, 'tasks');
  if (refs !== undefined && refs.length > GET_PROTECTION_MAX_TASKS) throw invalidParameter(`tasks can have at most ${GET_PROTECTION_MAX_TASKS} items.`);
  const now = host.clock.now();
  const protectedTasks: Record<string, unknown>[] = [];
  const failures: Failure[] = [];
  const targets =
    refs?.map((ref) => ({ ref, task: host.store.findTask(cluster, ref) })) ??
    [...host.store.tasks.values()].filter((task) => task.clusterArn === cluster.clusterArn && isInService(task)).map((task) => ({ ref: task.taskArn, task }));
  for (const { ref, task } of targets) {
    if (task === undefined) failures.push({ arn: ref, reason: 'MISSING' });
    else if (task.serviceName === undefined) failures.push({ arn: task.taskArn, reason: 'TASK_NOT_VALID', detail: 'Task protection is only supported for tasks that belong to a service.' });
    else protectedTasks.push(protectedTaskView(task, now));
  }
  return { protectedTasks, failures };
}
