import { z } from 'zod';
import { taskArnPattern } from '../../events/arns.js';
import type { Config } from '../../shared/config.js';
import type { Deps } from '../../shared/deps.js';
import { describeIssues } from '../../shared/issues.js';
import { registryTable } from '../../registry/conditional-write.js';
import { requestDrainControl } from '../../registry/tasks/drain.js';
import { readDrainWait } from '../../registry/tasks/waits.js';
import { DrainControl, DrainReason, type TaskItem, TaskStatus, WaitError } from '../../registry/model.js';
import { readTask } from '../../registry/tasks.js';
import { releaseAll, type ReleaseSummary } from './release-all.js';
import { startDrain } from './start.js';
import { failDrainWait } from './wait-signals.js';
import { definedOnly } from '../../shared/optional.js';

/**
 * Manual drain control, for operators:
 *   {"action":"drain","taskArn":"...","cluster":"...","drainSeconds":1800}   (or "deadline": ISO-8601)
 *   {"action":"cancel","taskArn":"..."}
 *   {"action":"force-stop","taskArn":"..."}
 *   {"action":"release-all","cluster":"..."}   (cluster optional: every cluster in scope; release-all.ts)
 * A person reads the answer, so every refusal comes back as { ok: false, error } with the reason,
 * and a refused request changes nothing.
 */


// The format every event parser checks: a request for anything else could never match a task ECS runs.
const TASK_ARN = z.string().regex(taskArnPattern, 'must be a task ARN (arn:aws:ecs:<region>:<account>:task/<cluster>/<id>)');

const RequestSchema = z.discriminatedUnion('action', [
  z.strictObject({
    action: z.literal('drain'),
    taskArn: TASK_ARN,
    cluster: z.string().min(1).optional(),
    deadline: z.iso.datetime({ offset: true, message: 'must be an ISO-8601 date-time, e.g. 2026-01-31T18:00:00Z' }).optional(),
    drainSeconds: z.number().int().positive().optional(),
  }),
  z.strictObject({
    action: z.enum(['cancel', 'force-stop']),
    taskArn: TASK_ARN,
    cluster: z.string().min(1).optional(),
  }),
  z.strictObject({
    action: z.literal('release-all'),
    cluster: z.string().min(1).optional(),
  }),
]);
export type DrainControlRequest = z.infer<typeof RequestSchema>;
export type DrainControlAction = DrainControlRequest['action'];

export type DrainControlResponse =
  | {
      ok: true;
      action: DrainControlAction;
      taskArn: string;
      clusterArn: string;
      result: string;
      message: string;
      executionArn?: string;
    }
  | ({ ok: true; action: 'release-all'; result: 'released'; message: string } & ReleaseSummary)
  | { ok: false; action?: string; taskArn?: string; error: string };

/** A cluster given by name or ARN, resolved against the clusters in scope. */
export function resolveCluster(config: Pick<Config, 'clusterArns'>, cluster: string): string | undefined {
  return config.clusterArns.find((arn) => arn === cluster || arn.endsWith(`:cluster/${cluster}`));
}

/** Validates the payload; the answer is either a request to act on or the reason there is none. */
export function parseDrainControlRequest(
  payload: unknown,
  deps: Pick<Deps, 'config' | 'now'>,
): { request: DrainControlRequest; deadline?: Date } | { error: string } {
  const parsed = RequestSchema.safeParse(payload);
  if (!parsed.success) {
    return { error: `invalid request: ${describeIssues(parsed.error, { limit: Number.POSITIVE_INFINITY })}. Expected {"action":"drain"|"cancel"|"force-stop","taskArn":"...","cluster"?:"..."} or {"action":"release-all","cluster"?:"..."}` };
  }
  const request = parsed.data;
  if (request.action !== 'drain') return { request };
  if (request.deadline !== undefined && request.drainSeconds !== undefined) {
    return { error: 'invalid request: give either deadline or drainSeconds, not both' };
  }
  const { maxDrainSeconds } = deps.config;
  if (request.drainSeconds !== undefined) {
    if (request.drainSeconds > maxDrainSeconds) {
      return { error: `invalid request: drainSeconds must be at most ${maxDrainSeconds} (MAX_DRAIN_SECONDS)` };
    }
    return { request, deadline: new Date(deps.now().getTime() + request.drainSeconds * 1000) };
  }
  if (request.deadline !== undefined) {
    const deadline = new Date(request.deadline);
    const seconds = (deadline.getTime() - deps.now().getTime()) / 1000;
    if (seconds <= 0) return { error: `invalid request: deadline ${request.deadline} is in the past` };
    if (seconds > maxDrainSeconds) {
      return { error: `invalid request: deadline is more than ${maxDrainSeconds} seconds (MAX_DRAIN_SECONDS) away` };
    }
    return { request, deadline };
  }
  return { request };
}

export async function controlDrain(deps: Deps, payload: unknown): Promise<DrainControlResponse> {
  const parsed = parseDrainControlRequest(payload, deps);
  if ('error' in parsed) return { ok: false, error: parsed.error };
  const { request, deadline } = parsed;
  if (request.action === 'release-all') return releaseEverything(deps, request.cluster);
  const refuse = (error: string): DrainControlResponse => ({ ok: false, action: request.action, taskArn: request.taskArn, error });

  let clusterArn: string | undefined;
  if (request.cluster !== undefined) {
    clusterArn = resolveCluster(deps.config, request.cluster);
    if (clusterArn === undefined) return refuse(`cluster ${request.cluster} is not one this orchestrator manages (CLUSTER_ARNS)`);
  }
  const item = await readTask(registryTable(deps), request.taskArn);
  if (item === undefined) return refuse('the task is not in the session registry (its agent never registered it)');
  if (clusterArn !== undefined && item.clusterArn !== clusterArn) {
    return refuse(`the task belongs to cluster ${item.clusterArn}, not ${clusterArn}`);
  }
  if (!deps.config.clusterArns.includes(item.clusterArn)) {
    return refuse(`the task's cluster ${item.clusterArn} is not one this orchestrator manages (CLUSTER_ARNS)`);
  }

  if (request.action === 'drain') return drain(deps, item, deadline);
  return requestControl(deps, item, request.action === 'cancel' ? DrainControl.Cancel : DrainControl.ForceStop);
}

async function drain(deps: Deps, item: TaskItem, deadline: Date | undefined): Promise<DrainControlResponse> {
  const base = { action: 'drain' as const, taskArn: item.taskArn, clusterArn: item.clusterArn };
  const result = await startDrain(deps, {
    clusterArn: item.clusterArn,
    taskArn: item.taskArn,
    ...definedOnly({ serviceName: item.serviceName }),
    reason: DrainReason.Manual,
    ...definedOnly({ deadline }),
  });
  switch (result.status) {
    case 'started':
      return { ok: true, ...base, result: 'started', executionArn: result.executionArn, message: `drain started (attempt ${result.attempt})` };
    case 'already-draining':
      return {
        ok: true,
        ...base,
        result: 'already-draining',
        ...definedOnly({ executionArn: result.executionArn }),
        message: 'a drain is already running for this task; nothing changed',
      };
    case 'task-stopped':
      return { ok: false, action: 'drain', taskArn: item.taskArn, error: 'the task is already stopping or stopped' };
    case 'cancelled-by-operator':
      // Only event-driven starts carry an event time; an operator's own drain is never older than a cancel.
      return { ok: false, action: 'drain', taskArn: item.taskArn, error: 'an operator cancelled a later drain of this task' };
    case 'not-registered':
      return { ok: false, action: 'drain', taskArn: item.taskArn, error: 'the task is not in the session registry' };
  }
}

/**
 * Every drain stopped, every DRAINING task ACTIVE again, every protection off, in the clusters in
 * scope or the one named. The orchestrator keeps running: new triggers start new drains, and the
 * reconciler protects busy tasks again within a minute (README "Release everything").
 */
async function releaseEverything(deps: Deps, cluster: string | undefined): Promise<DrainControlResponse> {
  const clusterArn = cluster === undefined ? undefined : resolveCluster(deps.config, cluster);
  if (cluster !== undefined && clusterArn === undefined) {
    return { ok: false, action: 'release-all', error: `cluster ${cluster} is not one this orchestrator manages (CLUSTER_ARNS); nothing changed` };
  }
  const summary = await releaseAll(deps, {
    clusterArns: clusterArn === undefined ? deps.config.clusterArns : [clusterArn],
    // Executions carry their cluster only in their input: a release of one cluster goes by its items.
    stopEveryExecution: clusterArn === undefined,
    trigger: 'operator',
  });
  const message =
    `${summary.drainsStopped} drain(s) stopped, ${summary.tasksReleased} task(s) back to ACTIVE, ${summary.tasksUnprotected} task(s) unprotected` +
    (summary.replacementsKept > 0 ? `, ${summary.replacementsKept} replacement(s) left in their service's desired count` : '') +
    (summary.failures > 0 ? `; ${summary.failures} failure(s): run the same command again` : '');
  return { ok: true, action: 'release-all', result: 'released', message, ...summary };
}

const CONTROL_ACTIONS = {
  [DrainControl.Cancel]: { action: 'cancel', waitError: WaitError.Cancelled, effect: 'the task returns to ACTIVE' },
  [DrainControl.ForceStop]: { action: 'force-stop', waitError: WaitError.ForceStop, effect: 'the task is stopped now' },
} as const;

/**
 * Leaves the request on the draining item, then wakes the waiting step if there is one. Before the
 * workflow reaches its wait there is no token: the step that arms the wait reads drainControl.
 * Repeating the same request is safe (it signals again); a different request already left wins.
 */
async function requestControl(deps: Deps, item: TaskItem, control: DrainControl): Promise<DrainControlResponse> {
  const { action, waitError, effect } = CONTROL_ACTIONS[control];
  const response = await requestDrainControl(registryTable(deps), item.taskArn, control, deps.now());
  if (!response.applied) {
    const current = await readTask(registryTable(deps), item.taskArn);
    const reason =
      current === undefined
        ? 'the task is no longer in the registry'
        : current.status !== TaskStatus.Draining
          ? `the task is not draining (status ${current.status})`
          : `${current.drainControl} was already requested for this drain`;
    return { ok: false, action, taskArn: item.taskArn, error: `${action} refused: ${reason}; nothing changed` };
  }
  const updated = response.item;

  const base = { ok: true as const, action, taskArn: item.taskArn, clusterArn: item.clusterArn };
  const executionArn = updated.executionArn === undefined ? {} : { executionArn: updated.executionArn };
  const token = await readDrainWait(registryTable(deps), updated);
  if (token === undefined) {
    return { ...base, ...executionArn, result: 'requested', message: `${control} recorded; the workflow acts on it before it waits, and ${effect}` };
  }
  try {
    const signal = await failDrainWait(deps, token, waitError, `operator requested ${action}`);
    return {
      ...base,
      ...executionArn,
      result: signal === 'sent' ? 'signalled' : 'requested',
      message:
        signal === 'sent'
          ? `${control} sent to the waiting workflow; ${effect}`
          : `${control} recorded, but the workflow had already stopped waiting`,
    };
  } catch (error) {
    deps.logger.error('drain control recorded but not signalled', { taskArn: item.taskArn, control, error });
    return {
      ok: false,
      action,
      taskArn: item.taskArn,
      error: `${control} recorded, but the waiting workflow could not be told (${(error as Error).message}); run the same command again`,
    };
  }
}
