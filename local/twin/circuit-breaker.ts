import { invalidParameter } from './errors.js';

/*
 * The deployment circuit breaker of the rolling update (ECS) deployment controller.
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-circuit-breaker.html
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeploymentCircuitBreaker.html
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ThresholdConfiguration.html
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ServiceDeploymentCircuitBreaker.html
 *
 * - A task of the deployment counts as a failure when it does not reach RUNNING (stopCode
 *   TaskFailedToStart) or fails its health checks and is stopped (API_Deployment.html, failedTasks).
 * - When the count reaches the threshold the deployment goes FAILED and launches no more tasks;
 *   with rollback on, ECS rolls back to the last deployment that COMPLETED.
 * - Threshold (default BOUNDED_PERCENT 50): ceil(0.5 * desired count), at least 3, at most 200
 *   ("minimum threshold of 3 and a maximum threshold of 200", API_ServiceDeploymentCircuitBreaker).
 *   UNBOUNDED_PERCENT drops the bounds; COUNT is the value itself.
 * - resetOnHealthyTask (default true): a task of the deployment that becomes healthy resets the
 *   count to 0.
 */

export type ThresholdType = 'COUNT' | 'BOUNDED_PERCENT' | 'UNBOUNDED_PERCENT';

export interface ThresholdConfiguration {
  type: ThresholdType;
  value: number;
}

export interface CircuitBreakerSettings {
  enable: boolean;
  rollback: boolean;
  resetOnHealthyTask?: boolean;
  thresholdConfiguration?: ThresholdConfiguration;
}

export const CIRCUIT_BREAKER_OFF: CircuitBreakerSettings = { enable: false, rollback: false };
export const CIRCUIT_BREAKER_MIN_THRESHOLD = 3;
export const CIRCUIT_BREAKER_MAX_THRESHOLD = 200;
export const DEFAULT_THRESHOLD: ThresholdConfiguration = { type: 'BOUNDED_PERCENT', value: 50 };

/** The rolloutStateReason and SERVICE_DEPLOYMENT_FAILED reason, as AWS's sample event words it (ecs_cwe_events.html). */
export const CIRCUIT_BREAKER_FAILED_REASON = 'ECS deployment circuit breaker: task failed to start.';

/** The reason of the SERVICE_DEPLOYMENT_IN_PROGRESS event that starts a rollback (AWS's sample event). */
export function circuitBreakerRollbackReason(targetDeploymentId: string): string {
  return `ECS deployment circuit breaker: rolling back to deploymentId ${targetDeploymentId}.`;
}

export function failureThreshold(settings: CircuitBreakerSettings, desiredCount: number): number {
  const { type, value } = settings.thresholdConfiguration ?? DEFAULT_THRESHOLD;
  if (type === 'COUNT') return Math.max(1, value);
  const share = Math.ceil((desiredCount * value) / 100);
  if (type === 'UNBOUNDED_PERCENT') return Math.max(1, share);
  return Math.min(CIRCUIT_BREAKER_MAX_THRESHOLD, Math.max(CIRCUIT_BREAKER_MIN_THRESHOLD, share));
}

const THRESHOLD_TYPES = new Set<string>(['COUNT', 'BOUNDED_PERCENT', 'UNBOUNDED_PERCENT']);

/** Checks a deploymentCircuitBreaker as CreateService / UpdateService receive it (enable and rollback are required). */
export function readCircuitBreaker(raw: unknown): CircuitBreakerSettings {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw invalidParameter('deploymentCircuitBreaker must be a structure.');
  const input = raw as Record<string, unknown>;
  if (typeof input.enable !== 'boolean' || typeof input.rollback !== 'boolean') {
    throw invalidParameter('deploymentCircuitBreaker needs the booleans enable and rollback.');
  }
  const settings: CircuitBreakerSettings = { enable: input.enable, rollback: input.rollback };
  if (input.resetOnHealthyTask !== undefined && input.resetOnHealthyTask !== null) {
    if (typeof input.resetOnHealthyTask !== 'boolean') throw invalidParameter('resetOnHealthyTask must be a boolean.');
    settings.resetOnHealthyTask = input.resetOnHealthyTask;
  }
  const threshold = input.thresholdConfiguration;
  if (threshold !== undefined && threshold !== null) {
    const { type, value } = threshold as Record<string, unknown>;
    if (typeof type !== 'string' || !THRESHOLD_TYPES.has(type)) throw invalidParameter('thresholdConfiguration.type must be COUNT, BOUNDED_PERCENT or UNBOUNDED_PERCENT.');
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) throw invalidParameter('thresholdConfiguration.value must be a non-negative integer.');
    settings.thresholdConfiguration = { type: type as ThresholdType, value };
  }
  return settings;
}

/** What one more failed task of a monitored deployment leads to. */
export function afterFailure(failedTasks: number, settings: CircuitBreakerSettings, desiredCount: number): 'tripped' | 'counting' {
  return settings.enable && failedTasks >= failureThreshold(settings, desiredCount) ? 'tripped' : 'counting';
}
