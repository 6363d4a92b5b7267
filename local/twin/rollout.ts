import type { ScaledClock } from '../cloud/clock.js';
import { afterFailure, CIRCUIT_BREAKER_FAILED_REASON, CIRCUIT_BREAKER_OFF, circuitBreakerRollbackReason } from './circuit-breaker.js';
import { EcsApiError } from './errors.js';
import type { FailedCheck, HealthProfile } from './health.js';
import { DEFAULT_HEALTH_CHECK_SECONDS, DEFAULT_TARGET_HEALTH_CHECK_SECONDS, DEFAULT_UNHEALTHY_AFTER_SECONDS, TaskHealth } from './health.js';
import type { TwinDeployment, TwinService, TwinTask } from './model.js';
import type { DeploymentRevisionConfig } from './rolling-settings.js';
import { behindLoadBalancer } from './rolling-settings.js';
import type { TwinStore } from './store.js';
import { FAILED_TO_START_REASON, TaskDefinitionBehaviours } from './task-definitions.js';
import { definedOnly } from '../../functions/shared/optional.js';

/*
 * What a rolling (ECS) deployment adds to the scheduler's task accounting: task health, the
 * circuit breaker and rollbacks (circuit breaker, StopServiceDeployment).
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-type-ecs.html
 */

/**
 * AWS documents that a failed deployment is rolled back "to the last deployment that completed
 * successfully" and that the rollback's SERVICE_DEPLOYMENT_IN_PROGRESS event names that deployment
 * in its reason, but not whether the rollback is a new deployment (new id, the earlier tasks are
 * replaced again) or the earlier deployment made PRIMARY again (same id, its tasks stay). The
 * developer guide's "If a new deployment is started because a previous deployment failed and
 * rollback was enabled" leans to the first, the default.
 */
export type RollbackMode = 'new-deployment' | 'reactivate';

export interface NewDeploymentOptions {
  configuration?: DeploymentRevisionConfig;
  rolloutStateReason?: string;
  /** Makes an earlier deployment PRIMARY again under its own id (RollbackMode 'reactivate'). */
  reuse?: Pick<TwinDeployment, 'id' | 'createdAt'>;
  /** A rollback: the id of the deployment it rolls back (its service deployment runs the rollback, rolling-history.ts). */
  rollbackOf?: string;
}

export interface RolloutHost {
  clock: ScaledClock;
  store: TwinStore;
  rollbackMode: RollbackMode;
  newDeployment(service: TwinService, taskDefinitionArn: string, options: NewDeploymentOptions): TwinDeployment;
  deploymentChanged(service: TwinService, deployment: TwinDeployment): void;
  healthStatusChanged(task: TwinTask): void;
  /** Behind a load balancer: the target passed (true) or failed (false) its health checks. */
  targetHealthChanged?(task: TwinTask, healthy: boolean): void;
  /** Whether the app in the task answers a health check now. */
  appAnswers?(task: TwinTask): boolean;
  changed(): void;
  reportError(error: unknown, where: string): void;
}

/** What a rollback goes back to: the last deployment that reached COMPLETED. */
interface CompletedRevision {
  id: string;
  taskDefinitionArn: string;
  configuration?: DeploymentRevisionConfig;
  createdAt: Date;
}

export class Rollouts {
  readonly behaviours = new TaskDefinitionBehaviours();
  private readonly health: TaskHealth;
  private readonly lastCompleted = new Map<string, CompletedRevision>();

  constructor(private readonly host: RolloutHost) {
    this.health = new TaskHealth({
      clock: host.clock,
      healthStatusChanged: (task) => host.healthStatusChanged(task),
      becameHealthy: (task) => this.becameHealthy(task),
      targetHealthChanged: (task, healthy) => host.targetHealthChanged?.(task, healthy),
      appAnswers: (task) => host.appAnswers?.(task) ?? true,
      changed: () => host.changed(),
      reportError: (error, where) => host.reportError(error, where),
    });
  }

  /** Every published task change: health checks start at RUNNING and end with the task; failed starts count. */
  taskChanged(task: TwinTask, previous: { lastStatus: TwinTask['lastStatus']; desiredStatus: TwinTask['desiredStatus'] }): void {
    if (previous.lastStatus !== 'RUNNING' && task.lastStatus === 'RUNNING' && task.desiredStatus === 'RUNNING') {
      this.health.started(task, this.profileOf(task));
    }
    // Some stops set desiredStatus before the change they publish (lifecycle.ts): look at the result.
    if (task.desiredStatus === 'STOPPED') this.health.stopped(task);
    if (task.stopCode === 'TaskFailedToStart' && previous.lastStatus === 'PENDING' && task.lastStatus !== 'PENDING') this.failed(task);
  }

  /** How the scheduler launches a task of this revision. */
  launchOptions(service: TwinService, taskDefinitionArn: string): { startupSeconds: number; failsToStart?: { stoppedReason: string } } {
    const behaviour = this.behaviours.get(taskDefinitionArn);
    return {
      startupSeconds: behaviour.startupSeconds ?? service.startupSeconds,
      ...(behaviour.failsToStart === true ? { failsToStart: { stoppedReason: FAILED_TO_START_REASON } } : {}),
    };
  }

  countsAsHealthy(task: TwinTask): boolean {
    return this.health.countsAsHealthy(task);
  }

  failedCheck(task: TwinTask): FailedCheck | undefined {
    return this.health.failedCheck(task);
  }

  /** The scheduler stops a task that failed its health checks: a circuit breaker failure. */
  stoppedForHealth(task: TwinTask): void {
    this.failed(task);
  }

  /** The PRIMARY deployment reached a steady state: rollbacks go back to it from now on. */
  completed(service: TwinService, deployment: TwinDeployment): void {
    delete deployment.rolloutStateReason;
    this.lastCompleted.set(service.serviceArn, {
      id: deployment.id,
      taskDefinitionArn: deployment.taskDefinitionArn,
      ...definedOnly({ configuration: deployment.configuration }),
      createdAt: deployment.createdAt,
    });
  }

  /**
   * StopServiceDeployment with stopType ROLLBACK: "rolls back the service deployment to the
   * previous service revision", whether or not the circuit breaker's rollback option is on.
   * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_StopServiceDeployment.html
   * AWS documents no deployment event text for it; the twin words it like the circuit breaker's.
   */
  stop(service: TwinService, deployment: TwinDeployment): string {
    if (deployment.status !== 'PRIMARY' || deployment.rolloutState !== 'IN_PROGRESS') {
      throw new EcsApiError('ConflictException', `The service deployment of ${deployment.id} is not in progress.`);
    }
    const target = this.rollbackTarget(service, deployment);
    if (target === undefined) throw new EcsApiError('ConflictException', `Service ${service.serviceName} has no earlier completed deployment to roll back to.`);
    return this.rollBack(service, deployment, target, `ECS deployment ${deployment.id} stopped: rolling back to deploymentId ${target.id}.`).id;
  }

  cancelAll(): void {
    this.health.cancelAll();
  }

  private profileOf(task: TwinTask): HealthProfile {
    const behaviour = this.behaviours.get(task.taskDefinitionArn);
    const service = this.serviceOf(task);
    const container = behaviour.healthCheckSeconds ?? service?.healthCheckSeconds ?? DEFAULT_HEALTH_CHECK_SECONDS;
    const target = service !== undefined && behindLoadBalancer(service) ? (service.targetHealthCheckSeconds ?? DEFAULT_TARGET_HEALTH_CHECK_SECONDS) : undefined;
    return {
      ...(container === false ? {} : { containerCheckSeconds: container }),
      ...definedOnly({ targetCheckSeconds: target }),
      ...(behaviour.unhealthy === true ? { failsAfterSeconds: behaviour.unhealthyAfterSeconds ?? DEFAULT_UNHEALTHY_AFTER_SECONDS } : {}),
      graceSeconds: service?.healthCheckGracePeriodSeconds ?? 0,
    };
  }

  /** A task of a monitored deployment failed to start or failed its health checks. */
  private failed(task: TwinTask): void {
    const service = this.serviceOf(task);
    const deployment = service === undefined ? undefined : monitored(service, task);
    if (service === undefined || deployment === undefined) return;
    deployment.failedTasks = (deployment.failedTasks ?? 0) + 1;
    deployment.updatedAt = this.host.clock.now();
    const settings = service.deploymentCircuitBreaker ?? CIRCUIT_BREAKER_OFF;
    if (afterFailure(deployment.failedTasks, settings, service.desiredCount) === 'counting') return;
    deployment.rolloutState = 'FAILED';
    deployment.rolloutStateReason = CIRCUIT_BREAKER_FAILED_REASON;
    this.host.deploymentChanged(service, deployment);
    const target = settings.rollback ? this.rollbackTarget(service, deployment) : undefined;
    if (target !== undefined) this.rollBack(service, deployment, target, circuitBreakerRollbackReason(target.id));
    this.host.changed();
  }

  private becameHealthy(task: TwinTask): void {
    const service = this.serviceOf(task);
    const deployment = service === undefined ? undefined : monitored(service, task);
    if (deployment === undefined || service?.deploymentCircuitBreaker?.resetOnHealthyTask === false) return;
    deployment.failedTasks = 0;
  }

  private rollbackTarget(service: TwinService, from: TwinDeployment): CompletedRevision | undefined {
    const target = this.lastCompleted.get(service.serviceArn);
    return target === undefined || target.id === from.id ? undefined : target;
  }

  private rollBack(service: TwinService, from: TwinDeployment, target: CompletedRevision, reason: string): TwinDeployment {
    return this.host.newDeployment(service, target.taskDefinitionArn, {
      ...definedOnly({ configuration: target.configuration }),
      rolloutStateReason: reason,
      rollbackOf: from.id,
      ...(this.host.rollbackMode === 'reactivate' ? { reuse: { id: target.id, createdAt: target.createdAt } } : {}),
    });
  }

  private serviceOf(task: TwinTask): TwinService | undefined {
    if (task.serviceName === undefined) return undefined;
    return [...this.host.store.services.values()].find((service) => service.clusterArn === task.clusterArn && service.serviceName === task.serviceName);
  }
}

/** The circuit breaker watches the PRIMARY deployment until it completes. */
function monitored(service: TwinService, task: TwinTask): TwinDeployment | undefined {
  const deployment = service.deployments.find((candidate) => candidate.id === task.deploymentId);
  return deployment?.status === 'PRIMARY' && deployment.rolloutState === 'IN_PROGRESS' ? deployment : undefined;
}
