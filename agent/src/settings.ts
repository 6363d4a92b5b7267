import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SessionAgentConfigError } from './errors.js';
import type { AgentLogger } from './logger.js';
import type { SignalSource } from './signals.js';
import { definedOnly } from './optional.js';

export interface SessionAgentOptions {
  /** Default env SESSION_REGISTRY_TABLE. Required. */
  tableName?: string;
  /** Default env ECS_CONTAINER_METADATA_URI_V4 (a base URL: the agent reads `${uri}/task`). Required. */
  metadataUri?: string;
  /** Default env ECS_AGENT_URI (a base URL). Needed only with protection 'agent'. */
  agentUri?: string;
  /** Default 30 (env SESSION_AGENT_HEARTBEAT_SECONDS); at most one heartbeat write per interval. */
  heartbeatSeconds?: number;
  /** Default 5 (env SESSION_AGENT_DRAIN_POLL_SECONDS): how often the agent reads its own task item. */
  drainPollSeconds?: number;
  /**
   * A DRAINING task whose drainDeadline passed this long ago without a stop is taken for abandoned
   * (the orchestrator is not acting: deleted, broken, throttled) and takes sessions again; default
   * 1800 (env SESSION_AGENT_ABANDONED_DRAIN_GRACE_SECONDS). README "When the orchestrator stops".
   */
  abandonedDrainGraceSeconds?: number;
  /** Default 'orchestrator' (env SESSION_AGENT_PROTECTION): who sets ECS scale-in protection. */
  protection?: 'orchestrator' | 'agent';
  /** Agent mode only: ExpiresInMinutes of each protection call, 1..2880, default 60 (env SESSION_AGENT_PROTECTION_MINUTES). */
  protectionMinutes?: number;
  /** Default true: installs a SIGTERM handler (the process then no longer exits on SIGTERM by itself). */
  handleSignals?: boolean;
  /** Default: a new client from the environment (region, credentials, AWS_ENDPOINT_URL). */
  dynamoDb?: DynamoDBClient | DynamoDBDocumentClient;
  /** Default: one JSON line per event on stderr. */
  logger?: AgentLogger;
  fetch?: typeof fetch;
  now?: () => Date;
  /** Service name when the metadata has none (Fargate); default env SESSION_AGENT_SERVICE_NAME. An explicit option wins over the metadata. */
  serviceName?: string;
  /** Informative registry attribute; default env SESSION_AGENT_CAPACITY_PROVIDER. */
  capacityProviderName?: string;
  /**
   * The container's stopTimeout (ECS sends SIGKILL this long after SIGTERM); default env
   * SESSION_AGENT_STOP_TIMEOUT_SECONDS. When set, SIGTERM raises a 'deadline' even without a drain.
   */
  stopTimeoutSeconds?: number;
  /** Time budget of one registry call before the agent stops waiting for it; default 2000 (env SESSION_AGENT_REGISTRY_TIMEOUT_MS). */
  registryTimeoutMs?: number;
  /** Where SIGTERM comes from; default `process`. Tests pass an EventEmitter. */
  signalSource?: SignalSource;
  /** Environment to read defaults from; default `process.env`. */
  env?: Record<string, string | undefined>;
}

/**
 * Longer than the orchestrator's own repair of a drain whose workflow died (its deadline plus the
 * reconciler's 10-minute grace, functions/core/reconcile/decisions.ts) and a run or two more.
 */
export const DEFAULT_ABANDONED_DRAIN_GRACE_SECONDS = 1800;

export interface AgentSettings {
  tableName: string;
  metadataUri: string;
  agentUri?: string;
  heartbeatMs: number;
  drainPollMs: number;
  abandonedDrainGraceMs: number;
  protection: 'orchestrator' | 'agent';
  protectionMinutes: number;
  handleSignals: boolean;
  serviceName?: string;
  fallbackServiceName?: string;
  capacityProviderName?: string;
  stopTimeoutMs?: number;
  registryTimeoutMs: number;
}

export const MAX_PROTECTION_MINUTES = 2880;

/** Fractions are fine (tests and rehearsals run the agent with sub-second intervals). */
function positiveNumber(name: string, value: number | string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const number = typeof value === 'number' ? value : Number(value);
  if (!Number.isFinite(number) || number <= 0) throw new SessionAgentConfigError(`${name} must be a positive number (got ${JSON.stringify(value)})`);
  return number;
}

function optionalString(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

/** Options first, then the environment, then defaults; anything unusable is a SessionAgentConfigError. */
export function resolveSettings(options: SessionAgentOptions): AgentSettings {
  const env = options.env ?? process.env;
  const tableName = optionalString(options.tableName ?? env.SESSION_REGISTRY_TABLE);
  if (tableName === undefined) throw new SessionAgentConfigError('no registry table: set SESSION_REGISTRY_TABLE (or the tableName option)');
  const metadataUri = optionalString(options.metadataUri ?? env.ECS_CONTAINER_METADATA_URI_V4);
  if (metadataUri === undefined) {
    throw new SessionAgentConfigError('no task metadata endpoint: ECS_CONTAINER_METADATA_URI_V4 is unset (not running in an ECS task?), or pass metadataUri');
  }
  const protection = options.protection ?? optionalString(env.SESSION_AGENT_PROTECTION) ?? 'orchestrator';
  if (protection !== 'orchestrator' && protection !== 'agent') {
    throw new SessionAgentConfigError(`protection must be 'orchestrator' or 'agent' (got ${JSON.stringify(protection)})`);
  }
  const agentUri = optionalString(options.agentUri ?? env.ECS_AGENT_URI);
  if (protection === 'agent' && agentUri === undefined) {
    throw new SessionAgentConfigError("protection 'agent' needs the ECS agent endpoint: ECS_AGENT_URI is unset (or pass agentUri)");
  }
  const protectionMinutes = options.protectionMinutes ?? (optionalString(env.SESSION_AGENT_PROTECTION_MINUTES) === undefined ? 60 : Number(env.SESSION_AGENT_PROTECTION_MINUTES));
  if (!Number.isInteger(protectionMinutes) || protectionMinutes < 1 || protectionMinutes > MAX_PROTECTION_MINUTES) {
    throw new SessionAgentConfigError(`protectionMinutes must be an integer in 1..${MAX_PROTECTION_MINUTES} (got ${JSON.stringify(protectionMinutes)})`);
  }
  const stopTimeout = options.stopTimeoutSeconds ?? optionalString(env.SESSION_AGENT_STOP_TIMEOUT_SECONDS);
  const serviceName = optionalString(options.serviceName);
  const fallbackServiceName = optionalString(env.SESSION_AGENT_SERVICE_NAME);
  const capacityProviderName = optionalString(options.capacityProviderName ?? env.SESSION_AGENT_CAPACITY_PROVIDER);
  return {
    tableName,
    metadataUri,
    ...definedOnly({ agentUri }),
    heartbeatMs: positiveNumber('heartbeatSeconds', options.heartbeatSeconds ?? env.SESSION_AGENT_HEARTBEAT_SECONDS, 30) * 1000,
    drainPollMs: positiveNumber('drainPollSeconds', options.drainPollSeconds ?? env.SESSION_AGENT_DRAIN_POLL_SECONDS, 5) * 1000,
    abandonedDrainGraceMs:
      positiveNumber('abandonedDrainGraceSeconds', options.abandonedDrainGraceSeconds ?? env.SESSION_AGENT_ABANDONED_DRAIN_GRACE_SECONDS, DEFAULT_ABANDONED_DRAIN_GRACE_SECONDS) * 1000,
    protection,
    protectionMinutes,
    handleSignals: options.handleSignals ?? true,
    ...definedOnly({ serviceName, fallbackServiceName, capacityProviderName }),
    ...(stopTimeout === undefined ? {} : { stopTimeoutMs: positiveNumber('stopTimeoutSeconds', stopTimeout, 0) * 1000 }),
    registryTimeoutMs: positiveNumber('registryTimeoutMs', options.registryTimeoutMs ?? env.SESSION_AGENT_REGISTRY_TIMEOUT_MS, 2000),
  };
}
