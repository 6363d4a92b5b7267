import {
  arrivalsPerMinuteFor,
  Rehearsal,
  runningTasks,
  type SessionRecord,
  type SessionWorkload,
  sleep,
  type TwinTask,
} from '@ecs-session-drain/local';
import { BENCH_IAM, type BenchConfig, CLUSTER, SERVICE, taskDefinitionArn } from './config.js';
import { laneSessions } from './metrics.js';
import { countsDelta, countTaskWrites, cpuDelta, type CpuSample, recordDeployments, sampleCpu, type TaskWriteCounts } from './observe.js';
import type { Strategy } from './strategies.js';
import { BenchRunError, type ExecutionObservation, failedDrain, observeExecutions, pollRealSeconds, usePollingWorkflow } from './workflow.js';

/**
 * One local cloud running one or more strategies side by side ("lanes"): each lane is a service
 * of its own cluster with its own copy of the seeded workload, deployed at the same moment. The
 * strategies without a drain workflow share a run (their clusters are outside the stack's scope,
 * so the orchestrator leaves them alone); each drain workflow gets a run of its own, because the
 * stack has one state machine.
 */

export interface LaneObservation {
  strategy: Strategy;
  clusterArn: string;
  desiredCount: number;
  oldTaskDefinition: string;
  /** Real epoch ms of the deploy call, and of the deployment's COMPLETED event. */
  deployStartedAt: number;
  deploymentCompletedAt?: number;
  /** Every task the service ever ran, as the twin last saw it. */
  tasks: TwinTask[];
  sessions: SessionRecord[];
  executions: ExecutionObservation[];
}

export interface RunObservation {
  scale: number;
  lanes: LaneObservation[];
  /** From the deploy call to the end of the last drain: */
  windowMs: number;
  invocations: Record<string, number>;
  handlerMs: Record<string, number>;
  gateway: { lambda: Record<string, number>; ecs: Record<string, number>; moto: Record<string, number> };
  taskWrites: TaskWriteCounts;
  cpu: CpuSample;
  /** Handler failures in the window, by function: timeouts, errors, asynchronous events given up. */
  failures: Record<string, { errors: number; timeouts: number; asyncFailures: number }>;
  /** Whole run, start-up included. */
  wallMs: number;
  problems: string[];
}

type Log = (line: string) => void;

function sum(values: Record<string, { totalDurationMs: number }>): Record<string, number> {
  return Object.fromEntries(Object.entries(values).map(([key, value]) => [key, value.totalDurationMs]));
}

type Stats = Record<string, { errors: number; timeouts: number; asyncFailures: number }>;

export function failuresDelta(before: Stats, after: Stats): RunObservation['failures'] {
  const failures: RunObservation['failures'] = {};
  for (const [name, value] of Object.entries(after)) {
    const was = before[name];
    const entry = { errors: value.errors - (was?.errors ?? 0), timeouts: value.timeouts - (was?.timeouts ?? 0), asyncFailures: value.asyncFailures - (was?.asyncFailures ?? 0) };
    if (entry.errors + entry.timeouts + entry.asyncFailures > 0) failures[name] = entry;
  }
  return failures;
}

function invocationCounts(rehearsal: Rehearsal): Record<string, number> {
  return Object.fromEntries(Object.entries(rehearsal.cloud.functions.stats()).map(([key, value]) => [key, value.invocations]));
}

/** Waits for the deployments; a failed drain execution ends the run at once, since a broken workflow would only look slow. */
async function untilDeployed(rehearsal: Rehearsal, done: () => boolean, budgetMs: number, workflow: boolean): Promise<void> {
  const giveUpAt = Date.now() + budgetMs;
  let nextCheck = Date.now() + 5000;
  while (!done()) {
    if (Date.now() > giveUpAt) throw new BenchRunError(`the deployments did not complete within ${Math.round(budgetMs / 1000)} s`);
    if (workflow && Date.now() >= nextCheck) {
      const failed = await failedDrain(rehearsal);
      if (failed !== undefined) throw new BenchRunError(`a drain execution failed, so the run would never end: ${failed}`);
      nextCheck = Date.now() + 5000;
    }
    await sleep(250);
  }
}

export interface LaneRunOptions {
  config: BenchConfig;
  strategies: readonly Strategy[];
  log?: Log;
  /**
   * Runs beside the deployment, from the deploy call until it resolves, as users would act
   * (a test's users leave once their tasks drain, whatever real time the drain took to start).
   */
  whileDeploying?: (rehearsal: Rehearsal) => Promise<void>;
}

export async function runLanes(options: LaneRunOptions): Promise<RunObservation> {
  const { config, strategies } = options;
  const log = options.log ?? (() => undefined);
  const started = Date.now();
  const workflow = strategies.find((candidate) => candidate.waits !== 'none')?.waits;
  if (workflow !== undefined && strategies.length > 1) throw new BenchRunError('a drain workflow strategy runs alone: the stack has one state machine');
  const drainSeconds = String(Math.max(60, Math.round(config.drainDeadlineSeconds * config.scale)));
  const rehearsal = await Rehearsal.start({
    scale: config.scale,
    clusterNames: [CLUSTER],
    parameters: { DefaultDrainSeconds: drainSeconds, MaxDrainSeconds: drainSeconds, HeartbeatTimeoutSeconds: String(config.heartbeatTimeoutRealSeconds) },
    minHeartbeatMs: config.minHeartbeatMs,
    iam: BENCH_IAM,
    // The scheduler also reacts to every change; its periodic pass need not run more than 20 times a second.
    twinTickSeconds: Math.max(1, 0.05 / config.scale),
  });
  const deployments = recordDeployments(rehearsal.twin);
  const writes = countTaskWrites(rehearsal.writer);
  const workloads: SessionWorkload[] = [];
  try {
    if (workflow === 'polling') await usePollingWorkflow(rehearsal, pollRealSeconds(config));
    const { region, accountId } = rehearsal.cloud.stack;
    const lanes = strategies.map((strategy) => {
      const cluster = strategy.waits === 'none' ? strategy.id : CLUSTER;
      const clusterArn = rehearsal.twin.createCluster(cluster);
      rehearsal.twin.createService({
        cluster: clusterArn,
        name: SERVICE,
        desiredCount: config.tasks,
        taskDefinition: taskDefinitionArn(region, accountId, 1),
        stopTimeoutSeconds: config.stopTimeoutSeconds,
        startupSeconds: config.startupSeconds,
        ...(strategy.deregistrationDelaySeconds > 0 ? { deregistrationDelaySeconds: strategy.deregistrationDelaySeconds } : {}),
      });
      return { strategy, cluster, clusterArn };
    });
    log(`${lanes.map((lane) => lane.strategy.short).join(', ')}: ${config.tasks} tasks each, starting`);
    await rehearsal.waitFor(
      'every service to accept sessions',
      () => lanes.every((lane) => rehearsal.apps.acceptingTasks((task) => task.clusterArn === lane.clusterArn).length >= config.tasks),
      120_000,
      200,
    );
    const sessions = config.tasks * config.sessionsPerTask;
    const arrivalsPerMinute = arrivalsPerMinuteFor(sessions, config.durations);
    for (const lane of lanes) {
      const workload = rehearsal.workload({
        seed: config.seed,
        arrivalsPerMinute,
        durations: config.durations,
        targets: (task) => task.clusterArn === lane.clusterArn,
        idPrefix: lane.strategy.id,
      });
      workloads.push(workload);
      await workload.burst(sessions);
      workload.start();
    }
    log(`${sessions} sessions open per service; ${arrivalsPerMinute.toFixed(2)} new ones per scenario minute; deployment in ${config.warmupSeconds / 60} scenario minutes`);
    await rehearsal.clock.sleep(config.warmupSeconds);
    if (workflow !== undefined) {
      // The stream handler protects a task about a second (real time) after its first session.
      await rehearsal.waitFor('every task with sessions to be protected', () =>
        runningTasks(rehearsal.twin, SERVICE, CLUSTER).every((task) => task.protection.enabled || rehearsal.apps.sessionCount(task.taskArn) === 0),
      );
    }

    const before = { stats: rehearsal.cloud.functions.stats(), invocations: invocationCounts(rehearsal), handlerMs: sum(rehearsal.cloud.functions.stats()), gateway: rehearsal.cloud.gateway.counts(), writes: { ...writes }, cpu: sampleCpu(rehearsal.cloud.moto.pid) };
    const deployStartedAt = Date.now();
    const deploymentIds = lanes.map((lane) => rehearsal.twin.deploy(lane.clusterArn, SERVICE, taskDefinitionArn(region, accountId, 2)));
    log('rolling deployment to revision 2');
    const completedAt = (index: number) =>
      deployments.records.find((candidate) => candidate.deploymentId === deploymentIds[index] && candidate.rolloutState === 'COMPLETED')?.at;
    const progress = setInterval(() => {
      const parts = lanes.map((lane, index) => {
        const old = rehearsal.twin.snapshot().tasks.filter((task) => task.clusterArn === lane.clusterArn && task.taskDefinitionArn.endsWith(':1') && task.lastStatus !== 'STOPPED');
        return `${lane.strategy.short}: ${completedAt(index) === undefined ? `${old.length} old tasks left` : 'done'}`;
      });
      const summary = rehearsal.ledger.summary();
      log(`  ${parts.join(' | ')} | ${summary.open} open, ${summary.dropped} dropped`);
    }, 10_000);
    try {
      const budgetMs = rehearsal.clock.ms(config.drainDeadlineSeconds + 3600) + 180_000;
      await Promise.all([
        untilDeployed(rehearsal, () => lanes.every((_, index) => completedAt(index) !== undefined), budgetMs, workflow !== undefined),
        options.whileDeploying?.(rehearsal),
      ]);
      if (workflow !== undefined) {
        await rehearsal.waitFor('every drain execution to end', async () => (await rehearsal.drainExecutions()).every((execution) => execution.status !== 'RUNNING'), 120_000, 1000);
      }
    } finally {
      clearInterval(progress);
    }
    const endedAt = Date.now();
    const after = { stats: rehearsal.cloud.functions.stats(), invocations: invocationCounts(rehearsal), handlerMs: sum(rehearsal.cloud.functions.stats()), gateway: rehearsal.cloud.gateway.counts(), writes: { ...writes }, cpu: sampleCpu(rehearsal.cloud.moto.pid) };
    for (const workload of workloads.splice(0)) await workload.stop();
    const executions = workflow === undefined ? [] : await observeExecutions(rehearsal);
    const snapshot = rehearsal.twin.snapshot();
    const records = rehearsal.ledger.records();
    const observed: RunObservation = {
      scale: config.scale,
      lanes: lanes.map((lane, index) => ({
        strategy: lane.strategy,
        clusterArn: lane.clusterArn,
        desiredCount: config.tasks,
        oldTaskDefinition: taskDefinitionArn(region, accountId, 1),
        deployStartedAt,
        ...(completedAt(index) === undefined ? {} : { deploymentCompletedAt: completedAt(index) as number }),
        tasks: snapshot.tasks.filter((task) => task.clusterArn === lane.clusterArn),
        sessions: laneSessions(records, lane.strategy.id),
        executions: lane.strategy.waits === 'none' ? [] : executions,
      })),
      windowMs: endedAt - deployStartedAt,
      invocations: countsDelta(before.invocations, after.invocations),
      handlerMs: countsDelta(before.handlerMs, after.handlerMs),
      gateway: {
        lambda: countsDelta(before.gateway.lambda, after.gateway.lambda),
        ecs: countsDelta(before.gateway.ecs, after.gateway.ecs),
        moto: countsDelta(before.gateway.moto, after.gateway.moto),
      },
      taskWrites: {
        register: after.writes.register - before.writes.register,
        open: after.writes.open - before.writes.open,
        close: after.writes.close - before.writes.close,
        heartbeat: after.writes.heartbeat - before.writes.heartbeat,
      },
      cpu: cpuDelta(before.cpu, after.cpu),
      failures: failuresDelta(before.stats, after.stats),
      wallMs: Date.now() - started,
      problems: [...rehearsal.errors, ...rehearsal.cloud.problems].slice(0, 20),
    };
    log(`done in ${(observed.wallMs / 1000).toFixed(0)} s (deployment window ${(observed.windowMs / 1000).toFixed(0)} s)`);
    return observed;
  } finally {
    for (const workload of workloads) await workload.stop();
    deployments.stop();
    await rehearsal.stop();
  }
}
