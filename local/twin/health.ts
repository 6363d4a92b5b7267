import type { ScaledClock } from '../cloud/clock.js';
import type { TwinTask } from './model.js';

/*
 * Task health as the service scheduler sees it. A RUNNING task counts toward
 * minimumHealthyPercent (and toward a deployment's steady state) only once:
 * - no load balancer, no container health check: 40 s after it reached RUNNING;
 * - a container health check: the task is HEALTHY (all essential containers passed);
 * - a load balancer: the target group reports the target healthy (and, with a container health
 *   check, the task is HEALTHY too).
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeploymentConfiguration.html (minimumHealthyPercent)
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-type-ecs.html
 * Task healthStatus is UNKNOWN while the checks are evaluated or when none is defined, HEALTHY
 * once they pass, UNHEALTHY when one failed; ECS stops a service task that reports unhealthy
 * and replaces it. https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_HealthCheck.html
 * healthCheckGracePeriodSeconds: the scheduler ignores failing checks for that long after the
 * task started. https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_UpdateService.html
 * A check passes only when the app answers it (HealthHost.appAnswers): the times above are when
 * a ready app passes, and an app that is not serving yet fails until a later check.
 */

export type TaskHealthStatus = 'UNKNOWN' | 'HEALTHY' | 'UNHEALTHY';
export type FailedCheck = 'container' | 'target';

/** Without any health check the scheduler waits this long after RUNNING (API_DeploymentConfiguration). */
export const NO_HEALTH_CHECK_WAIT_SECONDS = 40;
/** A container health check runs first after its interval, 30 s by default (API_HealthCheck). */
export const DEFAULT_HEALTH_CHECK_SECONDS = 30;
/** A new target needs one passing check; the target group checks every 30 s by default (load-balancer-healthcheck.html). */
export const DEFAULT_TARGET_HEALTH_CHECK_SECONDS = 30;
/** A failing container is UNHEALTHY after its retries: 3 checks 30 s apart by default (API_HealthCheck). */
export const DEFAULT_UNHEALTHY_AFTER_SECONDS = 90;

export interface HealthProfile {
  /** Seconds after RUNNING until the container health check passes; absent: the revision defines none. */
  containerCheckSeconds?: number;
  /** Behind a load balancer: seconds after RUNNING until the target group reports the target healthy. */
  targetCheckSeconds?: number;
  /** The checks that exist fail instead, this many seconds after RUNNING. */
  failsAfterSeconds?: number;
  /** The service's healthCheckGracePeriodSeconds (0 when absent). */
  graceSeconds: number;
}

export interface HealthHost {
  clock: ScaledClock;
  /** The task's healthStatus changed (the twin may report it, see EcsTwinOptions.healthEvents). */
  healthStatusChanged(task: TwinTask): void;
  /** The task now counts as healthy. */
  becameHealthy(task: TwinTask): void;
  /** Behind a load balancer: the target passed its health checks (true) or failed them (false); target-health.ts reports it. */
  targetHealthChanged?(task: TwinTask, healthy: boolean): void;
  /** Whether the app in the task answers a health check now (TaskRuntime.answersHealthChecks); absent: it always does. */
  appAnswers?(task: TwinTask): boolean;
  /** What the scheduler decides on changed: let it look again. */
  changed(): void;
  reportError(error: unknown, where: string): void;
}

interface Tracked {
  countsHealthy: boolean;
  failing?: FailedCheck;
  /** The grace period is over: failing checks are no longer ignored. */
  graceOver: boolean;
  cancels: Set<() => void>;
}

export class TaskHealth {
  private readonly tracked = new Map<string, Tracked>();

  constructor(private readonly host: HealthHost) {}

  /** The task reached RUNNING: its checks start. */
  started(task: TwinTask, profile: HealthProfile): void {
    this.stopped(task);
    const entry: Tracked = { countsHealthy: false, graceOver: !(profile.graceSeconds > 0), cancels: new Set() };
    this.tracked.set(task.taskArn, entry);
    task.healthStatus = 'UNKNOWN';
    const container = profile.containerCheckSeconds;
    const target = profile.targetCheckSeconds;
    if (profile.failsAfterSeconds !== undefined && (container !== undefined || target !== undefined)) {
      this.after(task, entry, profile.failsAfterSeconds, () => {
        // A broken revision fails the target group's checks too.
        if (target !== undefined) this.host.targetHealthChanged?.(task, false);
        this.fail(task, entry, container !== undefined ? 'container' : 'target');
      });
      if (!entry.graceOver) {
        // A failure inside the grace period only matters once the period is over.
        this.after(task, entry, profile.graceSeconds, () => {
          entry.graceOver = true;
          this.host.changed();
        });
      }
      return;
    }
    // The task counts once every check it has passed: one timer per check, and the last one to pass decides.
    const waiting = new Set<FailedCheck>();
    const passed = (check: FailedCheck | undefined) => {
      if (check !== undefined) waiting.delete(check);
      if (waiting.size > 0) return;
      entry.countsHealthy = true;
      this.host.becameHealthy(task);
      this.host.changed();
    };
    if (container === undefined && target === undefined) {
      this.after(task, entry, NO_HEALTH_CHECK_WAIT_SECONDS, () => passed(undefined));
      return;
    }
    if (container !== undefined) waiting.add('container');
    if (target !== undefined) waiting.add('target');
    if (container !== undefined) {
      this.whenAnswering(task, entry, container, DEFAULT_HEALTH_CHECK_SECONDS, () => {
        this.setStatus(task, 'HEALTHY');
        passed('container');
      });
    }
    if (target !== undefined) {
      this.whenAnswering(task, entry, target, DEFAULT_TARGET_HEALTH_CHECK_SECONDS, () => {
        this.host.targetHealthChanged?.(task, true);
        passed('target');
      });
    }
  }

  /**
   * A check passes at its time only if the app answers it: an app still starting (a simulated app
   * that has not registered yet) fails that check, and the next one comes an interval later. A
   * start-up failure is not counted against the task, as a grace period or start period would not.
   */
  private whenAnswering(task: TwinTask, entry: Tracked, seconds: number, intervalSeconds: number, pass: () => void): void {
    this.after(task, entry, seconds, () => {
      if (this.host.appAnswers?.(task) === false) this.whenAnswering(task, entry, intervalSeconds, intervalSeconds, pass);
      else pass();
    });
  }

  /** The scheduler no longer wants the task (or it stopped): its checks no longer matter. */
  stopped(task: TwinTask): void {
    const entry = this.tracked.get(task.taskArn);
    if (entry === undefined) return;
    for (const cancel of entry.cancels) cancel();
    this.tracked.delete(task.taskArn);
  }

  countsAsHealthy(task: TwinTask): boolean {
    return this.tracked.get(task.taskArn)?.countsHealthy === true;
  }

  /** The check the task failed, once the grace period no longer hides it. */
  failedCheck(task: TwinTask): FailedCheck | undefined {
    const entry = this.tracked.get(task.taskArn);
    if (entry?.failing === undefined || !entry.graceOver) return undefined;
    return entry.failing;
  }

  cancelAll(): void {
    for (const entry of this.tracked.values()) for (const cancel of entry.cancels) cancel();
    this.tracked.clear();
  }

  private fail(task: TwinTask, entry: Tracked, check: FailedCheck): void {
    entry.failing = check;
    if (check === 'container') this.setStatus(task, 'UNHEALTHY');
    this.host.changed();
  }

  private setStatus(task: TwinTask, status: TaskHealthStatus): void {
    if (task.healthStatus === status) return;
    task.healthStatus = status;
    this.host.healthStatusChanged(task);
  }

  private after(task: TwinTask, entry: Tracked, seconds: number, fn: () => void): void {
    const cancel = this.host.clock.after(seconds, () => {
      entry.cancels.delete(cancel);
      if (this.tracked.get(task.taskArn) !== entry) return;
      try {
        fn();
      } catch (error) {
        this.host.reportError(error, `health of ${task.taskArn}`);
      }
    });
    entry.cancels.add(cancel);
  }
}
