import { invalidParameter, readInteger } from './errors.js';
import type { TwinContainerInstance, TwinService, TwinTask } from './model.js';
import type { ProtectionHost } from './protection.js';
import type { StrategyApiHost } from './strategies/api.js';
import type { RollingHistory } from './rolling-history.js';
import type { RollingServiceChange } from './rolling-settings.js';

/** What the API handlers need from the twin: its records plus the changes only the twin makes. */
export interface ApiHost extends ProtectionHost {
  updateService(
    service: TwinService,
    change: { desiredCount?: number; taskDefinitionArn?: string; forceNewDeployment?: boolean; minimumHealthyPercent?: number; maximumPercent?: number } & RollingServiceChange,
  ): void;
  stopTask(task: TwinTask, reason: string): void;
  /** DeleteService: DRAINING, its tasks stopped, INACTIVE once they are (service-deletion.ts). */
  deleteService(service: TwinService): void;
  setInstanceStatus(instance: TwinContainerInstance, status: 'ACTIVE' | 'DRAINING'): void;
  /** Strategy deployments and task sets (strategies/api.ts). */
  strategies: StrategyApiHost;
  /** The service deployments of rolling services (rolling-history.ts). */
  rollingHistory: RollingHistory;
}

/**
 * List pagination: an opaque token naming the operation and the offset, so that a token from
 * one listing is refused by another, as ECS does.
 */
export function paginate<T>(
  operation: string,
  items: readonly T[],
  input: Record<string, unknown>,
  limits: { defaultPage: number; maxPage: number },
): { page: T[]; nextToken?: string } {
  const maxResults = readInteger(input, 'maxResults') ?? limits.defaultPage;
  if (maxResults < 1 || maxResults > limits.maxPage) {
    throw invalidParameter(`maxResults must be between 1 and ${limits.maxPage}.`);
  }
  const token = input.nextToken;
  let offset = 0;
  if (token !== undefined && token !== null) {
    const decoded = typeof token === 'string' ? Buffer.from(token, 'base64url').toString('utf8') : '';
    const match = /^(\w+):(\d+)$/.exec(decoded);
    if (match === null || match[1] !== operation) throw invalidParameter('Invalid nextToken.');
    offset = Number(match[2]);
  }
  const page = items.slice(offset, offset + maxResults);
  const next = offset + maxResults;
  return next < items.length ? { page, nextToken: Buffer.from(`${operation}:${next}`, 'utf8').toString('base64url') } : { page };
}

/**
 * The shape every Describe* operation shares: a list of references (names or ARNs) of bounded
 * length, each described or reported MISSING. Messages stay per operation, as ECS words them.
 */
export function describeEach<T>(
  refs: readonly string[],
  limits: { max: number; emptyMessage: string; tooManyMessage: string },
  find: (ref: string) => T | undefined,
  view: (found: T) => Record<string, unknown>,
  missingArn: (ref: string) => string = (ref) => ref,
): { described: Record<string, unknown>[]; failures: { arn: string; reason: string }[] } {
  if (refs.length === 0) throw invalidParameter(limits.emptyMessage);
  if (refs.length > limits.max) throw invalidParameter(limits.tooManyMessage);
  const described: Record<string, unknown>[] = [];
  const failures: { arn: string; reason: string }[] = [];
  for (const ref of refs) {
    const found = find(ref);
    if (found === undefined) failures.push({ arn: missingArn(ref), reason: 'MISSING' });
    else described.push(view(found));
  }
  return { described, failures };
}
