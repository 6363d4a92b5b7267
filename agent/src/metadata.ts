import { TaskMetadataError } from './errors.js';
import type { AgentLogger } from './logger.js';
import { retry, withTimeout, type Backoff } from './retry.js';
import type { TaskIdentity } from './types.js';

/**
 * The fields of `GET ${ECS_CONTAINER_METADATA_URI_V4}/task` the agent reads (AWS "Amazon ECS task
 * metadata V4 JSON response"). `Cluster` is an ARN or a short name; `ServiceName` appears only on
 * newer platforms (ECS agent 1.63.1+ on EC2, newer Fargate platform versions), so a service name
 * can also come from SESSION_AGENT_SERVICE_NAME.
 */
export interface TaskMetadataDocument {
  Cluster?: string;
  TaskARN?: string;
  Family?: string;
  Revision?: string;
  ServiceName?: string;
  AvailabilityZone?: string;
  LaunchType?: string;
}

export interface IdentityOverrides {
  /** Wins over the metadata's ServiceName. */
  serviceName?: string;
  /** Used when the metadata has no ServiceName (Fargate on older platform versions). */
  fallbackServiceName?: string;
  capacityProviderName?: string;
}

/** arn:aws:ecs:<region>:<account> of a task ARN (both the long and the legacy format). */
function arnPrefix(taskArn: string): string | undefined {
  const index = taskArn.indexOf(':task/');
  return taskArn.startsWith('arn:') && index > 0 ? taskArn.slice(0, index) : undefined;
}

export function identityFromMetadata(document: TaskMetadataDocument, overrides: IdentityOverrides = {}): TaskIdentity {
  const taskArn = document.TaskARN;
  const prefix = taskArn === undefined ? undefined : arnPrefix(taskArn);
  if (taskArn === undefined || prefix === undefined) {
    throw new TaskMetadataError(`task metadata has no usable TaskARN (got ${JSON.stringify(taskArn)})`);
  }
  const cluster = document.Cluster;
  if (cluster === undefined || cluster === '') throw new TaskMetadataError('task metadata has no Cluster');
  const serviceName = overrides.serviceName ?? (document.ServiceName || undefined) ?? overrides.fallbackServiceName;
  const taskDefinitionArn =
    document.Family && document.Revision ? `${prefix}:task-definition/${document.Family}:${document.Revision}` : undefined;
  return {
    taskArn,
    clusterArn: cluster.startsWith('arn:') ? cluster : `${prefix}:cluster/${cluster}`,
    ...(serviceName ? { serviceName } : {}),
    ...(taskDefinitionArn ? { taskDefinitionArn } : {}),
    ...(document.AvailabilityZone ? { availabilityZone: document.AvailabilityZone } : {}),
    ...(document.LaunchType ? { launchType: document.LaunchType } : {}),
    ...(overrides.capacityProviderName ? { capacityProviderName: overrides.capacityProviderName } : {}),
  };
}

export interface MetadataDeps {
  /** ECS_CONTAINER_METADATA_URI_V4: a base URL; the task document is at `${metadataUri}/task`. */
  metadataUri: string;
  fetch: typeof fetch;
  timeoutMs: number;
  /** The endpoint can answer errors for a moment while the task starts; a few tries, then give up. */
  attempts?: number;
  backoff?: Backoff;
}

export async function readTaskMetadata(deps: MetadataDeps): Promise<TaskMetadataDocument> {
  const url = `${deps.metadataUri.replace(/\/+$/, '')}/task`;
  const outcome = await retry(
    () =>
      withTimeout(`GET ${url}`, deps.timeoutMs, async (signal) => {
        const response = await deps.fetch(url, { signal });
        if (!response.ok) throw new TaskMetadataError(`GET ${url} answered ${response.status}`);
        const body: unknown = await response.json();
        if (typeof body !== 'object' || body === null) throw new TaskMetadataError(`GET ${url} answered no JSON object`);
        return body as TaskMetadataDocument;
      }),
    { maxAttempts: deps.attempts ?? 5, backoff: deps.backoff ?? { initialMs: 200, maxMs: 2_000 } },
  );
  if (outcome.ok) return outcome.value;
  throw new TaskMetadataError(`could not read the task metadata at ${url} (${outcome.attempts} attempts)`, { cause: outcome.error });
}

/**
 * Who this process is: the metadata document plus the settings that complete it. A service name
 * set in the environment that contradicts the metadata is logged; the metadata wins.
 */
export async function discoverTask(
  deps: MetadataDeps & { logger: AgentLogger },
  overrides: IdentityOverrides,
): Promise<TaskIdentity> {
  const document = await readTaskMetadata(deps);
  const identity = identityFromMetadata(document, overrides);
  const { fallbackServiceName } = overrides;
  if (document.ServiceName && fallbackServiceName && document.ServiceName !== fallbackServiceName && overrides.serviceName === undefined) {
    deps.logger.warn('SESSION_AGENT_SERVICE_NAME differs from the task metadata; using the metadata', { metadata: document.ServiceName, env: fallbackServiceName });
  }
  return identity;
}
