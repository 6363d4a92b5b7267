import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

/** Module singletons: one Logger and one Metrics per Lambda container, as Powertools recommends. */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'ecs-session-drain' });

export const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'EcsSessionDrain',
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'ecs-session-drain',
});

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
