import type { BenchConfig } from './config.js';
import {
  deploymentSeconds,
  drainTransitions,
  type LatencySummary,
  mean,
  type SessionOutcome,
  sessionOutcome,
  stopLatencies,
  surgeTaskSeconds,
  transitionCostUsd,
} from './metrics.js';
import type { CpuSample } from './observe.js';
import type { LaneObservation, RunObservation } from './run-lanes.js';
import type { Strategy } from './strategies.js';
import { definedOnly } from '../functions/shared/optional.js';

/** One strategy's numbers, as the report prints them. */
export interface StrategyResult {
  strategy: Strategy;
  outcome: SessionOutcome;
  /** Drain workflows: dropped sessions on tasks no drain execution was started for (ECS stopped them first). */
  droppedWithoutDrain?: number;
  latency?: LatencySummary;
  drains: number;
  outcomes: Record<string, number>;
  transitions?: { measuredMean: number; pollsMean: number; awsMean: number; awsMax: number };
  costPerDrainUsd?: number;
  lambdaPerDrain?: number;
  /** Handler runs per function in the deployment window (the reconciler excluded: it runs on a schedule). */
  lambda: Record<string, number>;
  ddb: {
    /** Registry writes per session: the task's open and close, plus the orchestrator's writes spread over the sessions (writesPerSession). */
    writesPerSession: number;
    taskOpens: number;
    taskCloses: number;
    orchestratorWrites: number;
    orchestratorWritesPerDrain?: number;
    getItemsPerDrain?: number;
  };
  surgeTaskHours: number;
  deploymentSeconds?: number;
  run: { wallMs: number; windowMs: number; cpu: CpuSample; problems: string[]; failures: RunObservation['failures'] };
}

/** Lambda functions of the drain path: what one drain invokes, apart from the registry stream. */
export const DRAIN_PATH_FUNCTIONS = [
  'DeploymentEventFunction',
  'TaskStoppedFunction',
  'RecordDrainFunction',
  'LaunchReplacementFunction',
  'ArmDrainWaitFunction',
  'StopDrainedTaskFunction',
  'ReleaseReplacementFunction',
];
const WRITE_OPERATIONS = ['dynamodb.UpdateItem', 'dynamodb.PutItem', 'dynamodb.DeleteItem', 'dynamodb.TransactWriteItems', 'dynamodb.BatchWriteItem'];

/**
 * A session costs the task two writes (open, close: one TransactWriteItems each); the
 * orchestrator's writes in the same window are spread over the sessions opened in it.
 */
export function writesPerSession(opens: number, orchestratorWrites: number): number {
  return opens === 0 ? 0 : 2 + orchestratorWrites / opens;
}

function count(values: Record<string, number>, keys: readonly string[]): number {
  return keys.reduce((total, key) => total + (values[key] ?? 0), 0);
}

function tally(values: readonly (string | undefined)[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[value ?? 'RUNNING'] = (counts[value ?? 'RUNNING'] ?? 0) + 1;
  return counts;
}

export function droppedWithoutDrain(lane: Pick<LaneObservation, 'sessions' | 'executions'>): number {
  const drained = new Set(lane.executions.map((execution) => execution.taskArn));
  return lane.sessions.filter((record) => record.end === 'dropped' && !drained.has(record.taskArn)).length;
}

export function laneResult(lane: LaneObservation, run: RunObservation, config: Pick<BenchConfig, 'pollSeconds'>): StrategyResult {
  const { strategy } = lane;
  const scale = run.scale;
  const endMs = Math.max(lane.deploymentCompletedAt ?? 0, ...lane.tasks.map((task) => (task.stoppedAt === undefined ? 0 : new Date(task.stoppedAt).getTime())));
  const drains = lane.executions.length;
  const transitions = strategy.waits === 'none' ? [] : drainTransitions(lane, scale, config.pollSeconds);
  const orchestrated = strategy.waits !== 'none';
  const writes = run.taskWrites;
  const orchestratorWrites = orchestrated
    ? Math.max(0, count(run.gateway.moto, WRITE_OPERATIONS) - (writes.register + writes.open + writes.close + writes.heartbeat))
    : 0;
  const lambda = orchestrated ? Object.fromEntries(Object.entries(run.invocations).filter(([name]) => name !== 'ReconcilerFunction')) : {};
  const awsMean = mean(transitions.map((drain) => drain.aws));
  const deployment = deploymentSeconds(lane, scale);
  return {
    strategy,
    outcome: sessionOutcome(lane),
    ...(orchestrated ? { droppedWithoutDrain: droppedWithoutDrain(lane) } : {}),
    ...(orchestrated ? { latency: stopLatencies(lane, config.pollSeconds) } : {}),
    drains,
    outcomes: tally(lane.executions.map((execution) => execution.outcome)),
    ...(awsMean === undefined
      ? {}
      : {
          transitions: {
            measuredMean: mean(transitions.map((drain) => drain.measured)) ?? 0,
            pollsMean: mean(transitions.map((drain) => drain.polls)) ?? 0,
            awsMean,
            awsMax: Math.max(...transitions.map((drain) => drain.aws)),
          },
          costPerDrainUsd: transitionCostUsd(awsMean),
        }),
    ...(orchestrated && drains > 0 ? { lambdaPerDrain: count(run.invocations, DRAIN_PATH_FUNCTIONS) / drains } : {}),
    lambda,
    ddb: {
      writesPerSession: writesPerSession(writes.open, orchestratorWrites),
      taskOpens: writes.open,
      taskCloses: writes.close,
      orchestratorWrites,
      ...(orchestrated && drains > 0 ? { orchestratorWritesPerDrain: orchestratorWrites / drains, getItemsPerDrain: (run.gateway.moto['dynamodb.GetItem'] ?? 0) / drains } : {}),
    },
    surgeTaskHours: surgeTaskSeconds(lane.tasks, lane.desiredCount, lane.deployStartedAt, endMs, scale) / 3600,
    ...definedOnly({ deploymentSeconds: deployment }),
    run: { wallMs: run.wallMs, windowMs: run.windowMs, cpu: run.cpu, problems: run.problems, failures: orchestrated ? run.failures : {} },
  };
}
