/** Helpers of the deployment-kind scenarios: one service run side by side in the stack's scope ("guarded") and outside it ("unguarded", ECS alone) with the same seeded users, and what those users felt, counted from the ledger. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ListExecutionsCommand } from '@aws-sdk/client-sfn';
import { expect, it } from 'vitest';
import {
  type DrainExecution,
  Rehearsal,
  type RehearsalOptions,
  runningTasks,
  service,
  serviceTasks,
  type SessionRecord,
  type SessionWorkload,
  type StrategyServiceSpec,
} from '@ecs-session-drain/local';
import { stopsVersusLastSessions, taskDefinitionArn } from '../support/scenario.js';

/** Real seconds per scenario second, as the other end-to-end scenarios run. */
export const SCALE = 0.01;
export const GUARDED = 'guarded';
export const UNGUARDED = 'unguarded';
export const SIDES = [GUARDED, UNGUARDED] as const;
export type Side = (typeof SIDES)[number];

/**
 * The same users on both sides: seeded arrivals through the whole deployment, sessions of a few
 * scenario minutes (up to 25). Three arrivals a scenario minute are 5 a real second at 0.01: more
 * would saturate the local registry (one moto process for every write) and measure its queues.
 */
export const USERS = {
  seed: 42,
  arrivalsPerMinute: 3,
  burst: 32,
  durations: { medianSeconds: 6 * 60, sigma: 0.6, maxSeconds: 25 * 60 },
} as const;

/**
 * Scenario seconds after RUNNING until a task's health checks pass: 150, an ALB target group's
 * defaults (5 healthy checks 30 s apart, what the simulated apps used to wait for). ECS counts a
 * task toward minimumHealthyPercent, and shifts blue/green traffic to it, only then. The twin's
 * default (30 s) is shorter than the time the local registry can take to see a new task register
 * at 0.01 when a dozen tasks write at once (a real second or more), which would turn every traffic
 * shift into refused users that no real deployment has.
 */
const HEALTH_CHECK_SECONDS = 150;

/** Scenario seconds of ordinary traffic before the deployment starts. */
const WARM_UP_SECONDS = 3 * 60;

/** Deployment state changes the twin reported, in order, per rehearsal. */
interface DeploymentChange {
  serviceArn: string;
  deploymentId: string;
  rolloutState: string;
}
const deploymentHistories = new WeakMap<Rehearsal, DeploymentChange[]>();

/** A local cloud whose stack drains the "guarded" cluster only; "unguarded" is left to ECS alone. Records every deployment state change. */
export async function startRehearsal(options: RehearsalOptions = {}): Promise<Rehearsal> {
  // Heartbeats every 2 s real (200 scenario seconds) instead of the agent's 30 s scaled (500 ms real
  // at least): the same 1:5 ratio to the heartbeat timeout, which the template keeps at 10 s or more,
  // without flooding the local registry's stream while a dozen tasks run at once.
  const rehearsal = await Rehearsal.start({ scale: SCALE, clusterNames: [GUARDED], ...options });
  const history: DeploymentChange[] = [];
  rehearsal.twin.onChange((change) => {
    if (change.kind === 'deployment') history.push({ serviceArn: change.serviceArn, deploymentId: change.deploymentId, rolloutState: change.rolloutState });
  });
  deploymentHistories.set(rehearsal, history);
  return rehearsal;
}

export function revision(rehearsal: Rehearsal, family: string, number: number): string {
  return taskDefinitionArn(rehearsal, family, number);
}

/** One side of a scenario: a service, its users, and when the deployment under test started and ended (real epoch ms). */
export class SideRun {
  deployedAt = Number.POSITIVE_INFINITY;
  endedAt = Number.POSITIVE_INFINITY;
  /** The deployment id the scenario started (and, for rollbacks, the one it expects to end with). */
  deploymentId: string | undefined;

  constructor(
    readonly rehearsal: Rehearsal,
    readonly side: Side,
    readonly clusterArn: string,
    readonly serviceName: string,
    readonly workload: SessionWorkload,
  ) {}

  /** Session ids are <side>.<service>-<n> (service names here have no dash). */
  get prefix(): string {
    return `${this.side}.${this.serviceName}-`;
  }

  get label(): string {
    return `${this.serviceName}/${this.side}`;
  }

  /** Every arrival of this side's users, whatever became of it. */
  records(): SessionRecord[] {
    return this.rehearsal.ledger.records().filter((record) => record.id.startsWith(this.prefix));
  }

  dropped(): SessionRecord[] {
    return this.records().filter((record) => record.end === 'dropped');
  }

  /** Users turned away from the moment the deployment started. */
  refused(): SessionRecord[] {
    return this.records().filter((record) => record.end === 'rejected' && record.openedAt >= this.deployedAt);
  }

  tasks() {
    return serviceTasks(this.rehearsal.twin, this.serviceName, this.side);
  }

  running() {
    return runningTasks(this.rehearsal.twin, this.serviceName, this.side);
  }

  service() {
    return service(this.rehearsal.twin, this.serviceName, this.side);
  }

  deployments() {
    return this.service()?.deployments ?? [];
  }

  primary() {
    return this.deployments().find((deployment) => deployment.status === 'PRIMARY');
  }

  /** Every rollout state each deployment of the service went through, in order (deployment id -> states). */
  deploymentHistory(): Map<string, string[]> {
    const serviceArn = this.service()?.serviceArn;
    const states = new Map<string, string[]>();
    for (const change of deploymentHistories.get(this.rehearsal) ?? []) {
      if (change.serviceArn !== serviceArn) continue;
      const seen = states.get(change.deploymentId) ?? [];
      if (seen.at(-1) !== change.rolloutState) seen.push(change.rolloutState);
      states.set(change.deploymentId, seen);
    }
    return states;
  }

  /**
   * The deployment has taken a task of the given deployment out of service: under ECS alone, ECS
   * asked it to stop; guarded, a drain marked it DRAINING (or it already stopped). A rollback or a
   * newer deployment started then lands mid-deployment on either side.
   */
  async tookOut(deploymentId: string): Promise<boolean> {
    const tasks = this.tasks().filter((task) => task.startedBy === deploymentId);
    if (this.side === UNGUARDED) return tasks.some((task) => task.desiredStatus === 'STOPPED');
    for (const task of tasks) {
      const item = await this.rehearsal.taskItem(task.taskArn);
      if (item?.status === 'DRAINING' || (item?.drainReason === 'DEPLOYMENT' && task.desiredStatus === 'STOPPED')) return true;
    }
    return false;
  }

  /** Marks the start of the deployment under test. */
  deploying(deploymentId?: string): void {
    this.deployedAt = Date.now();
    this.deploymentId = deploymentId;
  }

  /** No more arrivals; the sessions still open go on. */
  async finish(): Promise<void> {
    await this.workload.stop();
    this.endedAt = Date.now();
    this.stopProgress();
    this.stopStages();
  }

  /** BLUE_GREEN / LINEAR / CANARY: the lifecycle stages the service deployment went through, in order (watchStages). */
  readonly stages: string[] = [];
  serviceDeploymentArn: string | undefined;
  private stopStages: () => void = () => undefined;

  /** Records the current service deployment's lifecycle stages (the twin's serviceDeployment, read every 2 scenario seconds). */
  watchStages(): void {
    const timer = setInterval(() => {
      const current = this.rehearsal.twin.serviceDeployment(this.clusterArn, this.serviceName);
      if (current === undefined) return;
      this.serviceDeploymentArn ??= current.serviceDeploymentArn;
      if (current.lifecycleStage !== undefined && this.stages.at(-1) !== current.lifecycleStage) this.stages.push(current.lifecycleStage);
    }, this.rehearsal.clock.ms(2));
    this.stopStages = () => clearInterval(timer);
  }

  /** The service deployment's status as DescribeServiceDeployments reports it. */
  async serviceDeploymentStatus(): Promise<string | undefined> {
    if (this.serviceDeploymentArn === undefined) return undefined;
    const described = (await this.rehearsal.twin.api.handle('DescribeServiceDeployments', { serviceDeploymentArns: [this.serviceDeploymentArn] })) as { serviceDeployments: Array<{ status?: string }> };
    return described.serviceDeployments[0]?.status;
  }

  /** DEPLOYMENTS_PROGRESS=1 prints the run's state every few real seconds (for a scenario that hangs). */
  stopProgress: () => void = () => undefined;

  progress(): string {
    const tasks = this.tasks()
      .filter((task) => task.lastStatus !== 'STOPPED')
      .map((task) => `${task.startedBy?.slice(-4) ?? '?'}:${task.lastStatus.slice(0, 3)}/${task.desiredStatus.slice(0, 3)}:${this.rehearsal.apps.sessionCount(task.taskArn)}`);
    const deployments = this.deployments().map((deployment) => `${deployment.id.slice(-4)}:${deployment.status}:${deployment.rolloutState}`);
    return `${this.label} [${deployments.join(' ')}] ${tasks.join(' ')} ${JSON.stringify(this.felt())}`;
  }

  /**
   * Tasks still serving at the end (the final PRIMARY keeps them) whose registry item says
   * DRAINING: they would refuse every new user for good.
   */
  async leftDraining(): Promise<string[]> {
    const draining: string[] = [];
    for (const task of this.running()) {
      const item = await this.rehearsal.taskItem(task.taskArn);
      if (item?.status === 'DRAINING') draining.push(`${short(task.taskArn)} (${item.drainReason ?? '?'}, outcome ${item.drainOutcome ?? 'none'})`);
    }
    return draining;
  }

  /** Stopped tasks that held a session when ECS was asked to stop them, or whose sessions did not end by their users. */
  earlyStops(): string[] {
    return this.earlyStopped().map((task) => `${short(task.taskArn)}: ${task.stillOpenOrDropped} not ended by their users, last ended ${Math.round(task.lastSessionEnded - task.stopRequested)} ms after the stop`);
  }

  earlyStopped() {
    return stopsVersusLastSessions(this.rehearsal, this.serviceName, this.side).filter((task) => task.stillOpenOrDropped > 0 || task.lastSessionEnded > task.stopRequested);
  }

  /** Stopped tasks of the service that had sessions: what a scenario where nothing happens would not have. */
  stoppedWithSessions(): number {
    return stopsVersusLastSessions(this.rehearsal, this.serviceName, this.side).filter((task) => task.sessions > 0).length;
  }

  /** The drain executions of this service's tasks. */
  async drains(): Promise<DrainExecution[]> {
    const mine = new Set(this.tasks().map((task) => task.taskArn));
    return (await this.rehearsal.drainExecutions()).filter((execution) => execution.taskArn !== undefined && mine.has(execution.taskArn));
  }

  /** The service's deployments and live tasks with their registry items, for a failure message. */
  async describe(): Promise<string> {
    const lines = this.deployments().map((deployment) => `deployment ${deployment.id} ${deployment.status} ${deployment.rolloutState} ${deployment.taskDefinitionArn.split('/').pop() ?? ''} ${deployment.rolloutStateReason ?? ''}`);
    for (const task of this.tasks().filter((candidate) => candidate.lastStatus !== 'STOPPED')) {
      const item = await this.rehearsal.taskItem(task.taskArn);
      lines.push(
        `task ${short(task.taskArn)} ${task.startedBy ?? ''} ${task.lastStatus}/${task.desiredStatus} ${task.healthStatus ?? ''} protected=${task.protection.enabled} sessions=${this.rehearsal.apps.sessionCount(task.taskArn)} registry=${item?.status ?? '-'}/${item?.sessionCount ?? '-'} drain=${item?.drainReason ?? ''}/${item?.drainOutcome ?? ''}`,
      );
    }
    // Registry writes the apps gave up on leave the registry out of step with the apps.
    if (this.rehearsal.errors.length > 0) lines.push(`app registry writes given up: ${this.rehearsal.errors.length} (last: ${this.rehearsal.errors.at(-1)})`);
    return lines.join('\n');
  }

  /** Scenario seconds from the start of the deployment under test to a real epoch time. */
  sinceDeployment(at: number): number {
    return Math.round((at - this.deployedAt) / 1000 / this.rehearsal.clock.scale);
  }

  /** What the users felt, for the report. */
  felt(): Felt {
    const records = this.records();
    const causes: Record<string, number> = {};
    for (const record of records.filter((candidate) => candidate.end === 'dropped')) {
      const cause = record.dropCause ?? '?';
      causes[cause] = (causes[cause] ?? 0) + 1;
    }
    return {
      arrived: records.length,
      endedByUser: records.filter((record) => record.end === 'user').length,
      open: records.filter((record) => record.end === undefined).length,
      dropped: this.dropped().length,
      refused: this.refused().length,
      refusedBeforeDeployment: records.filter((record) => record.end === 'rejected' && record.openedAt < this.deployedAt).length,
      dropCauses: causes,
      deploymentSeconds: this.sinceDeployment(this.endedAt),
      refusedAt: this.refused().map((record) => this.sinceDeployment(record.openedAt)),
      droppedAt: this.dropped().map((record) => this.sinceDeployment(record.endedAt ?? 0)),
    };
  }
}

export interface Felt {
  /** Scenario seconds after the deployment started at which users were refused, and sessions dropped. */
  refusedAt: number[];
  droppedAt: number[];
  arrived: number;
  endedByUser: number;
  open: number;
  dropped: number;
  refused: number;
  refusedBeforeDeployment: number;
  dropCauses: Record<string, number>;
  /** Scenario seconds from the deployment's start to the end of the run. */
  deploymentSeconds: number;
}

type PairSpec = Omit<StrategyServiceSpec, 'cluster'>;

export interface PairOptions {
  /** What differs between the sides (a pause hook the orchestrator needs, say); default the same spec. */
  specFor?: (side: Side) => PairSpec;
  /** Runs once the service exists (an EXTERNAL controller's first task set). */
  afterCreate?: (run: { side: Side; clusterArn: string }) => Promise<void>;
}

/**
 * Creates the service on both sides, waits until their tasks take sessions and its first
 * deployment completed, lets the same users in on both (a warm burst, then arrivals that go on
 * until finish()), runs ordinary traffic for a while, and waits until the guarded side's registry
 * has caught up (every task holding sessions is protected), as it has in a service that ran for
 * hours before its deployment. The local cloud's latencies are not scaled: at 0.01 its second of
 * stream lag is 100 scenario seconds.
 */
export async function startPair(rehearsal: Rehearsal, spec: PairSpec, options: PairOptions = {}): Promise<Record<Side, SideRun>> {
  const [guarded, unguarded] = await Promise.all(
    SIDES.map(async (side) => {
      const own = options.specFor?.(side) ?? spec;
      const clusterArn = rehearsal.twin.createCluster(side);
      rehearsal.twin.createService({ stopTimeoutSeconds: 120, healthCheckSeconds: HEALTH_CHECK_SECONDS, ...own, cluster: clusterArn });
      await options.afterCreate?.({ side, clusterArn });
      const inService = (task: { clusterArn: string; serviceName?: string }) => task.clusterArn === clusterArn && task.serviceName === spec.name;
      await rehearsal.waitFor(`${spec.name} to take sessions in ${side}`, () => rehearsal.apps.acceptingTasks(inService).length === spec.desiredCount, 60_000, 50);
      const workload = rehearsal.workload({ seed: USERS.seed, arrivalsPerMinute: USERS.arrivalsPerMinute, durations: USERS.durations, targets: inService, idPrefix: `${side}.${spec.name}` });
      const run = new SideRun(rehearsal, side, clusterArn, spec.name, workload);
      // A BLUE_GREEN / LINEAR / CANARY service's first deployment runs the stages too, bake time included.
      if (own.deploymentController === undefined) await within(rehearsal, `${run.label}'s first deployment to complete`, 60 * 60, () => run.primary()?.rolloutState === 'COMPLETED', run);
      if (process.env.DEPLOYMENTS_PROGRESS) {
        const started = Date.now();
        const timer = setInterval(() => console.info(`[${((Date.now() - started) / 1000).toFixed(0)}s] ${run.progress()}`), 5000);
        timer.unref();
        run.stopProgress = () => clearInterval(timer);
      }
      return run;
    }),
  );
  const runs = { guarded: guarded as SideRun, unguarded: unguarded as SideRun };
  // One user after another, so that the balancer sees each new session (a concurrent burst would
  // send every user of the guarded side, whose opens wait on the registry, to the same task), and
  // the same user on both sides at once, so that each session starts at the same time on both.
  for (let user = 0; user < USERS.burst; user += 1) await Promise.all(SIDES.map((side) => runs[side].workload.burst(1)));
  runs.guarded.workload.start();
  runs.unguarded.workload.start();
  await rehearsal.clock.sleep(WARM_UP_SECONDS);
  await rehearsal.waitFor(`${spec.name}'s tasks holding sessions to be protected`, () => runs.guarded.running().every((task) => rehearsal.apps.sessionCount(task.taskArn) === 0 || task.protection.enabled), 60_000, 100);
  return runs;
}

/** Runs the same steps on both sides at once: whatever each does before its first await happens back to back. */
export async function onBothSides<T>(runs: Record<Side, SideRun>, step: (run: SideRun) => Promise<T>): Promise<Record<Side, T>> {
  const [guarded, unguarded] = await Promise.all([step(runs.guarded), step(runs.unguarded)]);
  return { guarded, unguarded };
}

/** One line per side for the test output, so that a run's numbers can be read back. */
export function report(scenario: string, runs: Record<Side, SideRun>, extra: Record<string, unknown> = {}): void {
  const line = (run: SideRun) => JSON.stringify(run.felt());
  console.info(`[deployments] ${scenario}\n  guarded:   ${line(runs.guarded)}\n  unguarded: ${line(runs.unguarded)}${Object.keys(extra).length > 0 ? `\n  ${JSON.stringify(extra)}` : ''}`);
}

/** The function's log lines (JSON ones only) from this run's log folder (.local-cloud/logs/<run>/<LogicalId>.log). */
export function functionLog(rehearsal: Rehearsal, logicalId: string): Array<Record<string, unknown>> {
  const path = join(rehearsal.cloud.logDir, `${logicalId}.log`);
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => {
      try {
        return JSON.parse(line) as Record<string, unknown>;
      } catch {
        return {};
      }
    });
}

/** EMF lines of a function that carry the metric (Powertools writes one JSON object per flush). */
export function metricCount(rehearsal: Rehearsal, logicalId: string, metric: string): number {
  return functionLog(rehearsal, logicalId)
    .filter((line) => typeof line._aws === 'object' && line[metric] !== undefined)
    .reduce((sum, line) => sum + Number(line[metric] ?? 0), 0);
}

export function short(taskArn: string | undefined): string {
  return (taskArn ?? '?').split('/').pop()?.slice(0, 12) ?? '?';
}

/**
 * Polls until check holds; the time budget is in scenario seconds. A timeout names the state of the
 * run's service. Checks that read the registry or the executions poll slowly: the local cloud has
 * one moto process, and a busy poll would slow every task's registry write down.
 */
export function within(rehearsal: Rehearsal, what: string, scenarioSeconds: number, check: () => boolean | Promise<boolean>, run?: SideRun, everyMs = 200): Promise<true> {
  return pollDescribing(rehearsal, what, rehearsal.clock.ms(scenarioSeconds), check, run, everyMs);
}

/**
 * The real-time guard of a precondition: a moment the scenario waits for before it acts (a deployment
 * that has taken a task out, to interrupt it), not a bound the test asserts. The orchestrator's
 * latency is real time while the scenario's clock is compressed, so on a loaded machine a budget in
 * scenario seconds ran out while the system was still on its way (a busy run of the suite outlasted
 * 36 s there, where an idle machine takes a few seconds). The check itself ends the wait early when
 * the moment can no longer come; the guard only names a stuck system before the hook's own timeout does.
 */
const PRECONDITION_GUARD_MS = 120_000;

/** Polls until the precondition holds, or `gone` says it never will (then answers false). */
export async function until(rehearsal: Rehearsal, what: string, check: () => boolean | Promise<boolean>, gone: () => boolean, run: SideRun, everyMs = 200): Promise<boolean> {
  let held = false;
  await pollDescribing(rehearsal, what, PRECONDITION_GUARD_MS, async () => (held = await check()) || gone(), run, everyMs);
  return held;
}

async function pollDescribing(rehearsal: Rehearsal, what: string, timeoutMs: number, check: () => boolean | Promise<boolean>, run: SideRun | undefined, everyMs: number): Promise<true> {
  try {
    return await rehearsal.waitFor(what, async () => (await check()) || undefined, timeoutMs, everyMs);
  } catch (error) {
    if (run === undefined) throw error;
    throw new Error(`${(error as Error).message}\n${await run.describe()}`, { cause: error });
  }
}

/**
 * Where ECS stops tasks that neither protection nor a hook can hold (README "Limits"): the
 * guarded side's tasks it stopped that way, and what it did, for the test titles.
 */
export interface BeyondReach {
  what: string;
  tasks: (run: SideRun) => ReadonlySet<string>;
  /** Whether both sides meet it at the same moment, so that their counts compare (false when the guarded side gets there later). */
  comparable: boolean;
}

/**
 * What every scenario asserts of the users on the guarded side, against the same users under ECS
 * alone: no session dropped, each stopped task stopped only after its last session ended, no more
 * users refused, and no task the final deployment keeps left DRAINING. With `ecsAloneDrops`, the
 * unguarded side must have dropped sessions: a scenario where nothing happened cannot pass. With
 * `beyondReach`, sessions may be cut on those tasks only, and no more than ECS alone cuts.
 */
export function itKeepsUsersWhole(runs: () => Record<Side, SideRun>, options: { ecsAloneDrops: boolean; beyondReach?: BeyondReach }): void {
  const reach = options.beyondReach;
  const allowed = (run: SideRun) => reach?.tasks(run) ?? new Set<string>();
  it(reach === undefined ? 'drops no session' : `drops sessions only on tasks ${reach.what}${reach.comparable ? ', and no more than ECS alone' : ''}`, () => {
    const guarded = runs().guarded;
    const tasks = new Map(guarded.tasks().map((task) => [task.taskArn, task]));
    const beyond = allowed(guarded);
    const described = guarded
      .dropped()
      .filter((record) => !beyond.has(record.taskArn ?? ''))
      .map((record) => {
        const task = tasks.get(record.taskArn ?? '');
        return `${record.id} on ${short(record.taskArn)} (${task?.startedBy ?? '?'}, ${record.dropCause ?? '?'} ${guarded.sinceDeployment(record.endedAt ?? 0)} s into the deployment, ${task?.stoppedReason ?? record.stopReason ?? ''})`;
      });
    expect(described).toEqual([]);
    if (reach?.comparable === true) expect(guarded.dropped().length).toBeLessThanOrEqual(runs().unguarded.dropped().length);
  });

  it(reach === undefined ? 'stops each task only after its last session ended' : `stops each task only after its last session ended, but for tasks ${reach.what}`, () => {
    const guarded = runs().guarded;
    const beyond = allowed(guarded);
    expect(guarded.earlyStopped().filter((task) => !beyond.has(task.taskArn)).map((task) => short(task.taskArn))).toEqual([]);
  });

  it('refuses no more users than ECS alone does with the same users', () => {
    expect(runs().guarded.refused().length).toBeLessThanOrEqual(runs().unguarded.refused().length);
  });

  it('leaves no task the final deployment keeps DRAINING', async () => {
    expect(runs().guarded.running().length).toBeGreaterThan(0);
    expect(await runs().guarded.leftDraining()).toEqual([]);
  });

  if (options.ecsAloneDrops) {
    it('ECS alone drops sessions here (the scenario can fail)', () => {
      expect(runs().unguarded.dropped().length).toBeGreaterThan(0);
    });
  }
}

/** The drains of the tasks still running at the end (the final deployment keeps them), by outcome: only CANCELLED may appear. */
export async function keptTaskDrains(run: SideRun): Promise<Array<{ task: string; outcome: string }>> {
  const kept = new Set(run.running().map((task) => task.taskArn));
  return (await run.drains()).filter((execution) => kept.has(execution.taskArn ?? '')).map((execution) => ({ task: short(execution.taskArn), outcome: execution.outcome ?? execution.status }));
}

/** Waits until no drain of the run's service is still running (a cancellation or a stop may still be on its way). */
export async function drainsSettled(run: SideRun): Promise<void> {
  await within(
    run.rehearsal,
    `the drains of ${run.label} to end`,
    60 * 60,
    async () => {
      const running = await run.rehearsal.sfn.send(new ListExecutionsCommand({ stateMachineArn: run.rehearsal.stateMachineArn, statusFilter: 'RUNNING', maxResults: 1000 }));
      const mine = new Set(run.tasks().map((task) => task.taskId));
      return (running.executions ?? []).every((execution) => !mine.has(/^drain-(.+)-\d+$/.exec(execution.name ?? '')?.[1] ?? ''));
    },
    run,
    1000,
  );
}
