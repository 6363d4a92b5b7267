import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';

/** Module singletons: one Logger, one Metrics and one Tracer per Lambda container, as Powertools recommends. */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'ecs-session-drain' });

export const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'EcsSessionDrain',
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'ecs-session-drain',
});

/**
 * X-Ray tracing of the SDK clients (clients.ts) and of each invocation (handler-kit.ts). Powertools
 * turns it on in Lambda only (AWS_EXECUTION_ENV set, AWS_SAM_LOCAL not, POWERTOOLS_TRACE_ENABLED
 * not false): off in tests, and the local cloud sets POWERTOOLS_TRACE_ENABLED=false (it runs no
 * X-Ray daemon). When off, it leaves the clients as they are. The functions send nothing over
 * HTTP(S) but through the SDK clients, so the http modules are not patched.
 */
export const tracer = new Tracer({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'ecs-session-drain', captureHTTPsRequests: false });

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
} as const;
