import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { expect } from 'vitest';
import { CAPACITY_SORT_KEY } from '../../../functions/registry/capacity/items.js';
import { SESSION_SORT_PREFIX, TASK_SORT_KEY, type TaskItem, TaskStatus } from '../../../functions/registry/model.js';
import { type DrainExecution, type Rehearsal, WaitTimeoutError } from '@ecs-session-drain/local';

/**
 * The four things every fault scenario must still hold at its end (issue 6):
 * 1. no session dropped that the scenario did not force;
 * 2. every drain reached an outcome (no execution running, no task left DRAINING or STOPPING);
 * 3. no duplicate drain (one successful drain per task and reason, no failed or aborted execution,
 *    unless the scenario itself broke that task's drain);
 * 4. the registry agrees with the world: each task item counts exactly its session items (and, for
 *    a live task, the sessions its app holds), and a stopped task's item is STOPPED.
 */

export interface HealthyEndOptions {
  /** Printed with every violation, so that a failing run can be repeated. */
  seed: number | string;
  /** Tasks whose sessions the scenario cut on purpose (crash, reclaim, lost heartbeat). */
  forcedDrops?: Iterable<string>;
  /** Tasks whose drain the scenario broke (a crashed step, a stopped execution): a restarted drain is expected there. */
  restarted?: Iterable<string>;
  /** Only the tasks of these services are judged (a file that runs one scenario per service); default all. */
  services?: readonly string[];
  /** How long the end may take to settle (default 45 s). */
  timeoutMs?: number;
}

interface RegistrySnapshot {
  tasks: TaskItem[];
  sessionItems: Map<string, number>;
  /** Replacement capacity per service (`<cluster ARN>#<service>`): the tasks still holding a surge. */
  surges: Map<string, string[]>;
}

async function scanRegistry(rehearsal: Rehearsal): Promise<RegistrySnapshot> {
  const tasks: TaskItem[] = [];
  const sessionItems = new Map<string, number>();
  const surges = new Map<string, string[]>();
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await rehearsal.writer.ddb.send(new ScanCommand({ TableName: rehearsal.writer.tableName, ConsistentRead: true, ExclusiveStartKey: startKey }));
    for (const item of page.Items ?? []) {
      if (item.sk === TASK_SORT_KEY) tasks.push(item as TaskItem);
      else if (typeof item.sk === 'string' && item.sk.startsWith(SESSION_SORT_PREFIX)) sessionItems.set(String(item.pk), (sessionItems.get(String(item.pk)) ?? 0) + 1);
      else if (item.sk === CAPACITY_SORT_KEY) surges.set(`${String(item.clusterArn)}#${String(item.serviceName)}`, [...((item.surge as Set<string> | undefined) ?? [])]);
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey !== undefined);
  return { tasks, sessionItems, surges };
}

function short(taskArn: string | undefined): string {
  return (taskArn ?? '?').split('/').pop()?.slice(0, 12) ?? '?';
}

function droppedUnforced(rehearsal: Rehearsal, forced: ReadonlySet<string>): string[] {
  return rehearsal.ledger
    .dropped((record) => !forced.has(record.taskArn ?? ''))
    .map((record) => `session ${record.id} on task ${short(record.taskArn)} dropped (${record.dropCause ?? '?'}, ${record.stopReason ?? 'no stop reason'})`);
}

function attemptOf(execution: DrainExecution): number {
  return Number(/-(\d+)$/.exec(execution.name)?.[1] ?? 0);
}

function drainViolations(executions: readonly DrainExecution[], restarted: ReadonlySet<string>, items: ReadonlyMap<string, TaskItem>): string[] {
  const violations: string[] = [];
  const succeeded = new Map<string, string[]>();
  const latest = new Map<string, DrainExecution>();
  for (const execution of executions) {
    const task = execution.taskArn ?? '?';
    const previous = latest.get(task);
    if (previous === undefined || attemptOf(execution) > attemptOf(previous)) latest.set(task, execution);
  }
  // A broken drain must have been carried to an outcome by a later attempt (or have recorded one before it broke).
  for (const [task, execution] of latest) {
    const item = items.get(task);
    const recorded = item?.drainOutcome !== undefined && item.executionArn === execution.executionArn;
    if (execution.status !== 'SUCCEEDED' && execution.status !== 'RUNNING' && !recorded) {
      violations.push(`task ${short(task)}: its last drain ${execution.name} ended ${execution.status} and nothing carried it to an outcome`);
    }
  }
  for (const execution of executions) {
    const task = execution.taskArn ?? '?';
    if (execution.status === 'RUNNING') violations.push(`execution ${execution.name} (${execution.reason ?? '?'}) is still RUNNING`);
    else if (execution.status !== 'SUCCEEDED' && !restarted.has(task)) violations.push(`execution ${execution.name} ended ${execution.status}, on a task the scenario did not break`);
    if (execution.status === 'SUCCEEDED') {
      if (execution.outcome === undefined) violations.push(`execution ${execution.name} SUCCEEDED without an outcome`);
      const key = `${task}|${execution.reason ?? '?'}`;
      succeeded.set(key, [...(succeeded.get(key) ?? []), execution.name]);
    }
  }
  for (const [key, names] of succeeded) {
    const [task = '?', reason] = key.split('|');
    if (names.length > 1 && !restarted.has(task)) violations.push(`task ${short(task)} drained ${names.length} times for ${reason}: ${names.join(', ')}`);
  }
  return violations;
}

function registryViolations(rehearsal: Rehearsal, registry: RegistrySnapshot, executions: readonly DrainExecution[]): string[] {
  const violations: string[] = [];
  const twinTasks = new Map(rehearsal.twin.snapshot().tasks.map((task) => [task.taskArn, task]));
  const executionByArn = new Map(executions.map((execution) => [execution.executionArn, execution]));
  for (const item of registry.tasks) {
    const name = `task ${short(item.taskArn)}`;
    const twin = twinTasks.get(item.taskArn);
    const sessionItems = registry.sessionItems.get(item.taskArn) ?? 0;
    if (item.sessionCount !== sessionItems) violations.push(`${name}: sessionCount ${item.sessionCount} but ${sessionItems} session items`);
    if (twin?.lastStatus === 'STOPPED' && item.status !== TaskStatus.Stopped) violations.push(`${name} is STOPPED in ECS but ${item.status} in the registry`);
    if (item.status === TaskStatus.Stopped && twin !== undefined && twin.lastStatus !== 'STOPPED') violations.push(`${name} is STOPPED in the registry but ${twin.lastStatus} in ECS`);
    if (item.status === TaskStatus.Draining) violations.push(`${name} is still DRAINING (${item.drainReason ?? '?'}, ${item.executionArn?.split(':').pop() ?? 'no execution'})`);
    if (item.status === TaskStatus.Stopping && twin?.lastStatus !== 'STOPPED' && twin?.desiredStatus !== 'STOPPED') violations.push(`${name} is STOPPING but ECS was not asked to stop it`);
    if (twin?.lastStatus === 'RUNNING' && twin.desiredStatus === 'RUNNING' && rehearsal.processes === undefined) {
      const held = rehearsal.apps.sessionCount(item.taskArn);
      if (held !== item.sessionCount) violations.push(`${name}: sessionCount ${item.sessionCount} but its app holds ${held} sessions`);
    }
    if (item.replacementRequested === true) violations.push(`${name} still holds replacement capacity (replacementRequested)`);
    if (item.executionArn !== undefined && item.drainOutcome === undefined) {
      const execution = executionByArn.get(item.executionArn);
      // A drain claimed for a task that stopped before "Record drain" ends TASK_GONE without writing the item.
      const goneBeforeStart = execution?.status === 'SUCCEEDED' && execution.outcome === 'TASK_GONE';
      if (!goneBeforeStart && item.status !== TaskStatus.Active) violations.push(`${name} (${item.status}) has a drain (${item.executionArn.split(':').pop()}) but no drainOutcome`);
      // A claim whose StartExecution never happened is harmless on an ACTIVE task (the next start reuses it).
      if (execution === undefined && item.status !== TaskStatus.Active) violations.push(`${name} claims drain ${item.executionArn.split(':').pop()}, which was never started`);
    }
  }
  return violations;
}

function scopeOf(rehearsal: Rehearsal, services: readonly string[] | undefined): (taskArn: string | undefined) => boolean {
  if (services === undefined) return () => true;
  const wanted = new Set(services);
  const tasks = new Set(rehearsal.twin.snapshot().tasks.filter((task) => task.serviceName !== undefined && wanted.has(task.serviceName)).map((task) => task.taskArn));
  return (taskArn) => taskArn !== undefined && tasks.has(taskArn);
}

/** Everything that is wrong at this moment; empty when the scenario ended healthy. */
export async function healthViolations(rehearsal: Rehearsal, options: HealthyEndOptions): Promise<string[]> {
  const forced = new Set(options.forcedDrops ?? []);
  const restarted = new Set(options.restarted ?? []);
  const inScope = scopeOf(rehearsal, options.services);
  const executions = (await rehearsal.drainExecutions()).filter((execution) => inScope(execution.taskArn));
  const scanned = await scanRegistry(rehearsal);
  const registry = { ...scanned, tasks: scanned.tasks.filter((item) => inScope(item.taskArn)) };
  for (const record of rehearsal.ledger.records()) if (!inScope(record.taskArn)) forced.add(record.taskArn ?? '');
  const items = new Map(registry.tasks.map((item) => [item.taskArn, item]));
  const surgeViolations = [...registry.surges.entries()]
    .filter(([service]) => options.services === undefined || options.services.includes(service.split('#').pop() ?? ''))
    .flatMap(([service, surge]) => surge.map((taskArn) => `service ${service.split('#').pop()}: task ${short(taskArn)} still counts as a surge in its desired count`));
  return [...droppedUnforced(rehearsal, forced), ...drainViolations(executions, restarted, items), ...registryViolations(rehearsal, registry, executions), ...surgeViolations];
}

/**
 * Waits (real time) for the scenario to settle, then asserts the four invariants, listing every
 * violation with the seed. Drops are final as soon as they happen, so they fail at once.
 */
export async function assertHealthyEnd(rehearsal: Rehearsal, options: HealthyEndOptions): Promise<void> {
  let violations: string[] = [];
  try {
    await rehearsal.waitFor(
      'a healthy end',
      async () => {
        violations = await healthViolations(rehearsal, options);
        return violations.length === 0 || violations.every((violation) => violation.startsWith('session '));
      },
      options.timeoutMs ?? 45_000,
      500,
    );
  } catch (error) {
    if (!(error instanceof WaitTimeoutError)) throw error;
  }
  expect(violations, `seed ${options.seed}: the scenario did not end healthy`).toEqual([]);
}
