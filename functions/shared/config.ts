import { ConfigurationError } from './errors.js';

/** How long each scale-in protection grant lasts: the bound on protection outliving the orchestrator. */
export const DEFAULT_PROTECTION_MINUTES = 240;
/** Protection is renewed once less than this is left: an orchestrator outage shorter than this costs nothing. */
export const DEFAULT_PROTECTION_RENEW_BEFORE_SECONDS = 7200;

/** AWS warns Fargate Spot tasks two minutes before it stops them. */
export const FARGATE_SPOT_WARNING_SECONDS = 120;

/**
 * What an EC2 rebalance recommendation does (template parameter RebalanceRecommendationAction), as
 * aws-node-termination-handler offers: 'drain' (INSTANCE drains with the default deadline, each with
 * a replacement) or 'cordon-only' (the tasks refuse new sessions and keep their users for as long as
 * MAX_DRAIN_SECONDS allows, with no replacement started for them).
 */
export const REBALANCE_ACTIONS = ['drain', 'cordon-only'] as const;
export type RebalanceAction = (typeof REBALANCE_ACTIONS)[number];

/**
 * Everything a function learns from its environment, parsed once at cold start.
 * template.yaml is the single source of these variables; the local cloud reads them from there too.
 */
export interface Config {
  tableName: string;
  stateMachineArn: string;
  eventBusName: string;
  /** Full cluster ARNs in scope. Events for any other cluster are ignored. */
  clusterArns: readonly string[];
  defaultDrainSeconds: number;
  maxDrainSeconds: number;
  heartbeatTimeoutSeconds: number;
  protectionMinutes: number;
  /** Renew protection once less than this much of it is left. */
  protectionRenewBeforeSeconds: number;
  /** Time between a Fargate Spot warning and the stop: two minutes on AWS, less in a rehearsal. */
  fargateSpotWarningSeconds: number;
  /** While new tasks wait for healthy load balancer targets, the deployment pacer looks again this often (fractions allowed for rehearsals). */
  targetHealthRecheckSeconds: number;
  rebalanceAction: RebalanceAction;
}

type Env = Record<string, string | undefined>;

function required(env: Env, name: string): string {
  const value = env[name];
  if (value === undefined || value.trim() === '') {
    throw new ConfigurationError(`environment variable ${name} is required`);
  }
  return value.trim();
}

function positiveInteger(env: Env, name: string, fallback: number, max = Number.MAX_SAFE_INTEGER): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new ConfigurationError(`environment variable ${name} must be an integer from 1 to ${max}, got "${raw}"`);
  }
  return value;
}

function positiveNumber(env: Env, name: string, fallback: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0 || value > max) {
    throw new ConfigurationError(`environment variable ${name} must be a number above 0 and at most ${max}, got "${raw}"`);
  }
  return value;
}

export function loadConfig(env: Env = process.env): Config {
  const clusterArns = (env.CLUSTER_ARNS ?? '')
    .split(',')
    .map((arn) => arn.trim())
    .filter((arn) => arn !== '');
  const defaultDrainSeconds = positiveInteger(env, 'DEFAULT_DRAIN_SECONDS', 3600);
  const maxDrainSeconds = positiveInteger(env, 'MAX_DRAIN_SECONDS', 8 * 3600);
  if (defaultDrainSeconds > maxDrainSeconds) {
    throw new ConfigurationError('DEFAULT_DRAIN_SECONDS must not exceed MAX_DRAIN_SECONDS');
  }
  // Protection is granted for four hours and renewed once less than two hours are left (README
  // "When the orchestrator stops"): should every function stop, no task stays protected more than
  // PROTECTION_MINUTES after the last renewal, while an outage of the reconciler shorter than the
  // renewal margin costs nothing. A margin as long as the grant would renew on every run.
  const protectionMinutes = positiveInteger(env, 'PROTECTION_MINUTES', DEFAULT_PROTECTION_MINUTES, 2880);
  const protectionRenewBeforeSeconds = positiveInteger(env, 'PROTECTION_RENEW_BEFORE_SECONDS', DEFAULT_PROTECTION_RENEW_BEFORE_SECONDS);
  if (protectionRenewBeforeSeconds >= protectionMinutes * 60) {
    throw new ConfigurationError('PROTECTION_RENEW_BEFORE_SECONDS must be less than PROTECTION_MINUTES x 60: protection would be renewed on every run');
  }
  return {
    tableName: required(env, 'TABLE_NAME'),
    stateMachineArn: env.STATE_MACHINE_ARN?.trim() ?? '',
    eventBusName: env.EVENT_BUS_NAME?.trim() || 'default',
    clusterArns,
    defaultDrainSeconds,
    maxDrainSeconds,
    heartbeatTimeoutSeconds: positiveInteger(env, 'HEARTBEAT_TIMEOUT_SECONDS', 120),
    protectionMinutes,
    protectionRenewBeforeSeconds,
    fargateSpotWarningSeconds: positiveInteger(env, 'FARGATE_SPOT_WARNING_SECONDS', FARGATE_SPOT_WARNING_SECONDS, FARGATE_SPOT_WARNING_SECONDS),
    targetHealthRecheckSeconds: positiveNumber(env, 'TARGET_HEALTH_RECHECK_SECONDS', 10, 60),
    rebalanceAction: rebalanceAction(env),
  };
}

function rebalanceAction(env: Env): RebalanceAction {
  const raw = env.REBALANCE_ACTION?.trim();
  if (raw === undefined || raw === '') return 'drain';
  if (!(REBALANCE_ACTIONS as readonly string[]).includes(raw)) {
    throw new ConfigurationError(`environment variable REBALANCE_ACTION must be one of ${REBALANCE_ACTIONS.join(', ')}, got "${raw}"`);
  }
  return raw as RebalanceAction;
}

export function isClusterInScope(config: Config, clusterArn: string): boolean {
  return config.clusterArns.includes(clusterArn);
}
