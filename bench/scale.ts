import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DescribeExecutionCommand, ListExecutionsCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { closeSession, openSession } from '@ecs-session-drain/agent/registry';
import { Rehearsal, sleep, type ThrottlingOptions } from '@ecs-session-drain/local';
import { BENCH_IAM, CLUSTER, taskDefinitionArn } from './config.js';
import { countsDelta, cpuDelta, type CpuSample, recordDeployments, sampleCpu } from './observe.js';

/**
 * The scale run: one deployment replaces N tasks, each holding one session, with the ECS twin
 * throttling every API action. Phase 1 (deploy -> every old task's drain is waiting) is the
 * orchestrator fanning out; phase 2 (every user leaves -> every task stopped) is the stream
 * completing N waits. The sessions are written to the registry directly, so their timing is
 * the benchmark's, not a workload's.
 */

export const SCALE_SERVICE = 'fleet';

/**
 * One bucket per API action, 50 requests of burst refilled at 20 per second: the example bucket
 * of ECS's throttling documentation (cluster read actions such as DescribeClusters,
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/request-throttling.html). The twin
 * applies it to every action alike, which is stricter than AWS for most task actions.
 */
export const ECS_THROTTLING: ThrottlingOptions = { ratePerSecond: 20, burst: 50 };

export interface ScaleOptions {
  tasks: number;
  /** Real seconds per scenario second (the scale run's times that matter are real: moto, the handlers). */
  scale: number;
  throttling: ThrottlingOptions;
  /** Real ms allowed for each phase. */
  phaseBudgetMs: number;
  /** Real ms without progress after which a phase is given up. */
  stallMs: number;
  log?: (line: string) => void;
}

export interface ScaleResult {
  tasks: number;
  throttling: ThrottlingOptions;
  /** Executions whose old task they drain: started, by final status, and tasks with more than one. */
  executions: number;
  byStatus: Record<string, number>;
  byOutcome: Record<string, number>;
  tasksDrained: number;
  duplicateTasks: number;
  oldTasksStopped: number;
  deploymentCompleted: boolean;
  phases: { setupMs: number; fanOutMs: number; fanOutComplete: boolean; drainMs: number; totalMs: number };
  /** Drain executions started per real second during phase 1. */
  startRate: number;
  /** Which function started the drains ("drain started" lines in each function's log). */
  startedBy: Record<string, number>;
  invocations: Record<string, number>;
  handlerMs: Record<string, number>;
  failures: Record<string, { errors: number; timeouts: number; asyncFailures: number }>;
  ecsCalls: Record<string, number>;
  ecsThrottled: Record<string, number>;
  gatewayMoto: Record<string, number>;
  cpu: CpuSample;
  problems: string[];
}

async function listExecutions(sfn: SFNClient, stateMachineArn: string): Promise<Array<{ name: string; executionArn: string; status: string }>> {
  const found: Array<{ name: string; executionArn: string; status: string }> = [];
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(new ListExecutionsCommand({ stateMachineArn, maxResults: 1000, ...(nextToken ? { nextToken } : {}) }));
    for (const execution of page.executions ?? []) found.push({ name: execution.name ?? '', executionArn: execution.executionArn ?? '', status: execution.status ?? 'UNKNOWN' });
    nextToken = page.nextToken;
  } while (nextToken);
  return found;
}

/** Runs `work` over `items`, `concurrency` at a time. */
export async function inBatches<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next] as T;
      next += 1;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}

/** Polls until done() holds; false once `progress()` has not grown for stallMs, or after budgetMs. */
export async function untilStalled(done: () => boolean, progress: () => number, stallMs: number, budgetMs: number, everyMs = 1000): Promise<boolean> {
  const startedAt = Date.now();
  let last = progress();
  let lastChange = startedAt;
  while (!done()) {
    const now = Date.now();
    const value = progress();
    if (value !== last) {
      last = value;
      lastChange = now;
    }
    if (now - lastChange > stallMs || now - startedAt > budgetMs) return false;
    await sleep(everyMs);
  }
  return true;
}

/** Lines logging a started drain, per function log file (<LogicalId>.log) of a run. */
export function drainStartsByFunction(logDir: string): Record<string, number> {
  const counts: Record<string, number> = {};
  let files: string[] = [];
  try {
    files = readdirSync(logDir).filter((file) => file.endsWith('Function.log'));
  } catch {
    return counts;
  }
  for (const file of files) {
    const lines = readFileSync(join(logDir, file), 'utf8').split('\n');
    const started = lines.filter((line) => line.includes('"message":"drain started"')).length;
    if (started > 0) counts[file.slice(0, -'.log'.length)] = started;
  }
  return counts;
}

/** drain-<task id>-<attempt>: the task a drain execution is for. */
export function taskIdOfExecution(name: string): string | undefined {
  return /^drain-([0-9a-f]+)-\d+$/.exec(name)?.[1];
}

function tally(values: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
}

export async function runScale(options: ScaleOptions): Promise<ScaleResult> {
  const log = options.log ?? (() => undefined);
  const started = Date.now();
  const rehearsal = await Rehearsal.start({
    scale: options.scale,
    clusterNames: [CLUSTER],
    throttling: options.throttling,
    parameters: { DefaultDrainSeconds: '7200', MaxDrainSeconds: '7200', HeartbeatTimeoutSeconds: '1800' },
    // The run's subject is the drain fan-out: heartbeats and the reconciler at a realistic share of the API.
    minHeartbeatMs: 120_000,
    iam: BENCH_IAM,
    reconcilerPeriodMs: 60_000,
    twinTickSeconds: Math.max(1, 0.25 / options.scale),
  });
  const deployments = recordDeployments(rehearsal.twin);
  try {
    const { twin, cloud, writer } = rehearsal;
    const td = (revision: number) => taskDefinitionArn(cloud.stack.region, cloud.stack.accountId, revision, SCALE_SERVICE);
    const clusterArn = twin.createCluster(CLUSTER);
    twin.createService({ cluster: clusterArn, name: SCALE_SERVICE, desiredCount: options.tasks, taskDefinition: td(1), stopTimeoutSeconds: 120 });
    log(`${options.tasks} tasks starting and registering`);
    const tasks = await rehearsal.waitFor(
      `${options.tasks} registered tasks`,
      () => {
        const accepting = rehearsal.apps.acceptingTasks((task) => task.clusterArn === clusterArn);
        return accepting.length >= options.tasks && accepting;
      },
      options.phaseBudgetMs,
      500,
    );
    const oldTaskArns = tasks.map((task) => task.taskArn);
    await inBatches(oldTaskArns, 16, (taskArn) => openSession(writer, taskArn, `user-of-${taskArn.slice(-12)}`));
    log('one session on every task; waiting for the stream handler to protect them');
    await rehearsal.waitFor(
      'every task to be protected',
      () => twin.snapshot().tasks.filter((task) => task.clusterArn === clusterArn && task.lastStatus === 'RUNNING' && task.protection.enabled).length >= options.tasks,
      options.phaseBudgetMs,
      1000,
    );
    const setupMs = Date.now() - started;

    const sfn = rehearsal.sfn;
    const before = { invocations: rehearsal.cloud.functions.stats(), gateway: cloud.gateway.counts(), cpu: sampleCpu(cloud.moto.pid) };
    const deployAt = Date.now();
    const deploymentId = twin.deploy(clusterArn, SCALE_SERVICE, td(2));
    log(`deployment: ${options.tasks} drains to start`);
    const armed = () => rehearsal.cloud.functions.invocationCount('ArmDrainWaitFunction') - (before.invocations.ArmDrainWaitFunction?.invocations ?? 0);
    let fanOutComplete = true;
    const progress = setInterval(() => log(`  ${armed()} drains waiting for their last session, ${((Date.now() - deployAt) / 1000).toFixed(0)} s`), 15_000);
    try {
      fanOutComplete = await untilStalled(() => armed() >= options.tasks, armed, options.stallMs, options.phaseBudgetMs);
      if (!fanOutComplete) log(`fan-out stalled at ${armed()} of ${options.tasks} drains`);
    } finally {
      clearInterval(progress);
    }
    const fanOutAt = Date.now();
    const startedExecutions = await listExecutions(sfn, rehearsal.stateMachineArn);
    log(`${startedExecutions.length} executions started in ${((fanOutAt - deployAt) / 1000).toFixed(0)} s; every user leaves`);
    await inBatches(oldTaskArns, 16, (taskArn) => closeSession(writer, taskArn, `user-of-${taskArn.slice(-12)}`));
    const oldStopped = () => twin.snapshot().tasks.filter((task) => task.clusterArn === clusterArn && task.taskDefinitionArn === td(1) && task.lastStatus === 'STOPPED').length;
    const drainProgress = setInterval(() => log(`  ${oldStopped()} of ${options.tasks} old tasks stopped`), 15_000);
    try {
      // Every old task stops in the end: drained, or (never drained) unprotected once its session closed.
      const stopped = await untilStalled(() => oldStopped() >= options.tasks, oldStopped, options.stallMs, options.phaseBudgetMs);
      if (!stopped) log(`old tasks stalled at ${oldStopped()} of ${options.tasks} stopped`);
      await rehearsal.waitFor('every drain execution to end', async () => (await listExecutions(sfn, rehearsal.stateMachineArn)).every((execution) => execution.status !== 'RUNNING'), 120_000, 2000).catch(
        (error: unknown) => log(`executions still running: ${(error as Error).message}`),
      );
    } finally {
      clearInterval(drainProgress);
    }
    const endedAt = Date.now();
    const after = { invocations: rehearsal.cloud.functions.stats(), gateway: cloud.gateway.counts(), cpu: sampleCpu(cloud.moto.pid) };
    const executions = await listExecutions(sfn, rehearsal.stateMachineArn);
    const outcomes: string[] = [];
    await inBatches(executions, 8, async (execution) => {
      const described = await sfn.send(new DescribeExecutionCommand({ executionArn: execution.executionArn }));
      outcomes.push((JSON.parse(described.output ?? '{}') as { outcome?: string }).outcome ?? execution.status);
    });
    const perTask = tally(executions.map((execution) => taskIdOfExecution(execution.name) ?? execution.name));
    const snapshot = twin.snapshot();
    const invocationsOf = (stats: typeof before.invocations) => Object.fromEntries(Object.entries(stats).map(([name, value]) => [name, value.invocations]));
    const msOf = (stats: typeof before.invocations) => Object.fromEntries(Object.entries(stats).map(([name, value]) => [name, value.totalDurationMs]));
    const failures: ScaleResult['failures'] = {};
    for (const [name, value] of Object.entries(after.invocations)) {
      const was = before.invocations[name];
      const entry = { errors: value.errors - (was?.errors ?? 0), timeouts: value.timeouts - (was?.timeouts ?? 0), asyncFailures: value.asyncFailures - (was?.asyncFailures ?? 0) };
      if (entry.errors + entry.timeouts + entry.asyncFailures > 0) failures[name] = entry;
    }
    const result: ScaleResult = {
      tasks: options.tasks,
      throttling: options.throttling,
      executions: executions.length,
      byStatus: tally(executions.map((execution) => execution.status)),
      byOutcome: tally(outcomes),
      tasksDrained: Object.keys(perTask).length,
      duplicateTasks: Object.values(perTask).filter((count) => count > 1).length,
      oldTasksStopped: snapshot.tasks.filter((task) => task.clusterArn === clusterArn && task.taskDefinitionArn === td(1) && task.lastStatus === 'STOPPED').length,
      deploymentCompleted: deployments.records.some((record) => record.deploymentId === deploymentId && record.rolloutState === 'COMPLETED'),
      phases: { setupMs, fanOutMs: fanOutAt - deployAt, fanOutComplete, drainMs: endedAt - fanOutAt, totalMs: endedAt - deployAt },
      startRate: startedExecutions.length / Math.max(0.001, (fanOutAt - deployAt) / 1000),
      startedBy: drainStartsByFunction(cloud.logDir),
      invocations: countsDelta(invocationsOf(before.invocations), invocationsOf(after.invocations)),
      handlerMs: countsDelta(msOf(before.invocations), msOf(after.invocations)),
      failures,
      ecsCalls: snapshot.apiCalls,
      ecsThrottled: snapshot.throttled,
      gatewayMoto: countsDelta(before.gateway.moto, after.gateway.moto),
      cpu: cpuDelta(before.cpu, after.cpu),
      problems: [...rehearsal.errors, ...rehearsal.cloud.problems].slice(0, 10),
    };
    log(`done: ${result.executions} executions, ${result.oldTasksStopped} old tasks stopped, ${result.duplicateTasks} tasks with more than one drain`);
    return result;
  } finally {
    deployments.stop();
    await rehearsal.stop();
  }
}
