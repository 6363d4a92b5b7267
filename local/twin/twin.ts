import type { ScaledClock } from '../cloud/clock.js';
import type { ApiHost } from './api-host.js';
import { EcsJsonApi } from './api.js';
import { invalidParameter, TwinUsageError } from './errors.js';
import type { EventContext } from './events.js';
import { containerInstanceStateChangeEvent, deploymentStateChangeEvent, ec2SpotInterruptionWarningEvent, standaloneGroup, taskStateChangeEvent } from './events.js';
import { TaskLifecycle } from './lifecycle.js';
import type { EventBridgeEnvelope, FargateCapacityProvider, LaunchType, TaskRuntime, ThrottlingOptions, TwinChange, TwinContainerInstance, TwinDeployment, TwinService, TwinSnapshot, TwinTask } from './model.js';
import { copyTask, IdSource, SPOT_WARNING_SECONDS } from './model.js';
import { Outbox } from './outbox.js';
import type { ServiceSpec } from './records.js';
import { buildContainerInstance, buildService, DEFAULT_STARTUP_SECONDS, DEFAULT_STOP_TIMEOUT_SECONDS, NAME, validateStopTimeout } from './records.js';
import { ServiceScheduler } from './service-scheduler.js';
import { snapshotOf } from './snapshot.js';
import { TwinStore } from './store.js';
import { ApiThrottle } from './throttle.js';

export type { ServiceSpec } from './records.js';

export interface EcsTwinOptions {
  clock: ScaledClock;
  region?: string;
  accountId?: string;
  emit: (event: EventBridgeEnvelope) => void | Promise<void>;
  runtime?: TaskRuntime;
  throttling?: ThrottlingOptions;
  seed?: number;
  /**
   * Whether task scale-in protection keeps a task on a DRAINING container instance. AWS documents
   * protection against "scale-in events from Service Auto Scaling or deployments"
   * (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-scale-in-protection.html),
   * while https://docs.aws.amazon.com/AmazonECS/latest/developerguide/container-instance-draining.html
   * says RUNNING service tasks on a draining instance "are transitioned to a STOPPED state" and
   * replaced per minimumHealthyPercent / maximumPercent, naming no exception: so false by default.
   */
  drainingHonoursProtection?: boolean;
  /** Scenario seconds between scheduler ticks (1). */
  tickSeconds?: number;
  onError?: (error: unknown, where: string) => void;
}

const NO_RUNTIME: TaskRuntime = { started: () => {}, sigterm: () => {}, killed: () => {} };

/** A behavioural emulator of the Amazon ECS control plane (see docs/local-cloud.md). */
export class EcsTwin {
  readonly api: { handle(operation: string, input: unknown): Promise<unknown> };
  private readonly clock: ScaledClock;
  private readonly store: TwinStore;
  private readonly ids: IdSource;
  private readonly throttle: ApiThrottle;
  private readonly outbox: Outbox;
  private readonly lifecycle: TaskLifecycle;
  private readonly scheduler: ServiceScheduler;
  private readonly timers = new Map<string, () => void>();
  private readonly standaloneStopTimeouts = new Map<string, number>();
  private readonly stopTick: () => void;

  constructor(options: EcsTwinOptions) {
    this.clock = options.clock;
    this.store = new TwinStore(options.region ?? 'us-east-1', options.accountId ?? '123456789012');
    this.ids = new IdSource(options.seed);
    this.throttle = new ApiThrottle(new IdSource(options.seed === undefined ? undefined : options.seed + 1), options.throttling);
    this.outbox = new Outbox(options.emit, options.onError);
    this.lifecycle = new TaskLifecycle({
      clock: this.clock,
      store: this.store,
      runtime: options.runtime ?? NO_RUNTIME,
      nextTaskId: () => this.ids.hex(32),
      publish: (task, previous) => this.publishTask(task, previous),
      changed: () => this.scheduler.reconcile(),
      reportError: (error, where) => this.outbox.reportError(error, where),
    });
    this.scheduler = new ServiceScheduler({
      clock: this.clock,
      store: this.store,
      lifecycle: this.lifecycle,
      ids: this.ids,
      drainingHonoursProtection: options.drainingHonoursProtection ?? false,
      deploymentChanged: (service, deployment) => this.deploymentChanged(service, deployment),
    });
    const host: ApiHost = {
      clock: this.clock,
      store: this.store,
      armExpiry: (task) => this.armExpiry(task),
      updateService: (service, change) => this.updateService(service, change),
      stopTask: (task, reason) =>
        this.lifecycle.requestStop(task, { stopCode: 'UserInitiated', stoppedReason: reason, sigterm: 'StopTask', graceSeconds: this.stopTimeoutOf(task) }),
      setInstanceStatus: (instance, status) => this.setInstanceStatus(instance, status),
    };
    this.api = new EcsJsonApi(host, this.throttle, () => this.scheduler.reconcile());
    this.stopTick = this.clock.every(options.tickSeconds ?? 1, () => this.outbox.guarded('scheduler tick', () => this.scheduler.reconcile()));
  }

  createCluster(name: string): string {
    if (!NAME.test(name)) throw invalidParameter(`Invalid cluster name: ${name}`);
    const clusterArn = this.store.clusterArnFor(name);
    if (!this.store.clusters.has(clusterArn)) this.store.clusters.set(clusterArn, { clusterArn, clusterName: name });
    return clusterArn;
  }

  createService(spec: ServiceSpec): string {
    const service = buildService(this.store, spec, this.clock.now());
    this.store.services.set(service.serviceArn, service);
    this.scheduler.newDeployment(service, spec.taskDefinition);
    this.scheduler.reconcile();
    return service.serviceArn;
  }

  /** A task outside any service (RunTask): protection does not apply to it. */
  runTask(
    cluster: string,
    spec: { taskDefinition: string; launchType?: LaunchType; capacityProvider?: FargateCapacityProvider; stopTimeoutSeconds?: number; startupSeconds?: number; startedBy?: string },
  ): string {
    const found = this.store.resolveCluster(cluster);
    const launchType = spec.launchType ?? 'FARGATE';
    const stopTimeout = spec.stopTimeoutSeconds ?? DEFAULT_STOP_TIMEOUT_SECONDS;
    validateStopTimeout(launchType, stopTimeout);
    this.store.rememberTaskDefinition(spec.taskDefinition);
    const instance = launchType === 'EC2' ? this.store.placeOnInstance(found.clusterArn) : undefined;
    if (launchType === 'EC2' && instance === undefined) throw new TwinUsageError(`no ACTIVE container instance in ${found.clusterName}`);
    const task = this.lifecycle.launch({
      clusterArn: found.clusterArn,
      taskDefinitionArn: spec.taskDefinition,
      group: standaloneGroup(spec.taskDefinition),
      launchType,
      ...(spec.capacityProvider === undefined ? {} : { capacityProviderName: spec.capacityProvider }),
      ...(instance === undefined ? {} : { containerInstanceArn: instance.containerInstanceArn }),
      startupSeconds: spec.startupSeconds ?? DEFAULT_STARTUP_SECONDS,
      ...(spec.startedBy === undefined ? {} : { startedBy: spec.startedBy }),
    });
    this.standaloneStopTimeouts.set(task.taskArn, stopTimeout);
    return task.taskArn;
  }

  registerContainerInstance(cluster: string, spec: { ec2InstanceId?: string } = {}): string {
    const instance = buildContainerInstance(this.store, this.ids, cluster, spec.ec2InstanceId, this.clock.now());
    this.store.instances.set(instance.containerInstanceArn, instance);
    this.instanceChanged(instance, { registered: true });
    this.scheduler.reconcile();
    return instance.containerInstanceArn;
  }

  deploy(cluster: string, service: string, taskDefinitionArn: string): string {
    const found = this.findService(cluster, service);
    this.store.rememberTaskDefinition(taskDefinitionArn);
    const deployment = this.scheduler.newDeployment(found, taskDefinitionArn);
    this.scheduler.reconcile();
    return deployment.id;
  }

  setDesiredCount(cluster: string, service: string, desiredCount: number): void {
    if (!Number.isInteger(desiredCount) || desiredCount < 0) throw invalidParameter('desiredCount must be a non-negative integer.');
    this.updateService(this.findService(cluster, service), { desiredCount });
    this.scheduler.reconcile();
  }

  /**
   * The Fargate Spot two-minute warning: a task state change towards STOPPED while the task still
   * runs, and SIGTERM. As for any stop, the container gets SIGKILL after its stopTimeout (at most
   * 120 s on Fargate, so always within the two minutes), and the scheduler starts a replacement
   * at once within maximumPercent: https://repost.aws/knowledge-center/fargate-spot-termination-notice
   */
  interruptFargateSpot(taskArn: string, variant: 'TerminationNotice' | 'SpotInterruption' | 'none' = 'SpotInterruption'): void {
    const task = this.taskOrThrow(taskArn);
    if (task.capacityProviderName !== 'FARGATE_SPOT') throw new TwinUsageError(`${taskArn} does not run on FARGATE_SPOT`);
    if (task.lastStatus !== 'RUNNING' || task.desiredStatus !== 'RUNNING') throw new TwinUsageError(`${taskArn} is not running`);
    this.lifecycle.requestStop(task, {
      stopCode: variant === 'none' ? undefined : variant,
      stoppedReason: 'Your Spot Task was interrupted.',
      sigterm: 'SpotInterruption',
      graceSeconds: Math.min(this.stopTimeoutOf(task), SPOT_WARNING_SECONDS),
    });
    this.scheduler.reconcile();
  }

  /** The EC2 Spot warning; two minutes later the instance and its tasks are gone. */
  interruptEc2Spot(ec2InstanceId: string): void {
    const instance = this.store.findInstanceByEc2Id(ec2InstanceId);
    if (instance === undefined) throw new TwinUsageError(`no registered container instance runs on ${ec2InstanceId}`);
    if (instance.terminatesAt !== undefined) return;
    instance.terminatesAt = new Date(this.clock.now().getTime() + this.clock.ms(SPOT_WARNING_SECONDS));
    this.outbox.emit(ec2SpotInterruptionWarningEvent(this.eventContext(), ec2InstanceId));
    this.schedule(`terminate:${instance.containerInstanceArn}`, SPOT_WARNING_SECONDS, () => this.terminateInstance(instance));
  }

  crashTask(taskArn: string): void {
    this.lifecycle.crash(this.taskOrThrow(taskArn));
    this.scheduler.reconcile();
  }

  /** The app ended by itself; ignored when the task no longer runs (it lost a race with SIGKILL). */
  containerExited(taskArn: string, exitCode = 0): void {
    this.lifecycle.containerExited(this.taskOrThrow(taskArn), exitCode);
    this.scheduler.reconcile();
  }

  setThrottling(options: ThrottlingOptions | undefined): void {
    this.throttle.configure(options);
  }

  snapshot(): TwinSnapshot {
    return snapshotOf(this.store, this.throttle);
  }

  onChange(listener: (change: TwinChange) => void): () => void {
    return this.outbox.onChange(listener);
  }

  /** Resolves once every event handed to `emit` so far has been delivered (or has failed). */
  whenIdle(): Promise<void> {
    return this.outbox.whenIdle();
  }

  stop(): void {
    this.stopTick();
    this.lifecycle.cancelAll();
    for (const cancel of this.timers.values()) cancel();
    this.timers.clear();
  }

  private updateService(service: TwinService, change: Parameters<ApiHost['updateService']>[1]): void {
    if (change.minimumHealthyPercent !== undefined) service.minimumHealthyPercent = change.minimumHealthyPercent;
    if (change.maximumPercent !== undefined) service.maximumPercent = change.maximumPercent;
    if (change.desiredCount !== undefined) service.desiredCount = change.desiredCount;
    const primary = service.deployments[0];
    const taskDefinitionArn = change.taskDefinitionArn ?? primary?.taskDefinitionArn;
    if (taskDefinitionArn === undefined) return;
    if (change.taskDefinitionArn !== undefined) this.store.rememberTaskDefinition(taskDefinitionArn);
    // A desiredCount change alone is no deployment; a new task definition (or a forced one) is.
    if (change.forceNewDeployment === true || taskDefinitionArn !== primary?.taskDefinitionArn) this.scheduler.newDeployment(service, taskDefinitionArn);
  }

  private setInstanceStatus(instance: TwinContainerInstance, status: 'ACTIVE' | 'DRAINING'): void {
    if (instance.status === status) return;
    instance.status = status;
    this.instanceChanged(instance);
  }

  private terminateInstance(instance: TwinContainerInstance): void {
    // Gone first, so that no replacement is placed on it while its tasks are being stopped.
    instance.status = 'INACTIVE';
    instance.agentConnected = false;
    for (const task of this.store.tasksOnInstance(instance.containerInstanceArn)) {
      this.lifecycle.terminate(task, 'TerminationNotice', `Host EC2 (instance ${instance.ec2InstanceId}) terminated.`);
    }
    this.instanceChanged(instance);
    this.scheduler.reconcile();
  }

  /** Every change after registration bumps the instance's version, as ECS does. */
  private instanceChanged(instance: TwinContainerInstance, how: { registered?: boolean } = {}): void {
    if (how.registered !== true) {
      instance.version += 1;
      instance.updatedAt = this.clock.now();
    }
    this.outbox.emit(containerInstanceStateChangeEvent(this.eventContext(), instance, this.store.instanceCounts(instance.containerInstanceArn)));
    this.outbox.notify({ kind: 'container-instance', instance: { ...instance } });
  }

  /** Protection lapses on its own: ECS clears protectionEnabled at expiry, and the scheduler may move. */
  private armExpiry(task: TwinTask): void {
    const key = `protection:${task.taskArn}`;
    this.timers.get(key)?.();
    this.timers.delete(key);
    const expiresAt = task.protection.enabled ? task.protection.expiresAt : undefined;
    if (expiresAt === undefined) return;
    this.schedule(key, this.clock.scenarioSeconds(expiresAt.getTime() - Date.now()), () => {
      if (task.protection.expiresAt !== expiresAt) return;
      // Timers may fire a millisecond early (rounding): protection lapses at its expiry, not before.
      if (Date.now() < expiresAt.getTime()) return this.armExpiry(task);
      task.protection = { enabled: false };
      this.scheduler.reconcile();
    });
  }

  private schedule(key: string, scenarioSeconds: number, fn: () => void): void {
    const cancel = this.clock.after(scenarioSeconds, () => {
      this.timers.delete(key);
      this.outbox.guarded(key, fn);
    });
    this.timers.set(key, cancel);
  }

  private publishTask(task: TwinTask, previous: { lastStatus: TwinTask['lastStatus']; desiredStatus: TwinTask['desiredStatus'] }): void {
    task.version += 1;
    task.updatedAt = this.clock.now();
    this.outbox.emit(taskStateChangeEvent(this.eventContext(), task));
    this.outbox.notify({ kind: 'task', task: copyTask(task), previous });
  }

  private deploymentChanged(service: TwinService, deployment: TwinDeployment): void {
    this.outbox.emit(deploymentStateChangeEvent(this.eventContext(), service.serviceArn, deployment));
    this.outbox.notify({ kind: 'deployment', serviceArn: service.serviceArn, deploymentId: deployment.id, rolloutState: deployment.rolloutState });
  }

  private eventContext(): EventContext {
    return { region: this.store.region, accountId: this.store.accountId, now: this.clock.now() };
  }

  private stopTimeoutOf(task: TwinTask): number {
    const service = [...this.store.services.values()].find((candidate) => candidate.clusterArn === task.clusterArn && candidate.serviceName === task.serviceName);
    return service?.stopTimeoutSeconds ?? this.standaloneStopTimeouts.get(task.taskArn) ?? DEFAULT_STOP_TIMEOUT_SECONDS;
  }

  private findService(cluster: string, service: string): TwinService {
    const found = this.store.findService(this.store.resolveCluster(cluster), service);
    if (found === undefined) throw new TwinUsageError(`service ${service} not found in ${cluster}`);
    return found;
  }

  private taskOrThrow(taskArn: string): TwinTask {
    const task = this.store.tasks.get(taskArn);
    if (task === undefined) throw new TwinUsageError(`unknown task ${taskArn}`);
    return task;
  }
}
