/** The strategy engine: runs BLUE_GREEN / LINEAR / CANARY deployments and EXTERNAL / CODE_DEPLOY task sets in place of the rolling scheduler, and says which tasks get production traffic. */
import type { EventBridgeEnvelope, IdSource, TwinDeployment, TwinService, TwinTask } from '../model.js';
import { EcsApiError, invalidParameter } from '../errors.js';
import type { StrategyEventContext } from './events.js';
import { revisionArn } from '../rolling-history.js';
import type { HookHost } from './hooks.js';
import { DeploymentRun, type RunHost, type RunOutcome } from './run.js';
import { aliveTasks, scaleRevision, type ScalingHost } from './scaling.js';
import { maintainTaskSets } from './task-sets.js';

export interface StrategyEngineHost extends ScalingHost {
  ids: IdSource;
  /** The task passed its health checks (the rolling scheduler's health.ts). */
  isHealthy(task: TwinTask): boolean;
  invokeHook: HookHost['invokeHook'];
  emit(event: EventBridgeEnvelope): void;
  /** Emits the deployment's state change event (its rolloutState and reason) and tells listeners. */
  publishDeployment(service: TwinService, deployment: TwinDeployment): void;
  reconcile(): void;
  reportError(error: unknown, where: string): void;
}

/** Which load balancer target group a task is in, and the share (percent) of new production sessions that group gets. */
export interface TrafficTarget {
  group: string;
  weight: number;
}

export class StrategyEngine {
  /** Pause hooks awaiting ContinueServiceDeployment, by hookId. */
  readonly paused = new Map<string, (action: 'CONTINUE' | 'ROLLBACK') => void>();
  private readonly runs = new Map<string, DeploymentRun>();
  private readonly history = new Map<string, DeploymentRun[]>();
  private readonly started = new Set<string>();

  constructor(
    private readonly host: StrategyEngineHost,
    private readonly region: string,
    private readonly accountId: string,
  ) {}

  /** Called by the service scheduler for every service on every pass: true when the service is this engine's to run now. */
  handles(service: TwinService): boolean {
    if (service.deploymentController === 'EXTERNAL' || service.deploymentController === 'CODE_DEPLOY') {
      maintainTaskSets(this.host, service);
      return true;
    }
    if (service.deploymentStrategy === undefined) return false;
    const primary = service.deployments[0];
    if (primary !== undefined && primary.rolloutState === 'IN_PROGRESS' && !this.started.has(primary.id)) this.begin(service, primary);
    const run = this.runs.get(service.serviceArn);
    if (run === undefined) return false;
    for (const deployment of service.deployments) scaleRevision(this.host, service, deployment, run.desiredFor(deployment.id));
    service.deployments = service.deployments.filter(
      (deployment) => deployment.id === run.green.id || deployment.id === run.blue?.id || aliveTasks(this.host.store, service, deployment.id).length > 0,
    );
    run.poke();
    return true;
  }

  /**
   * Tasks outside a traffic shift share one group ("default"), as a rolling service's tasks share
   * one target group; during a BLUE_GREEN / LINEAR / CANARY deployment each revision is a group of
   * its own, weighted as production traffic is. Only the PRIMARY task set of an EXTERNAL or
   * CODE_DEPLOY service serves production (API_TaskSet status).
   */
  trafficTarget(task: TwinTask): TrafficTarget {
    const cluster = this.host.store.clusters.get(task.clusterArn);
    const service = task.serviceName === undefined || cluster === undefined ? undefined : this.host.store.findService(cluster, task.serviceName);
    if (service === undefined) return { group: 'default', weight: 100 };
    if (service.deploymentController === 'EXTERNAL' || service.deploymentController === 'CODE_DEPLOY') {
      const set = (service.taskSets ?? []).find((candidate) => candidate.id === task.deploymentId);
      return { group: 'default', weight: set?.status === 'PRIMARY' ? 100 : 0 };
    }
    const run = service.deploymentStrategy === undefined ? undefined : this.runs.get(service.serviceArn);
    if (run !== undefined) return { group: task.deploymentId ?? '', weight: run.trafficWeight(task.deploymentId ?? '') };
    const primary = service.deployments[0];
    return { group: 'default', weight: service.deploymentStrategy === undefined || task.deploymentId === primary?.id ? 100 : 0 };
  }

  /** The service's strategy deployments, newest first. */
  deploymentsOf(service: TwinService): DeploymentRun[] {
    return this.history.get(service.serviceArn) ?? [];
  }

  findDeployment(serviceDeploymentArn: string): { service: TwinService; run: DeploymentRun } | undefined {
    for (const service of this.host.store.services.values()) {
      const run = this.deploymentsOf(service).find((candidate) => candidate.record.serviceDeploymentArn === serviceDeploymentArn);
      if (run !== undefined) return { service, run };
    }
    return undefined;
  }

  /** The run currently deploying the service, if any. */
  current(service: TwinService): DeploymentRun | undefined {
    return this.runs.get(service.serviceArn);
  }

  /** StopServiceDeployment with stopType ROLLBACK (also the twin's operator control). */
  rollback(serviceDeploymentArn: string, reason = 'Service deployment rolled back because of StopServiceDeployment.'): void {
    const found = this.findDeployment(serviceDeploymentArn);
    if (found === undefined) throw new EcsApiError('ServiceDeploymentNotFoundException', 'The service deployment does not exist.');
    if (!found.run.requestRollback(reason)) throw new EcsApiError('ConflictException', `The service deployment is ${found.run.record.status} and cannot be stopped.`);
  }

  /** ContinueServiceDeployment: the pause hook must be AWAITING_ACTION. */
  continueHook(hookId: string, action: 'CONTINUE' | 'ROLLBACK'): void {
    const resolve = this.paused.get(hookId);
    if (resolve === undefined) throw invalidParameter(`Lifecycle hook ${hookId} is not awaiting action.`);
    resolve(action);
  }

  revisionArn(service: TwinService, deploymentId: string): string {
    return revisionArn(this.host.store, service, deploymentId);
  }

  private begin(service: TwinService, green: TwinDeployment): void {
    for (const deployment of service.deployments) this.started.add(deployment.id);
    const alive = (deployment: TwinDeployment) => aliveTasks(this.host.store, service, deployment.id).length > 0;
    const older = service.deployments.filter((deployment) => deployment.id !== green.id);
    const previous = this.runs.get(service.serviceArn);
    let blue: TwinDeployment | undefined;
    let blueWeight = 100;
    if (previous !== undefined && !previous.done) {
      // A deployment that did not finish: the revision carrying most production traffic is blue.
      const candidates = [previous.blue, previous.green].filter((deployment): deployment is TwinDeployment => deployment !== undefined && older.includes(deployment));
      blue = candidates.sort((a, b) => previous.trafficWeight(b.id) - previous.trafficWeight(a.id))[0];
      blueWeight = blue === undefined ? 100 : previous.trafficWeight(blue.id);
      previous.supersede(green.id);
    } else {
      blue = older.find(alive);
    }
    const others = older.filter((deployment) => deployment !== blue && alive(deployment));
    const clusterName = service.clusterArn.split('/').pop() ?? '';
    const arn = `${this.host.store.arnPrefix}:service-deployment/${clusterName}/${service.serviceName}/${this.deploymentKey()}`;
    const config = service.deploymentStrategy;
    if (config === undefined) return;
    const run = new DeploymentRun(this.runHost(service), config, green, blue, others, arn, blueWeight);
    this.runs.set(service.serviceArn, run);
    this.history.set(service.serviceArn, [run, ...this.deploymentsOf(service)]);
    run.start();
  }

  /** Service deployment ids look like "EZe5RNVLH6PPzHXINuP28" (21 letters and digits). */
  private deploymentKey(): string {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
    let key = '';
    while (key.length < 21) key += alphabet[Math.floor(this.host.ids.next() * alphabet.length)] ?? 'A';
    return key;
  }

  private runHost(service: TwinService): RunHost {
    const engine = this;
    const host = this.host;
    return {
      clock: host.clock,
      invokeHook: host.invokeHook,
      paused: this.paused,
      emit: (event) => host.emit(event),
      eventContext: () => this.eventContext(service),
      reportError: (error, where) => host.reportError(error, where),
      revisionArn: (deploymentId) => this.revisionArn(service, deploymentId),
      desiredCount: () => service.desiredCount,
      rollbackScalesGreenDown: host.rollbackScalesGreenDown,
      aliveTasks: (deploymentId) => aliveTasks(host.store, service, deploymentId),
      isHealthy: (task) => host.isHealthy(task),
      changed: () => host.reconcile(),
      rollbackStarted: (run, reason) => engine.rollbackStarted(service, run, reason),
      finished: (run, outcome) => engine.finished(service, run, outcome),
    };
  }

  private eventContext(service: TwinService): StrategyEventContext {
    return { region: this.region, accountId: this.accountId, now: this.host.clock.now(), clusterArn: service.clusterArn, serviceArn: service.serviceArn };
  }

  /**
   * The green deployment failed: ECS reports it (SERVICE_DEPLOYMENT_FAILED) and blue serves
   * production again as the PRIMARY deployment, reported as a rollback deployment in progress
   * (ecs_service_deployment_events.html: IN_PROGRESS "is sent for both initial deployments and
   * rollback deployments", told apart by the reason).
   */
  private rollbackStarted(service: TwinService, run: DeploymentRun, reason: string): void {
    const { green, blue } = run;
    if (blue === undefined) return;
    this.started.add(blue.id);
    const now = this.host.clock.now();
    green.status = 'ACTIVE';
    green.rolloutState = 'FAILED';
    green.rolloutStateReason = `ECS deployment ${green.id} failed: ${reason}`;
    green.updatedAt = now;
    this.host.publishDeployment(service, green);
    blue.status = 'PRIMARY';
    blue.rolloutState = 'IN_PROGRESS';
    blue.rolloutStateReason = `ECS deployment ${green.id}: rolling back to deploymentId ${blue.id}.`;
    blue.updatedAt = now;
    service.deployments = [blue, ...service.deployments.filter((deployment) => deployment !== blue)];
    this.host.publishDeployment(service, blue);
  }

  private finished(service: TwinService, run: DeploymentRun, outcome: RunOutcome): void {
    if (this.runs.get(service.serviceArn) === run) this.runs.delete(service.serviceArn);
    const now = this.host.clock.now();
    const keep = outcome === 'SUCCESSFUL' || outcome === 'ROLLBACK_FAILED' ? run.green : run.blue;
    if (outcome !== 'SUPERSEDED' && keep !== undefined) {
      service.deployments = service.deployments.filter((deployment) => deployment === keep || aliveTasks(this.host.store, service, deployment.id).length > 0);
      keep.updatedAt = now;
      if (outcome === 'ROLLBACK_FAILED') {
        keep.rolloutState = 'FAILED';
        keep.rolloutStateReason = `ECS deployment ${keep.id} failed: ${run.record.statusReason ?? ''}`;
      } else {
        keep.rolloutState = 'COMPLETED';
        delete keep.rolloutStateReason;
      }
      this.host.publishDeployment(service, keep);
    }
    this.host.reconcile();
  }
}
