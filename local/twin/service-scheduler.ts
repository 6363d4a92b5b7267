import type { ScaledClock } from '../cloud/clock.js';
import type { StopRequest, TaskLifecycle } from './lifecycle.js';
import type { IdSource, TwinDeployment, TwinService, TwinTask } from './model.js';
import type { NewDeploymentOptions, Rollouts } from './rollout.js';
import type { StopWhy } from './scheduler.js';
import { deploymentProgress, planService } from './scheduler.js';
import { settleDeletedService } from './service-deletion.js';
import type { TwinStore } from './store.js';
import { loadBalancerPorts } from './target-health.js';
import { definedOnly } from '../../functions/shared/optional.js';

export interface SchedulerHost {
  clock: ScaledClock;
  store: TwinStore;
  lifecycle: TaskLifecycle;
  ids: IdSource;
  drainingHonoursProtection: boolean;
  /** Task health, the circuit breaker and rollbacks of rolling deployments. */
  rollouts: Rollouts;
  /** Emits the deployment state change event and tells listeners. */
  deploymentChanged(service: TwinService, deployment: TwinDeployment): void;
  /** True when another scheduler runs the service this pass (strategies/engine.ts: BLUE_GREEN, LINEAR, CANARY, task sets). */
  delegate?: (service: TwinService) => boolean;
}

/** Bounds one reconciliation, in case stops and starts kept feeding each other. */
const MAX_PASSES = 10;

/**
 * Applies the scheduler's plan to every service: starts and stops tasks, retires finished
 * deployments and completes the PRIMARY one. Runs after every change and on a periodic tick.
 */
export class ServiceScheduler {
  private running = false;
  private again = false;

  constructor(private readonly host: SchedulerHost) {}

  /** Safe to call from anywhere, including from inside a pass: it then runs one more pass. */
  reconcile(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    try {
      for (let pass = 0; pass < MAX_PASSES; pass += 1) {
        this.again = false;
        for (const service of this.host.store.services.values()) this.runService(service);
        if (!this.again) break;
      }
    } finally {
      this.running = false;
    }
  }

  /**
   * A new PRIMARY deployment; the previous ones become ACTIVE and are rolled away, by deployment:
   * tasks of the same task definition are replaced too (forceNewDeployment, configuration changes).
   * Its tasks run the service's current configuration unless the options name another (rollback).
   */
  newDeployment(service: TwinService, taskDefinitionArn: string, options: NewDeploymentOptions = {}): TwinDeployment {
    const now = this.host.clock.now();
    for (const deployment of service.deployments) {
      if (deployment.status === 'PRIMARY') {
        deployment.status = 'ACTIVE';
        deployment.updatedAt = now;
      }
    }
    const configuration = options.configuration ?? service.configuration;
    const deployment: TwinDeployment = {
      id: options.reuse?.id ?? `ecs-svc/${this.host.ids.digits(19)}`,
      status: 'PRIMARY',
      taskDefinitionArn,
      rolloutState: 'IN_PROGRESS',
      ...definedOnly({ rolloutStateReason: options.rolloutStateReason }),
      failedTasks: 0,
      ...definedOnly({ configuration, rollbackOf: options.rollbackOf }),
      createdAt: options.reuse?.createdAt ?? now,
      updatedAt: now,
    };
    if (options.reuse !== undefined) service.deployments = service.deployments.filter((earlier) => earlier.id !== deployment.id);
    service.deployments.unshift(deployment);
    this.host.deploymentChanged(service, deployment);
    return deployment;
  }

  private runService(service: TwinService): void {
    // A deleted service starts nothing and deploys nothing; it only waits for its tasks to stop.
    if (service.status !== 'ACTIVE') return settleDeletedService(service, this.host.store.tasksOfService(service));
    if (this.host.delegate?.(service) === true) return;
    const { store, lifecycle, rollouts } = this.host;
    const plan = planService({
      service,
      tasks: store.tasksOfService(service),
      now: this.host.clock.now(),
      isOnDrainingInstance: (task) => task.containerInstanceArn !== undefined && store.instances.get(task.containerInstanceArn)?.status === 'DRAINING',
      drainingHonoursProtection: this.host.drainingHonoursProtection,
      isHealthy: (task) => rollouts.countsAsHealthy(task),
      isFailing: (task) => rollouts.failedCheck(task) !== undefined,
    });
    for (const { task, why } of plan.stop) {
      const request = this.stopRequest(service, task, why);
      if (why === 'unhealthy') rollouts.stoppedForHealth(task);
      // Stops the scheduler decides go through the load balancer first (StopTask does not model it).
      if (service.deregistrationDelaySeconds) lifecycle.deregisterThenStop(task, request, service.deregistrationDelaySeconds);
      else lifecycle.requestStop(task, request);
    }
    for (let started = 0; started < plan.start; started += 1) {
      if (!this.launch(service)) break;
    }
    this.progressDeployments(service);
  }

  private stopRequest(service: TwinService, task: TwinTask, why: StopWhy): StopRequest {
    const primary = service.deployments[0]?.id ?? '';
    const stoppedReason =
      why === 'instance-draining'
        ? `Container instance ${task.containerInstanceArn ?? ''} is DRAINING: task stopped by the service scheduler`
        : why === 'unhealthy'
          ? this.host.rollouts.failedCheck(task) === 'target'
            ? 'Task failed ELB health checks'
            : 'Task failed container health checks'
          : `Scaling activity initiated by (deployment ${primary})`;
    return {
      stopCode: 'ServiceSchedulerInitiated',
      stoppedReason,
      sigterm: why === 'instance-draining' ? 'InstanceDraining' : 'ServiceScheduler',
      graceSeconds: service.stopTimeoutSeconds,
    };
  }

  /** Starts one task of the PRIMARY deployment; false when an EC2 service has nowhere to place it. */
  private launch(service: TwinService): boolean {
    const primary = service.deployments[0];
    if (primary === undefined || primary.rolloutState === 'FAILED') return false;
    let containerInstanceArn: string | undefined;
    if (service.launchType === 'EC2') {
      containerInstanceArn = this.host.store.placeOnInstance(service.clusterArn)?.containerInstanceArn;
      if (containerInstanceArn === undefined) return false;
    }
    this.host.lifecycle.launch({
      clusterArn: service.clusterArn,
      serviceName: service.serviceName,
      taskDefinitionArn: primary.taskDefinitionArn,
      group: `service:${service.serviceName}`,
      launchType: service.launchType,
      ...definedOnly({ capacityProviderName: service.capacityProvider, containerInstanceArn }),
      ...this.host.rollouts.launchOptions(service, primary.taskDefinitionArn),
      deploymentId: primary.id,
      startedBy: primary.id,
      containerPorts: loadBalancerPorts(service, primary.id),
    });
    return true;
  }

  private progressDeployments(service: TwinService): void {
    const progress = deploymentProgress(service, this.host.store.tasksOfService(service), (task) => this.host.rollouts.countsAsHealthy(task));
    if (progress.finished.length > 0) {
      service.deployments = service.deployments.filter((deployment) => deployment.status === 'PRIMARY' || !progress.finished.includes(deployment.id));
    }
    const primary = service.deployments[0];
    if (progress.primaryCompleted && primary !== undefined) {
      primary.rolloutState = 'COMPLETED';
      primary.updatedAt = this.host.clock.now();
      this.host.rollouts.completed(service, primary);
      this.host.deploymentChanged(service, primary);
    }
  }
}
