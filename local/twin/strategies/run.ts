/** One BLUE_GREEN / LINEAR / CANARY service deployment: its lifecycle stages in order, traffic weights, bake times and rollback. */
import type { TwinDeployment, TwinTask } from '../model.js';
import { type LifecycleStage, productionSteps, STAGE_LIMIT_MINUTES, type StrategyConfig, stepBakeSeconds } from './config.js';
import { type HookDetail, type HookHost, runStageHooks, sleep } from './hooks.js';

export type ServiceDeploymentStatus = 'IN_PROGRESS' | 'SUCCESSFUL' | 'STOPPED' | 'ROLLBACK_REQUESTED' | 'ROLLBACK_IN_PROGRESS' | 'ROLLBACK_SUCCESSFUL' | 'ROLLBACK_FAILED';

/** What DescribeServiceDeployments reports of the run (API_ServiceDeployment). */
export interface ServiceDeploymentRecord {
  serviceDeploymentArn: string;
  status: ServiceDeploymentStatus;
  statusReason?: string;
  lifecycleStage?: LifecycleStage;
  createdAt: Date;
  startedAt: Date;
  updatedAt: Date;
  finishedAt?: Date;
  rollback?: { reason: string; startedAt: Date; serviceRevisionArn?: string };
  hooks: HookDetail[];
}

export type RunOutcome = 'SUCCESSFUL' | 'ROLLED_BACK' | 'ROLLBACK_FAILED' | 'SUPERSEDED';

export interface RunHost extends HookHost {
  revisionArn(deploymentId: string): string;
  desiredCount(): number;
  /** Whether a rollback scales green down as it starts or once the rollback's hooks have answered. */
  rollbackScalesGreenDown: 'at-once' | 'after-hooks';
  /** The service's tasks of a deployment that have not STOPPED yet. */
  aliveTasks(deploymentId: string): TwinTask[];
  /** The task passed its health checks (health.ts): what "started and healthy" at POST_SCALE_UP means. */
  isHealthy(task: TwinTask): boolean;
  /** Something the task maintenance depends on changed: reconcile the service now. */
  changed(): void;
  rollbackStarted(run: DeploymentRun, reason: string): void;
  finished(run: DeploymentRun, outcome: RunOutcome): void;
}

/** Why a run's waits end early: an operator or hook asked for a rollback, or a newer deployment took over. */
class Interrupt extends Error {
  constructor(
    readonly kind: 'rollback' | 'superseded',
    readonly reason: string,
  ) {
    super(reason);
  }
}

export class DeploymentRun {
  readonly record: ServiceDeploymentRecord;
  /** Production and test traffic weights (percent) by deployment id. */
  readonly production = new Map<string, number>();
  readonly test = new Map<string, number>();
  private readonly reached = new Set<LifecycleStage>();
  private readonly abort = new AbortController();
  private readonly waiters = new Set<{ check: () => boolean; resolve: () => void }>();
  private scaledUp = false;
  private cleaningUp = false;
  private rollingBack = false;
  /** Green keeps its tasks during a rollback until this is set (at once, or after the rollback's hooks). */
  private greenReleased = false;
  done = false;

  constructor(
    private readonly host: RunHost,
    readonly config: StrategyConfig,
    readonly green: TwinDeployment,
    readonly blue: TwinDeployment | undefined,
    /** Older revisions still running (an unfinished deployment): RECONCILE_SERVICE scales them away. */
    readonly others: TwinDeployment[],
    serviceDeploymentArn: string,
    blueWeight: number,
  ) {
    const now = host.clock.now();
    this.record = { serviceDeploymentArn, status: 'IN_PROGRESS', createdAt: now, startedAt: now, updatedAt: now, hooks: [] };
    if (blue !== undefined) this.production.set(blue.id, blueWeight);
    for (const other of others) this.production.set(other.id, 0);
    if (blue !== undefined && blueWeight < 100 && others.length > 0) this.production.set(others[0]?.id ?? '', 100 - blueWeight);
  }

  start(): void {
    void this.execute();
  }

  /** Tasks the deployment wants of a revision now; the engine starts or stops tasks to match. */
  desiredFor(deploymentId: string): number {
    if (deploymentId === this.green.id) return this.scaledUp && !this.greenReleased ? this.host.desiredCount() : 0;
    if (deploymentId === this.blue?.id) return this.cleaningUp ? 0 : this.host.desiredCount();
    return 0;
  }

  trafficWeight(deploymentId: string): number {
    return this.production.get(deploymentId) ?? 0;
  }

  /** StopServiceDeployment ROLLBACK, or the twin's control method: false once the deployment has finished or already rolls back. */
  requestRollback(reason: string): boolean {
    if (this.done || this.rollingBack || this.abort.signal.aborted) return false;
    this.record.status = 'ROLLBACK_REQUESTED';
    this.abort.abort(new Interrupt('rollback', reason));
    return true;
  }

  supersede(byDeploymentId: string): void {
    if (this.done) return;
    if (!this.abort.signal.aborted) this.abort.abort(new Interrupt('superseded', `superseded by ${byDeploymentId}`));
    else this.finish('STOPPED', 'SUPERSEDED');
  }

  /** Called on every scheduler pass: waits whose condition now holds go on. */
  poke(): void {
    for (const waiter of [...this.waiters]) {
      if (waiter.check()) {
        this.waiters.delete(waiter);
        waiter.resolve();
      }
    }
  }

  private async execute(): Promise<void> {
    try {
      if (this.others.length > 0) {
        await this.stage('RECONCILE_SERVICE', (signal) => this.until(() => this.others.every((other) => this.gone(other.id)), signal));
      }
      await this.stage('PRE_SCALE_UP');
      await this.stage('SCALE_UP', (signal) => {
        this.scaledUp = true;
        this.host.changed();
        return this.until(() => this.greenReady(), signal);
      });
      await this.stage('POST_SCALE_UP');
      this.setWeights(this.test, 100);
      await this.stage('TEST_TRAFFIC_SHIFT');
      await this.stage('POST_TEST_TRAFFIC_SHIFT');
      for (const step of productionSteps(this.config)) {
        await this.stage('PRE_PRODUCTION_TRAFFIC_SHIFT');
        this.setWeights(this.production, step);
        await this.stage('PRODUCTION_TRAFFIC_SHIFT');
        const bake = step < 100 ? stepBakeSeconds(this.config) : 0;
        if (bake > 0) await sleep(this.host.clock, bake, this.abort.signal);
      }
      await this.stage('POST_PRODUCTION_TRAFFIC_SHIFT');
      await this.stage('BAKE_TIME', (signal) => sleep(this.host.clock, this.config.bakeTimeInMinutes * 60, signal));
      await this.stage('CLEAN_UP', (signal) => {
        this.cleaningUp = true;
        this.host.changed();
        return this.until(() => this.blue === undefined || this.gone(this.blue.id), signal);
      });
      this.finish('SUCCESSFUL', 'SUCCESSFUL');
    } catch (error) {
      if (error instanceof Interrupt && error.kind === 'superseded') return this.finish('STOPPED', 'SUPERSEDED');
      if (!(error instanceof Interrupt)) this.host.reportError(error, `deployment ${this.green.id}`);
      await this.rollback(error instanceof Error ? error.message : String(error));
    }
  }

  /**
   * One lifecycle stage: the work ECS does in it, then the hooks configured at it (run in
   * parallel; a FAILED or timed-out one rolls the deployment back). A stage may last 24 hours.
   */
  private async stage(stage: LifecycleStage, work?: (signal: AbortSignal) => Promise<void>): Promise<void> {
    this.reached.add(stage);
    this.record.lifecycleStage = stage;
    this.record.updatedAt = this.host.clock.now();
    const limit = new AbortController();
    const cancelLimit =
      stage === 'BAKE_TIME' ? () => undefined : this.host.clock.after(STAGE_LIMIT_MINUTES * 60, () => limit.abort(new Interrupt('rollback', `lifecycle stage ${stage} exceeded 24 hours`)));
    const signal = AbortSignal.any([this.abort.signal, limit.signal]);
    try {
      if (work) await work(signal);
      const outcome = await runStageHooks(this.host, this.config.lifecycleHooks, {
        stage,
        resourceArn: this.record.serviceDeploymentArn,
        executionDetails: () => this.executionDetails(stage),
        details: this.record.hooks,
        signal,
      });
      if (outcome.result === 'ROLLBACK') throw new Interrupt('rollback', outcome.reason);
    } catch (error) {
      throw signal.aborted && signal.reason instanceof Interrupt ? signal.reason : error;
    } finally {
      cancelLimit();
    }
  }

  /**
   * There is no ROLLBACK stage: ECS shifts traffic back to blue, runs the PRODUCTION_TRAFFIC_SHIFT
   * and TEST_TRAFFIC_SHIFT hooks again (deployment-lifecycle-hooks.html: "When a rollback occurs,
   * Amazon ECS runs lifecycle hooks for" those two stages), and scales green down. Whether green is
   * scaled down before or after those hooks is not documented: host.rollbackScalesGreenDown.
   */
  private async rollback(reason: string): Promise<void> {
    this.record.rollback = { reason, startedAt: this.host.clock.now(), ...(this.blue ? { serviceRevisionArn: this.host.revisionArn(this.blue.id) } : {}) };
    if (this.blue === undefined) {
      // A service's first deployment has no earlier revision to go back to.
      return this.finish('ROLLBACK_FAILED', 'ROLLBACK_FAILED', reason);
    }
    this.rollingBack = true;
    this.greenReleased = this.host.rollbackScalesGreenDown === 'at-once';
    this.cleaningUp = false;
    this.record.status = 'ROLLBACK_IN_PROGRESS';
    this.record.updatedAt = this.host.clock.now();
    const shiftedTest = this.reached.has('TEST_TRAFFIC_SHIFT');
    const shiftedProduction = this.reached.has('PRODUCTION_TRAFFIC_SHIFT');
    this.setWeights(this.production, 0);
    if (shiftedTest) this.setWeights(this.test, 0);
    this.host.rollbackStarted(this, reason);
    this.host.changed();
    const signal = new AbortController().signal;
    for (const stage of ['PRODUCTION_TRAFFIC_SHIFT', 'TEST_TRAFFIC_SHIFT'] as const) {
      if (stage === 'PRODUCTION_TRAFFIC_SHIFT' ? !shiftedProduction : !shiftedTest) continue;
      this.record.lifecycleStage = stage;
      // The rollback goes on whatever these hooks answer.
      await runStageHooks(this.host, this.config.lifecycleHooks, { stage, resourceArn: this.record.serviceDeploymentArn, executionDetails: () => this.executionDetails(stage), details: this.record.hooks, signal });
    }
    this.greenReleased = true;
    this.host.changed();
    await this.until(() => this.gone(this.green.id), signal);
    this.finish('ROLLBACK_SUCCESSFUL', 'ROLLED_BACK', reason);
  }

  private finish(status: ServiceDeploymentStatus, outcome: RunOutcome, reason?: string): void {
    if (this.done) return;
    this.done = true;
    this.record.status = status;
    if (reason !== undefined) this.record.statusReason = reason;
    this.record.finishedAt = this.host.clock.now();
    this.record.updatedAt = this.record.finishedAt;
    for (const waiter of this.waiters) waiter.resolve();
    this.waiters.clear();
    this.host.finished(this, outcome);
  }

  /** Green gets `greenPercent`, the rest goes to blue (all of it, for a service's first deployment, to green). */
  private setWeights(weights: Map<string, number>, greenPercent: number): void {
    for (const key of weights.keys()) weights.set(key, 0);
    weights.set(this.green.id, greenPercent);
    if (this.blue !== undefined) weights.set(this.blue.id, Math.round((100 - greenPercent) * 10) / 10);
  }

  /** lambda-lifecycle-hooks.html, "Lifecycle stage payloads": weights only where the stage moves them. */
  private executionDetails(stage: LifecycleStage): Record<string, unknown> {
    const asArns = (weights: Map<string, number>) =>
      Object.fromEntries([this.green.id, ...(this.blue ? [this.blue.id] : [])].filter((id) => weights.has(id)).map((id) => [this.host.revisionArn(id), weights.get(id)]));
    const production = stage === 'PRE_PRODUCTION_TRAFFIC_SHIFT' || stage === 'PRODUCTION_TRAFFIC_SHIFT';
    return {
      serviceArn: this.host.eventContext().serviceArn,
      targetServiceRevisionArn: this.host.revisionArn(this.green.id),
      testTrafficWeights: stage === 'TEST_TRAFFIC_SHIFT' ? asArns(this.test) : {},
      productionTrafficWeights: production ? asArns(this.production.has(this.green.id) ? this.production : new Map([...this.production, [this.green.id, 0]])) : {},
    };
  }

  /**
   * SCALE_UP ends when green is "started and healthy" (POST_SCALE_UP in
   * blue-green-deployment-how-it-works.html; docs/ecs-deployment-strategies.md): every task RUNNING
   * and past its health checks, as the rolling scheduler counts it (health.ts).
   */
  private greenReady(): boolean {
    const tasks = this.host.aliveTasks(this.green.id).filter((task) => task.desiredStatus === 'RUNNING');
    return tasks.length >= this.host.desiredCount() && tasks.every((task) => task.lastStatus === 'RUNNING' && this.host.isHealthy(task));
  }

  private gone(deploymentId: string): boolean {
    return this.host.aliveTasks(deploymentId).length === 0;
  }

  private until(check: () => boolean, signal: AbortSignal): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter = { check, resolve: () => resolve() };
      this.waiters.add(waiter);
      signal.addEventListener(
        'abort',
        () => {
          this.waiters.delete(waiter);
          reject(signal.reason);
        },
        { once: true },
      );
    });
  }
}
