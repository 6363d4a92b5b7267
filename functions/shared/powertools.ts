import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Tracer } from '@aws-lambda-powertools/tracer';

/** Module singletons: one Logger, one Metrics and (where tracing can be on) one Tracer per Lambda container, as Powertools recommends. */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'ecs-session-drain' });

export const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'EcsSessionDrain',
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'ecs-session-drain',
});

/**
 * X-Ray tracing of the SDK clients (clients.ts) and of each invocation (handler-kit.ts), or
 * undefined where Powertools would keep tracing off anyway: outside Lambda (no AWS_EXECUTION_ENV:
 * tests, tools) and with POWERTOOLS_TRACE_ENABLED=false (the local cloud, which runs no X-Ray
 * daemon). There the X-Ray SDK is not even loaded: once loaded it follows every promise (async
 * hooks), which made async code 1.5 to 2 times as costly. Where it is loaded Powertools still
 * decides (off under sam local). The functions send nothing over HTTP(S) but through the SDK
 * clients, so the http modules are not patched.
 */
export const tracer: Tracer | undefined = mayTrace(process.env)
  ? new (await import('@aws-lambda-powertools/tracer')).Tracer({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'ecs-session-drain', captureHTTPsRequests: false })
  : undefined;

function mayTrace(env: Record<string, string | undefined>): boolean {
  return (env.AWS_EXECUTION_ENV ?? '') !== '' && env.POWERTOOLS_TRACE_ENABLED?.toLowerCase() !== 'false';
}

export { MetricUnit };

/** Metric names, in one place so that dashboards and README stay in step with the code. */
export const MetricName = {
  DrainsStarted: 'DrainsStarted',
  DrainsCompleted: 'DrainsCompleted',
  DrainSeconds: 'DrainSeconds',
  SessionsAtDrainStart: 'SessionsAtDrainStart',
  SpotInterruptions: 'SpotInterruptions',
  EventsRejected: 'EventsRejected',
  ProtectionBlocked: 'ProtectionBlocked',
  /** A deployment the pacer leaves alone: another deployment controller, or a strategy the lifecycle hook drains. */
  DeploymentsNotPaced: 'DeploymentsNotPaced',
  // Gauges of the reconciler's run, once a minute (core/reconcile/gauges.ts).
  DrainsInProgress: 'DrainsInProgress',
  SessionsOnDrainingTasks: 'SessionsOnDrainingTasks',
  DrainsPastDeadline: 'DrainsPastDeadline',
  TasksProtectionBlocked: 'TasksProtectionBlocked',
  DeploymentHeldSeconds: 'DeploymentHeldSeconds',
  ReconcileStepsFailed: 'ReconcileStepsFailed',
} as const;
