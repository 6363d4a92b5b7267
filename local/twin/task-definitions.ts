import { TASK_DEFINITION_ARN } from './model.js';
import { TwinUsageError } from './errors.js';

/**
 * How tasks of a task definition revision behave, so that a scenario can deploy a broken
 * revision: one whose tasks never start (an image that cannot be pulled, a crash loop before
 * RUNNING) or whose tasks run but fail their health checks.
 */
export interface TaskDefinitionBehaviour {
  /** Tasks stop after their image pull with stopCode TaskFailedToStart and never reach RUNNING. */
  failsToStart?: boolean;
  /** Tasks reach RUNNING, then their health checks (container, else the load balancer's) fail. */
  unhealthy?: boolean;
  /** With `unhealthy`: scenario seconds after RUNNING until the checks have failed (default 90). */
  unhealthyAfterSeconds?: number;
  /** Overrides the service's healthCheckSeconds (false: the revision defines no container health check). */
  healthCheckSeconds?: number | false;
  /** Overrides the service's startupSeconds. */
  startupSeconds?: number;
}

/** The stoppedReason of a task that could not start (one of the documented causes of TaskFailedToStart). */
export const FAILED_TO_START_REASON = 'CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref: not found';

export class TaskDefinitionBehaviours {
  private readonly byArn = new Map<string, TaskDefinitionBehaviour>();

  set(taskDefinitionArn: string, behaviour: TaskDefinitionBehaviour): void {
    if (!TASK_DEFINITION_ARN.test(taskDefinitionArn)) throw new TwinUsageError(`not a task definition ARN: ${taskDefinitionArn}`);
    if (behaviour.failsToStart === true && behaviour.unhealthy === true) throw new TwinUsageError('a revision either fails to start or runs unhealthy, not both');
    for (const field of ['unhealthyAfterSeconds', 'startupSeconds'] as const) {
      const value = behaviour[field];
      if (value !== undefined && !(value >= 0)) throw new TwinUsageError(`${field} must be >= 0`);
    }
    this.byArn.set(taskDefinitionArn, { ...behaviour });
  }

  get(taskDefinitionArn: string): TaskDefinitionBehaviour {
    return this.byArn.get(taskDefinitionArn) ?? {};
  }
}
