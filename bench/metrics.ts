import { type SessionRecord, type TwinTask } from '@ecs-session-drain/local';
import { POLL_CHECK, POLL_WAIT, STATES_PER_POLL } from './polling-asl.js';
import type { LaneObservation } from './run-lanes.js';
import type { ExecutionObservation } from './workflow.js';

/**
 * The benchmark's metrics, as pure functions of what a run observed. Times in observations are
 * real epoch milliseconds; results are in scenario seconds (what the same run would last on
 * AWS), except where a function says otherwise.
 */

/** Nearest-rank percentile (q in 0..1); undefined for no values. */
export function percentile(values: readonly number[], q: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1];
}

export function mean(values: readonly number[]): number | undefined {
  return values.length === 0 ? undefined : values.reduce((total, value) => total + value, 0) / values.length;
}

export interface SessionOutcome {
  /** Sessions that started in the run (turned-away arrivals excluded). */
  sessions: number;
  /** Sessions that ran on a task the deployment replaced: the ones a strategy can keep or drop. */
  atRisk: number;
  dropped: number;
  /** dropped / atRisk, 0..1. */
  droppedShare: number;
  /**
   * Users who arrived and were turned away: no task would take their session (the ledger's
   * 'rejected' end). Every refusal of the run counts, whenever it came (warm-up burst, before,
   * during and after the deployment, until the arrivals stop) and whatever task it was tried on.
   */
  refused: number;
}

/** A lane's sessions among all of a run's: each lane's workload prefixes its session ids with the strategy's id. */
export function laneSessions(records: readonly SessionRecord[], strategyId: string): SessionRecord[] {
  return records.filter((record) => record.id.startsWith(`${strategyId}-`));
}

export function sessionOutcome(lane: Pick<LaneObservation, 'sessions' | 'tasks' | 'oldTaskDefinition'>): SessionOutcome {
  const oldTasks = new Set(lane.tasks.filter((task) => task.taskDefinitionArn === lane.oldTaskDefinition).map((task) => task.taskArn));
  const started = lane.sessions.filter((record) => record.end !== 'rejected');
  const atRisk = started.filter((record) => record.taskArn !== undefined && oldTasks.has(record.taskArn)).length;
  const dropped = started.filter((record) => record.end === 'dropped').length;
  const refused = lane.sessions.length - started.length;
  return { sessions: started.length, atRisk, dropped, droppedShare: atRisk === 0 ? 0 : dropped / atRisk, refused };
}

/**
 * Task-seconds (scenario) above the desired count between two real times: the surge capacity a
 * strategy pays for. A task counts from its creation until it is STOPPED (Fargate bills from
 * the image pull to the end of the task).
 */
export function surgeTaskSeconds(tasks: readonly Pick<TwinTask, 'createdAt' | 'stoppedAt'>[], desired: number, fromMs: number, toMs: number, scale: number): number {
  const edges: Array<{ at: number; change: number }> = [];
  for (const task of tasks) {
    const start = Math.max(fromMs, new Date(task.createdAt).getTime());
    const end = Math.min(toMs, task.stoppedAt === undefined ? toMs : new Date(task.stoppedAt).getTime());
    if (end <= start) continue;
    edges.push({ at: start, change: 1 }, { at: end, change: -1 });
  }
  edges.sort((a, b) => a.at - b.at || a.change - b.change);
  let live = 0;
  let last = fromMs;
  let surgeMs = 0;
  for (const edge of edges) {
    surgeMs += Math.max(0, live - desired) * (edge.at - last);
    live += edge.change;
    last = edge.at;
  }
  return surgeMs / 1000 / scale;
}

/** Scenario seconds from the deploy call to COMPLETED; undefined if it never completed. */
export function deploymentSeconds(lane: Pick<LaneObservation, 'deployStartedAt' | 'deploymentCompletedAt'>, scale: number): number | undefined {
  return lane.deploymentCompletedAt === undefined ? undefined : (lane.deploymentCompletedAt - lane.deployStartedAt) / 1000 / scale;
}

/** The real ms from which a task could go: its last session closed, or the deployment began if that was later. */
export function readyAt(taskSessions: readonly SessionRecord[], deployStartedAt: number): number | undefined {
  if (taskSessions.some((record) => record.end === 'dropped' || record.end === undefined)) return undefined;
  const lastEnd = Math.max(0, ...taskSessions.map((record) => record.endedAt ?? 0));
  return Math.max(lastEnd, deployStartedAt);
}

function entries(execution: ExecutionObservation, name: string): number[] {
  return execution.states.filter((state) => state.name === name).map((state) => state.at);
}

/**
 * Seconds from "the task could go" to its stop, as on AWS. The event-driven path runs on real
 * time (stream, Lambda, Step Functions: nothing scaled), so it is taken as measured. The polling
 * path's wait is a scaled Wait: the part of it between the last close and the check that saw
 * zero is taken as a share of the loop period and mapped onto a `pollSeconds` Wait; the rest
 * (the check's own work, the stop) is taken as measured.
 */
export function stopLatencySeconds(waits: 'polling' | 'event', ready: number, stoppedAt: number, execution: ExecutionObservation | undefined, pollSeconds: number): number | undefined {
  if (stoppedAt < ready) return undefined;
  if (waits === 'event') return (stoppedAt - ready) / 1000;
  if (execution === undefined) return undefined;
  const checks = entries(execution, POLL_CHECK);
  const waitsEntered = entries(execution, POLL_WAIT);
  const check = checks.at(-1);
  const wait = waitsEntered.filter((at) => check !== undefined && at <= check).at(-1);
  if (check === undefined || wait === undefined || check <= wait) return undefined;
  const after = Math.max(0, stoppedAt - check) / 1000;
  if (ready <= wait) return (wait - ready) / 1000 + pollSeconds + after;
  const share = Math.min(1, Math.max(0, (check - ready) / (check - wait)));
  return share * pollSeconds + after;
}

export interface LatencySummary {
  samples: number;
  p50?: number;
  p99?: number;
}

/** Latency over the replaced tasks whose sessions all ended with their users (drained tasks). */
export function stopLatencies(lane: LaneObservation, pollSeconds: number): LatencySummary | undefined {
  const waits = lane.strategy.waits;
  if (waits === 'none') return undefined;
  const values: number[] = [];
  for (const task of lane.tasks.filter((candidate) => candidate.taskDefinitionArn === lane.oldTaskDefinition)) {
    if (task.stoppingAt === undefined) continue;
    const ready = readyAt(lane.sessions.filter((record) => record.taskArn === task.taskArn), lane.deployStartedAt);
    if (ready === undefined) continue;
    const execution = lane.executions.find((candidate) => candidate.taskArn === task.taskArn);
    const latency = stopLatencySeconds(waits, ready, new Date(task.stoppingAt).getTime(), execution, pollSeconds);
    if (latency !== undefined) values.push(latency);
  }
  return { samples: values.length, ...optional('p50', percentile(values, 0.5)), ...optional('p99', percentile(values, 0.99)) };
}

function optional<K extends string>(key: K, value: number | undefined): Partial<Record<K, number>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, number>);
}

/** Polls a drain makes on AWS: Waits of `pollSeconds` until a check finds the task empty (at least one). */
export function pollsFor(drainSeconds: number, pollSeconds: number): number {
  return Math.max(1, Math.ceil(drainSeconds / pollSeconds - 1e-9));
}

export interface DrainTransitions {
  taskArn?: string;
  outcome?: string;
  /** States entered, as counted in the execution history here. */
  measured: number;
  /** Polls made here (0 for the event-driven workflow). */
  polls: number;
  /** The same drain with a `pollSeconds` Wait, as AWS would run it (the event-driven one: as measured). */
  aws: number;
  /** Scenario seconds from the drain's first wait to its last session's close (drained executions). */
  waitedSeconds?: number;
}

/** The drain workflow's waiting state, entered once (event-driven) or once per poll. */
export const EVENT_WAIT = 'Wait for sessions to drain';

/** State transitions per drain execution; AWS bills each state entered as one transition. */
export function drainTransitions(lane: LaneObservation, scale: number, pollSeconds: number): DrainTransitions[] {
  return lane.executions.map((execution) => {
    const measured = execution.states.length;
    const polls = entries(execution, POLL_WAIT).length;
    const base = { ...(execution.taskArn ? { taskArn: execution.taskArn } : {}), ...(execution.outcome ? { outcome: execution.outcome } : {}), measured, polls };
    const firstWait = execution.states.find((state) => state.name === POLL_WAIT || state.name === EVENT_WAIT)?.at;
    const ready = readyAt(lane.sessions.filter((record) => record.taskArn === execution.taskArn), lane.deployStartedAt);
    if (firstWait === undefined || ready === undefined || execution.outcome !== 'DRAINED') return { ...base, aws: measured };
    const waitedSeconds = Math.max(0, (ready - firstWait) / 1000 / scale);
    const aws = polls === 0 ? measured : measured - STATES_PER_POLL * polls + STATES_PER_POLL * pollsFor(waitedSeconds, pollSeconds);
    return { ...base, aws, waitedSeconds };
  });
}

/**
 * Step Functions Standard workflows: $0.025 per 1,000 state transitions (US East (N. Virginia)
 * list price on https://aws.amazon.com/step-functions/pricing/, read 2025; the free tier of
 * 4,000 transitions a month is ignored).
 */
export const USD_PER_TRANSITION = 0.025 / 1000;

export function transitionCostUsd(transitions: number): number {
  return transitions * USD_PER_TRANSITION;
}
