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
import type { RollingServiceChange } from './rolling-settings.js';
import { applyRollingChange } from './rolling-settings.js';
import type { RollbackMode } from './rollout.js';
import { Rollouts } from './rollout.js';
import { RollingHistory } from './rolling-history.js';
import { deleteServiceTasks } from './service-deletion.js';
import { ServiceScheduler } from './service-scheduler.js';
import type { TaskDefinitionBehaviour } from './task-definitions.js';
import { snapshotOf } from './snapshot.js';
import { StrategyEngine, type TrafficTarget } from './strategies/engine.js';
import { TargetHealthBook, type TargetHealthDescription, type TargetHealthState, type TargetRequest } from './target-health.js';
import { configureNewService, NO_TASK_DEFINITION, type StrategyServiceSpec } from './strategies/setup.js';
import { TwinStore } from './store.js';
import { ApiThrottle } from './throttle.js';
import { definedOnly } from '../../functions/shared/optional.js';

export type { ServiceSpec } from './records.js';
export type { StrategyServiceSpec } from './strategies/setup.js';
export type { TrafficTarget } from './strategies/engine.js';
export type { TargetHealthDescription, TargetHealthState, TargetRequest } from './target-health.js';

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
  /** How a failed deployment rolls back (rollout.ts): a new deployment of the earlier revision (default) or the earlier deployment again. */
  rollbackMode?: RollbackMode;
  /**
   * Whether a task's healthStatus change is reported as a task state change event. AWS documents
   * no such event (ecs_cwe_events.html; an open containers-roadmap request, #1019, asks for one)
   * and its sample task event carries no healthStatus: 'none' by default; 'task-state-change'
   * emits one (new version, healthStatus in the detail).
   */
  healthEvents?: 'none' | 'task-state-change';
  /**
   * Lambda Invoke (RequestResponse) for BLUE_GREEN / LINEAR / CANARY lifecycle hooks: resolves
   * with the function's result, rejects when the invocation or the function fails (which rolls the
   * deployment back). Without it a Lambda hook fails. See docs/ecs-deployment-strategies.md.
   */
  invokeHook?: (functionArn: string, payload: unknown) => Promise<unknown>;
  /**
   * Whether task scale-in protection keeps the tasks a BLUE_GREEN / LINEAR / CANARY deployment
   * scales down (blue at CLEAN_UP, green on rollback) and those an EXTERNAL task set scales down.
   * task-scale-in-protection.html says a "blue/green update" keeps protected blue tasks until
   * protection ends, in text written for CodeDeploy; the 2025 native strategies' pages say nothing
   * of it: so false (protection ignored) by default.
   */
  blueGreenHonoursProtection?: boolean;
  /**
   * When a BLUE_GREEN / LINEAR / CANARY rollback scales green down: 'at-once' as the rollback
   * starts (default), or 'after-hooks', once the rollback's PRODUCTION_TRAFFIC_SHIFT and
   * TEST_TRAFFIC_SHIFT hooks have answered. deployment-lifecycle-hooks.html says a rollback runs
   * those hooks, not in what order it scales green down: so the unsafe order by default.
   */
  blueGreenRollbackScalesGreenDown?: 'at-once' | 'after-hooks';
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
  private readonly rollouts: Rollouts;
  private readonly strategies: StrategyEngine;
  private readonly targets: TargetHealthBook;
  private readonly rollingHistory: RollingHistory;
  private readonly healthEvents: boolean;
  private readonly timers = new Map<string, () => void>();
  private readonly standaloneStopTimeouts = new Map<string, number>();
  private readonly reservedTaskIds: string[] = [];
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
      nextTaskId: () => this.reservedTaskIds.shift() ?? this.ids.hex(32),
      publish: (task, previous) => this.publishTask(task, previous),
      changed: () => this.scheduler.reconcile(),
      reportError: (error, where) => this.outbox.reportError(error, where),
    });
    this.healthEvents = options.healthEvents === 'task-state-change';
    this.targets = new TargetHealthBook(this.clock, this.store);
    this.rollouts = new Rollouts({
      clock: this.clock,
      store: this.store,
      rollbackMode: options.rollbackMode ?? 'new-deployment',
      newDeployment: (service, taskDefinitionArn, deploymentOptions) => this.scheduler.newDeployment(service, taskDefinitionArn, deploymentOptions),
      deploymentChanged: (service, deployment) => this.deploymentChanged(service, deployment),
      healthStatusChanged: (task) => {
        if (this.healthEvents) this.publishTask(task, { lastStatus: task.lastStatus, desiredStatus: task.desiredStatus });
      },
      targetHealthChanged: (task, healthy) => (healthy ? this.targets.passed(task) : this.targets.failed(task)),
      appAnswers: (task) => options.runtime?.answersHealthChecks?.(copyTask(task)) ?? true,
      changed: () => this.scheduler.reconcile(),
      reportError: (error, where) => this.outbox.reportError(error, where),
    });
    this.rollingHistory = new RollingHistory({
      clock: this.clock,
      store: this.store,
      rollBack: (service, deployment) => {
        this.rollouts.stop(service, deployment);
      },
    });
    this.strategies = new StrategyEngine(
      {
        clock: this.clock,
        store: this.store,
        lifecycle: this.lifecycle,
        ids: this.ids,
        honoursProtection: options.blueGreenHonoursProtection ?? false,
        rollbackScalesGreenDown: options.blueGreenRollbackScalesGreenDown ?? 'at-once',
        isHealthy: (task) => this.rollouts.countsAsHealthy(task),
        invokeHook: options.invokeHook,
        emit: (event) => this.outbox.emit(event),
        publishDeployment: (service, deployment) => this.deploymentChanged(service, deployment),
        reconcile: () => this.scheduler.reconcile(),
        reportError: (error, where) => this.outbox.reportError(error, where),
      },
      this.store.region,
      this.store.accountId,
    );
    this.scheduler = new ServiceScheduler({
      delegate: (service) => this.strategies.handles(service),
      clock: this.clock,
      store: this.store,
      lifecycle: this.lifecycle,
      ids: this.ids,
      drainingHonoursProtection: options.drainingHonoursProtection ?? false,
      rollouts: this.rollouts,
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
      deleteService: (service) => deleteServiceTasks(service, this.store, this.lifecycle),
      strategies: { engine: this.strategies, ids: this.ids, createService: (spec) => this.addService(spec) },
      rollingHistory: this.rollingHistory,
    };
    this.api = new EcsJsonApi(host, this.throttle, () => this.scheduler.reconcile());
    this.stopTick = this.clock.every(options.tickSeconds ?? 1, () => this.outbox.guarded('scheduler tick', () => this.scheduler.reconcile()));
  }

  /**
   * The next tasks the twin launches take these ids, in order, instead of random ones: a sample
   * event names a task ARN, and `npm run invoke` gives that ARN to a real twin task.
   */
  useTaskIds(...taskIds: string[]): void {
    for (const taskId of taskIds) {
      if (!/^[0-9a-f]{32}$/.test(taskId)) throw invalidParameter(`Invalid task id: ${taskId} (32 hexadecimal digits)`);
    }
    this.reservedTaskIds.push(...taskIds);
  }

  createCluster(name: string): string {
    if (!NAME.test(name)) throw invalidParameter(`Invalid cluster name: ${name}`);
    const clusterArn = this.store.clusterArnFor(name);
    if (!this.store.clusters.has(clusterArn)) this.store.clusters.set(clusterArn, { clusterArn, clusterName: name });
    return clusterArn;
  }

  /** Also BLUE_GREEN / LINEAR / CANARY (deploymentConfiguration.strategy) and EXTERNAL / CODE_DEPLOY services (deploymentController). */
  createService(spec: StrategyServiceSpec): string {
    const service = this.addService(spec);
    this.scheduler.reconcile();
    return service.serviceArn;
  }

  private addService(spec: StrategyServiceSpec): TwinService {
    const now = this.clock.now();
    const service = buildService(this.store, { ...spec, taskDefinition: spec.taskDefinition ?? NO_TASK_DEFINITION }, now);
    const firstDeployment = configureNewService(this.store, this.ids, service, spec, now);
    this.store.services.set(service.serviceArn, service);
    if (firstDeployment !== undefined) this.scheduler.newDeployment(service, firstDeployment);
    return service;
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
      ...definedOnly({ capacityProviderName: spec.capacityProvider }),
      ...(instance === undefined ? {} : { containerInstanceArn: instance.containerInstanceArn }),
      startupSeconds: spec.startupSeconds ?? DEFAULT_STARTUP_SECONDS,
      ...definedOnly({ startedBy: spec.startedBy }),
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
    if (found.deploymentController === 'EXTERNAL' || found.deploymentController === 'CODE_DEPLOY') {
      throw new TwinUsageError(`service ${service} uses the ${found.deploymentController} deployment controller: deploy through task sets`);
    }
    this.store.rememberTaskDefinition(taskDefinitionArn);
    const deployment = this.scheduler.newDeployment(found, taskDefinitionArn);
    this.scheduler.reconcile();
    return deployment.id;
  }

  /**
   * UpdateService as an operator calls it: a new task definition, forceNewDeployment or a changed
   * revision setting (networkConfiguration, platformVersion, loadBalancers, ...) starts a
   * deployment that replaces every task, also those of the same task definition; the circuit
   * breaker, grace period and capacity provider change without one. Returns the new deployment's id.
   */
  updateServiceConfiguration(
    cluster: string,
    service: string,
    update: RollingServiceChange & { taskDefinition?: string; desiredCount?: number; forceNewDeployment?: boolean; minimumHealthyPercent?: number; maximumPercent?: number },
  ): string | undefined {
    const found = this.findService(cluster, service);
    const { taskDefinition, ...change } = update;
    if (change.desiredCount !== undefined && !(Number.isInteger(change.desiredCount) && change.desiredCount >= 0)) throw invalidParameter('desiredCount must be a non-negative integer.');
    const before = found.deployments[0];
    // A scenario's ARN counts as registered, as for deploy(); a short reference must name a known revision.
    if (taskDefinition?.startsWith('arn:') === true) this.store.rememberTaskDefinition(taskDefinition);
    this.updateService(found, { ...change, ...(taskDefinition === undefined ? {} : { taskDefinitionArn: this.store.resolveTaskDefinition(taskDefinition) }) });
    this.scheduler.reconcile();
    const after = found.deployments[0];
    return after !== before ? after?.id : undefined;
  }

  /** A revision the account had registered before the scenario: the API (UpdateService, CreateService, ...) takes it from now on. */
  registerTaskDefinition(taskDefinitionArn: string): void {
    this.store.rememberTaskDefinition(taskDefinitionArn, this.clock.now());
  }

  /** Makes tasks of a revision fail to start or fail their health checks, so that a scenario can deploy a broken revision. */
  setTaskDefinitionBehaviour(taskDefinitionArn: string, behaviour: TaskDefinitionBehaviour): void {
    this.rollouts.behaviours.set(taskDefinitionArn, behaviour);
  }

  /** StopServiceDeployment (stopType ROLLBACK) of the service's PRIMARY deployment; returns the rollback deployment's id. */
  rollBackDeployment(cluster: string, service: string): string {
    const found = this.findService(cluster, service);
    const primary = found.deployments[0];
    if (primary === undefined) throw new TwinUsageError(`service ${service} has no deployment`);
    const id = this.rollouts.stop(found, primary);
    this.scheduler.reconcile();
    return id;
  }

  /** The load balancer's view of a task: its target group and the share (percent) of new production sessions the group gets. */
  trafficTarget(taskArn: string): TrafficTarget {
    return this.strategies.trafficTarget(this.taskOrThrow(taskArn));
  }

  /**
   * Elastic Load Balancing's DescribeTargetHealth for a target group a service of the twin names
   * in its loadBalancers: every registered target (or the ones named; `unused` when not
   * registered). Throws TwinUsageError for a target group no service names (knowsTargetGroup).
   */
  targetHealth(targetGroupArn: string, targets?: readonly TargetRequest[]): TargetHealthDescription[] {
    if (!this.targets.knows(targetGroupArn)) throw new TwinUsageError(`no service of the twin names target group ${targetGroupArn}`);
    return this.targets.describe(targetGroupArn, targets);
  }

  knowsTargetGroup(targetGroupArn: string): boolean {
    return this.targets.knows(targetGroupArn);
  }

  /**
   * A task's target state, for load balancers that route by it (the simulated workload, the
   * process-mode balancer): undefined when its service has no load balancer (or the task is
   * unknown), `unused` while it is not registered.
   */
  targetHealthState(taskArn: string): TargetHealthState | undefined {
    return this.targets.stateOf(taskArn);
  }

  /** The service's current BLUE_GREEN / LINEAR / CANARY deployment (DescribeServiceDeployments has the rest), or undefined. */
  serviceDeployment(cluster: string, service: string): { serviceDeploymentArn: string; status: string; lifecycleStage?: string; productionWeights: Record<string, number> } | undefined {
    const run = this.strategies.current(this.findService(cluster, service));
    if (run === undefined) return undefined;
    const { serviceDeploymentArn, status, lifecycleStage } = run.record;
    return { serviceDeploymentArn, status, ...(lifecycleStage ? { lifecycleStage } : {}), productionWeights: Object.fromEntries(run.production) };
  }

  /** An operator's rollback of the current BLUE_GREEN / LINEAR / CANARY deployment (StopServiceDeployment ROLLBACK); returns its ARN. */
  rollBackServiceDeployment(cluster: string, service: string): string {
    const run = this.strategies.current(this.findService(cluster, service));
    if (run === undefined) throw new TwinUsageError(`service ${service} has no BLUE_GREEN / LINEAR / CANARY deployment in progress`);
    this.strategies.rollback(run.record.serviceDeploymentArn);
    this.scheduler.reconcile();
    return run.record.serviceDeploymentArn;
  }

  /** ContinueServiceDeployment: CONTINUE or ROLLBACK a pause hook that is AWAITING_ACTION. */
  continueServiceDeployment(hookId: string, action: 'CONTINUE' | 'ROLLBACK'): void {
    this.strategies.continueHook(hookId, action);
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

  /** EC2 terminated the instance (an Auto Scaling group let it go): ECS loses it and its tasks at once. */
  terminateContainerInstance(ec2InstanceId: string): void {
    const instance = this.store.findInstanceByEc2Id(ec2InstanceId);
    if (instance === undefined) throw new TwinUsageError(`no registered container instance runs on ${ec2InstanceId}`);
    if (instance.status === 'INACTIVE') return;
    this.terminateInstance(instance);
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
    this.rollouts.cancelAll();
    for (const cancel of this.timers.values()) cancel();
    this.timers.clear();
  }

  private updateService(service: TwinService, change: Parameters<ApiHost['updateService']>[1]): void {
    if (change.minimumHealthyPercent !== undefined) service.minimumHealthyPercent = change.minimumHealthyPercent;
    if (change.maximumPercent !== undefined) service.maximumPercent = change.maximumPercent;
    if (change.desiredCount !== undefined) service.desiredCount = change.desiredCount;
    const revisionChanged = applyRollingChange(service, change);
    const primary = service.deployments[0];
    const taskDefinitionArn = change.taskDefinitionArn ?? primary?.taskDefinitionArn;
    if (taskDefinitionArn === undefined) return;
    if (change.taskDefinitionArn !== undefined) this.store.rememberTaskDefinition(taskDefinitionArn);
    // A desiredCount change alone is no deployment; a new task definition, revision setting (or a forced one) is.
    if (change.forceNewDeployment === true || revisionChanged || taskDefinitionArn !== primary?.taskDefinitionArn) this.scheduler.newDeployment(service, taskDefinitionArn);
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
    this.targets.taskChanged(task, previous);
    this.rollouts.taskChanged(task, previous);
    this.outbox.emit(taskStateChangeEvent(this.eventContext(), task, this.healthEvents));
    this.outbox.notify({ kind: 'task', task: copyTask(task), previous });
  }

  private deploymentChanged(service: TwinService, deployment: TwinDeployment): void {
    this.rollingHistory.deploymentChanged(service, deployment);
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
