import type { Context } from 'aws-lambda';
import type { ParseResult } from '../events/parse.js';
import type { Deps } from './deps.js';
import { isClusterInScope } from './config.js';
import { InvalidInputError, TaskGoneError } from './errors.js';
import { MetricName, MetricUnit } from './powertools.js';

/**
 * What a core function returns when a well-formed event turns out to be unusable (stale, other
 * deployment, instance outside the clusters in scope). The kit logs and counts it like a bad event.
 */
export interface Ignored {
  ignored: string;
}

export function ignored(reason: string): Ignored {
  return { ignored: reason };
}

function isIgnored(value: unknown): value is Ignored {
  return value !== null && typeof value === 'object' && typeof (value as Ignored).ignored === 'string';
}

export type HandlerOutcome<R> = { status: 'rejected'; reason: string } | { status: 'done'; result: R };

export interface EventHandlerSpec<T, R> {
  /** Names the handler in log lines. */
  name: string;
  parse: (raw: unknown) => ParseResult<T>;
  /** The cluster the event is about, when the event names one; checked against CLUSTER_ARNS before any call. */
  clusterOf?: (event: T) => string | undefined;
  /** Correlation keys for every line of this invocation (taskArn, ...). */
  keysOf?: (event: T) => Record<string, string | undefined>;
  run: (deps: Deps, event: T) => Promise<R | Ignored>;
}

/**
 * ECS errors that a retry repeats verbatim: the cluster or service is gone, or the request is
 * wrong for it. Retrying the event would only produce the same failure three times.
 */
const PERMANENT_ERROR_NAMES = new Set([
  'ClientException',
  'InvalidParameterException',
  'ClusterNotFoundException',
  'ServiceNotFoundException',
  'ServiceNotActiveException',
  'UnsupportedFeatureException',
]);

export function isPermanentFailure(error: unknown): boolean {
  return error instanceof InvalidInputError || error instanceof TaskGoneError || (error instanceof Error && PERMANENT_ERROR_NAMES.has(error.name));
}

/**
 * The shape every EventBridge handler shares: parse, check scope, run the core, and never throw
 * for an event that cannot be used (EventBridge and Lambda would retry it for nothing). Retryable
 * failures (throttling, 5xx, DynamoDB and Step Functions errors) propagate, so the async
 * invocation is retried. Temporary log keys are cleared per invocation so that one event's
 * taskArn never leaks into the next event's lines.
 */
export function eventBridgeHandler<T, R>(spec: EventHandlerSpec<T, R>, getDeps: () => Deps) {
  return async (raw: unknown, context?: Context): Promise<HandlerOutcome<R>> => {
    const deps = getDeps();
    const { logger, metrics } = deps;
    logger.resetKeys();
    if (context !== undefined) logger.addContext(context);
    logger.appendKeys(definedOnly({ handler: spec.name, eventId: eventIdOf(raw) }));
    try {
      const parsed = spec.parse(raw);
      if (!parsed.ok) return reject(deps, parsed.reason);
      const event = parsed.event;
      if (spec.keysOf) logger.appendKeys(definedOnly(spec.keysOf(event)));
      const clusterArn = spec.clusterOf?.(event);
      if (clusterArn !== undefined && !isClusterInScope(deps.config, clusterArn)) {
        return reject(deps, `cluster ${clusterArn} is not in scope (CLUSTER_ARNS)`);
      }
      let result: R | Ignored;
      try {
        result = await spec.run(deps, event);
      } catch (error) {
        if (isPermanentFailure(error)) {
          return reject(deps, `${(error as Error).name}: ${(error as Error).message}`, error as Error);
        }
        logger.error('event handling failed; the invocation will be retried', { error: error as Error });
        throw error;
      }
      if (isIgnored(result)) return reject(deps, result.ignored);
      logger.info('event handled', { result: result as object });
      return { status: 'done', result };
    } finally {
      metrics.publishStoredMetrics();
      logger.resetKeys();
    }
  };
}

function reject(deps: Deps, reason: string, error?: Error): { status: 'rejected'; reason: string } {
  if (error === undefined) deps.logger.warn('event rejected', { reason });
  else deps.logger.error('event rejected: a retry would fail the same way', { reason, error });
  deps.metrics.addMetric(MetricName.EventsRejected, MetricUnit.Count, 1);
  return { status: 'rejected', reason };
}

function eventIdOf(raw: unknown): string | undefined {
  const id = raw !== null && typeof raw === 'object' ? (raw as { id?: unknown }).id : undefined;
  return typeof id === 'string' ? id : undefined;
}

function definedOnly(keys: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(keys).filter((entry): entry is [string, string] => entry[1] !== undefined));
}
