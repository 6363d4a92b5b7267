import type { ScaledClock } from '../cloud/clock.js';
import { availabilityZoneOf } from './events.js';
import type { FargateCapacityProvider, KillCause, LaunchType, SigtermReason, StopCode, TaskRuntime, TwinTask } from './model.js';
import { copyTask } from './model.js';
import { addressesInUse, allocateNetworkInterface, bindPorts, type NetworkBinding, networkModeOf } from './network.js';
import type { TwinStore } from './store.js';
import { definedOnly } from '../../functions/shared/optional.js';

/*
 * A task's life: PROVISIONING -> PENDING -> RUNNING, then on a stop request desiredStatus STOPPED
 * with SIGTERM, SIGKILL after the stop timeout unless the app exits first, and (Fargate)
 * DEPROVISIONING -> STOPPED. https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-lifecycle-explanation.html
 */

/** Scenario seconds a Fargate task spends in DEPROVISIONING (ENI detach) before STOPPED. */
export const DEPROVISIONING_SECONDS = 1;

export interface LifecycleHost {
  clock: ScaledClock;
  store: TwinStore;
  runtime: TaskRuntime;
  nextTaskId(): string;
  /** Bumps the task's version, emits its state change event and tells listeners. */
  publish(task: TwinTask, previous: { lastStatus: TwinTask['lastStatus']; desiredStatus: TwinTask['desiredStatus'] }): void;
  /** Something changed outside an API call or control method: let the scheduler react. */
  changed(): void;
  reportError(error: unknown, where: string): void;
}

export interface LaunchSpec {
  clusterArn: string;
  serviceName?: string;
  taskDefinitionArn: string;
  group: string;
  launchType: LaunchType;
  capacityProviderName?: FargateCapacityProvider;
  containerInstanceArn?: string;
  startupSeconds: number;
  deploymentId?: string;
  startedBy?: string;
  /** The task stops after its image pull instead of running (task-definitions.ts). */
  failsToStart?: { stoppedReason: string };
  /** Container ports the task serves on (its service's load balancers): bound on the instance in bridge and host mode. */
  containerPorts?: readonly number[];
}

export interface StopRequest {
  /** Absent for the bare Fargate Spot warning, which AWS sometimes sends without one. */
  stopCode: StopCode | undefined;
  stoppedReason?: string;
  sigterm: SigtermReason;
  /** Scenario seconds between SIGTERM and SIGKILL. */
  graceSeconds: number;
}

export class TaskLifecycle {
  private readonly timers = new Map<string, Set<() => void>>();

  constructor(private readonly host: LifecycleHost) {}

  launch(spec: LaunchSpec): TwinTask {
    const now = this.host.clock.now();
    const taskId = this.host.nextTaskId();
    const clusterName = spec.clusterArn.split('/').pop() ?? '';
    const task: TwinTask = {
      taskArn: `${this.host.store.arnPrefix}:task/${clusterName}/${taskId}`,
      taskId,
      clusterArn: spec.clusterArn,
      ...definedOnly({ serviceName: spec.serviceName }),
      taskDefinitionArn: spec.taskDefinitionArn,
      group: spec.group,
      ...definedOnly({ startedBy: spec.startedBy }),
      lastStatus: 'PROVISIONING',
      desiredStatus: 'RUNNING',
      ...definedOnly({ capacityProviderName: spec.capacityProviderName }),
      launchType: spec.launchType,
      ...definedOnly({ containerInstanceArn: spec.containerInstanceArn }),
      protection: { enabled: false },
      version: 0,
      createdAt: now,
      updatedAt: now,
      ...definedOnly({ deploymentId: spec.deploymentId }),
      availabilityZone: availabilityZoneOf(taskId, this.host.store.region),
    };
    const mode = networkModeOf(spec.launchType, this.host.store.taskDefinitions.find(spec.taskDefinitionArn)?.body.networkMode);
    if (mode === 'awsvpc') {
      task.networkInterface = allocateNetworkInterface(taskId, task.availabilityZone, this.host.store.region, addressesInUse(this.host.store.tasks.values()));
    }
    const bindings = mode === 'awsvpc' ? [] : bindPorts(taskId, mode, spec.containerPorts ?? []);
    this.host.store.tasks.set(task.taskArn, task);
    this.host.publish(task, { lastStatus: 'PROVISIONING', desiredStatus: 'RUNNING' });
    const half = Math.max(0, spec.startupSeconds) / 2;
    this.after(task, half, () => {
      this.transition(task, () => {
        task.lastStatus = 'PENDING';
        task.pullStartedAt = this.host.clock.now();
      });
      const failsToStart = spec.failsToStart;
      this.after(task, half, () => (failsToStart === undefined ? this.becomeRunning(task, bindings) : this.failToStart(task, failsToStart.stoppedReason)));
    });
    return task;
  }

  /**
   * The task never reaches RUNNING: ECS stops it with stopCode TaskFailedToStart
   * (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/stopped-task-error-codes.html).
   */
  private failToStart(task: TwinTask, stoppedReason: string): void {
    if (task.desiredStatus !== 'RUNNING' || task.lastStatus !== 'PENDING') return;
    this.markStopping(task, 'TaskFailedToStart', stoppedReason);
    this.finish(task);
  }

  /** StopTask, the scheduler, a Spot warning or instance draining asks the task to stop. */
  requestStop(task: TwinTask, request: StopRequest): void {
    if (task.desiredStatus === 'STOPPED' || task.lastStatus === 'STOPPED') return;
    const wasRunning = task.lastStatus === 'RUNNING';
    this.transition(task, () => this.markStopping(task, request.stopCode, request.stoppedReason));
    if (!wasRunning) {
      this.finish(task);
      return;
    }
    this.sigterm(task, request);
  }

  /**
   * A service task behind a load balancer: ECS deregisters it from the target group first
   * (DEACTIVATING), the load balancer sends it no new connection and waits for the open ones for
   * its deregistration delay, completing early once none is left; then it breaks what is still
   * open and ECS goes on as for any stop: SIGTERM, SIGKILL after the stop timeout.
   * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/load-balancer-connection-draining.html
   * The twin reports the task RUNNING with desiredStatus STOPPED meanwhile (ECS: DEACTIVATING).
   */
  deregisterThenStop(task: TwinTask, request: StopRequest, delaySeconds: number): void {
    if (task.desiredStatus === 'STOPPED' || task.lastStatus === 'STOPPED') return;
    if (task.lastStatus !== 'RUNNING' || !(delaySeconds > 0)) return this.requestStop(task, request);
    this.transition(task, () => {
      this.markStopping(task, request.stopCode, request.stoppedReason);
      delete task.stoppingAt;
    });
    let done = false;
    const complete = (cut: boolean) => {
      if (done || task.lastStatus !== 'RUNNING') return;
      done = true;
      this.cancelTimers(task);
      if (cut) this.callRuntime('deregistered', () => this.host.runtime.deregistered?.(copyTask(task)));
      this.transition(task, () => {
        task.stoppingAt = this.host.clock.now();
      });
      this.sigterm(task, request);
    };
    const until = new Date(this.host.clock.now().getTime() + this.host.clock.ms(delaySeconds));
    this.after(task, delaySeconds, () => complete(true));
    this.callRuntime('deregistering', () => this.host.runtime.deregistering?.(copyTask(task), { reason: request.sigterm, until, drained: () => complete(false) }));
  }

  /** The essential container ended by itself (exit code given), whether asked to or not. */
  containerExited(task: TwinTask, exitCode: number): boolean {
    if (task.lastStatus !== 'RUNNING') return false;
    if (task.desiredStatus === 'RUNNING') this.markStopping(task, 'EssentialContainerExited', 'Essential container in task exited');
    task.exitCode = exitCode;
    this.finish(task);
    return true;
  }

  /** The essential container fails (exit code 1): no SIGTERM, the runtime hears it was killed. */
  crash(task: TwinTask): boolean {
    if (task.lastStatus !== 'RUNNING') return false;
    if (task.desiredStatus === 'RUNNING') this.markStopping(task, 'EssentialContainerExited', 'Essential container in task exited');
    task.exitCode = 1;
    this.callRuntime('killed', () => this.host.runtime.killed(copyTask(task), 'CRASH'));
    this.finish(task);
    return true;
  }

  /** The host went away: the task ends at once, whatever it was doing. */
  terminate(task: TwinTask, stopCode: StopCode, stoppedReason: string): void {
    if (task.lastStatus === 'STOPPED' || task.lastStatus === 'DEPROVISIONING') return;
    if (task.desiredStatus === 'RUNNING') this.markStopping(task, stopCode, stoppedReason);
    this.kill(task, 'INSTANCE_TERMINATED');
  }

  kill(task: TwinTask, cause: KillCause): void {
    if (task.lastStatus === 'STOPPED' || task.lastStatus === 'DEPROVISIONING') return;
    const wasRunning = task.lastStatus === 'RUNNING';
    if (cause === 'SIGKILL') task.exitCode = 137;
    if (wasRunning) this.callRuntime('killed', () => this.host.runtime.killed(copyTask(task), cause));
    this.finish(task);
  }

  cancelAll(): void {
    for (const cancels of this.timers.values()) for (const cancel of cancels) cancel();
    this.timers.clear();
  }

  private sigterm(task: TwinTask, request: StopRequest): void {
    const killAt = new Date(this.host.clock.now().getTime() + this.host.clock.ms(request.graceSeconds));
    this.after(task, request.graceSeconds, () => this.kill(task, 'SIGKILL'));
    this.callRuntime('sigterm', () => this.host.runtime.sigterm(copyTask(task), { reason: request.sigterm, killAt }));
  }

  /** ECS shows a bridge or host mode task's port bindings once it is RUNNING (API_NetworkBinding). */
  private becomeRunning(task: TwinTask, bindings: NetworkBinding[]): void {
    if (task.desiredStatus !== 'RUNNING' || task.lastStatus !== 'PENDING') return;
    this.transition(task, () => {
      const now = this.host.clock.now();
      task.lastStatus = 'RUNNING';
      task.pullStoppedAt = now;
      task.startedAt = now;
      if (bindings.length > 0) task.networkBindings = bindings;
    });
    this.callRuntime('started', () => this.host.runtime.started(copyTask(task)));
    this.host.changed();
  }

  private markStopping(task: TwinTask, stopCode: StopCode | undefined, stoppedReason: string | undefined): void {
    task.desiredStatus = 'STOPPED';
    task.stoppingAt = this.host.clock.now();
    if (stopCode === undefined) delete task.stopCode;
    else task.stopCode = stopCode;
    if (stoppedReason !== undefined) task.stoppedReason = stoppedReason;
  }

  /** Containers are gone: Fargate deprovisions for a moment, EC2 tasks stop at once. */
  private finish(task: TwinTask): void {
    this.cancelTimers(task);
    this.transition(task, () => {
      task.desiredStatus = 'STOPPED';
      task.executionStoppedAt = this.host.clock.now();
      if (task.launchType === 'FARGATE') {
        task.lastStatus = 'DEPROVISIONING';
      } else {
        task.lastStatus = 'STOPPED';
        task.stoppedAt = task.executionStoppedAt;
      }
    });
    if (task.lastStatus === 'DEPROVISIONING') {
      this.after(task, DEPROVISIONING_SECONDS, () => {
        this.transition(task, () => {
          task.lastStatus = 'STOPPED';
          task.stoppedAt = this.host.clock.now();
        });
        this.cancelTimers(task);
        this.host.changed();
      });
    }
    this.host.changed();
  }

  /** Applies one change to the task and reports it as one state change (one version). */
  private transition(task: TwinTask, change: () => void): void {
    const previous = { lastStatus: task.lastStatus, desiredStatus: task.desiredStatus };
    change();
    this.host.publish(task, previous);
  }

  private after(task: TwinTask, seconds: number, fn: () => void): void {
    const cancels = this.timers.get(task.taskArn) ?? new Set<() => void>();
    this.timers.set(task.taskArn, cancels);
    const cancel = this.host.clock.after(seconds, () => {
      cancels.delete(cancel);
      try {
        fn();
      } catch (error) {
        this.host.reportError(error, `timer of ${task.taskArn}`);
      }
    });
    cancels.add(cancel);
  }

  private cancelTimers(task: TwinTask): void {
    for (const cancel of this.timers.get(task.taskArn) ?? []) cancel();
    this.timers.delete(task.taskArn);
  }

  private callRuntime(what: string, call: () => void): void {
    try {
      call();
    } catch (error) {
      this.host.reportError(error, `runtime.${what}`);
    }
  }
}
