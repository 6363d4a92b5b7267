/**
 * The handler family: one wrapper for each way a function is invoked (an EventBridge event, a
 * workflow step, a DynamoDB stream batch, a direct invoke by an operator or ECS, a schedule), and
 * what the core returns for an event it cannot use (Ignored). May import shared/, the event
 * parsers (events/parse), Powertools and Middy, never core/; the core imports only Ignored and
 * ignored from here.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { Context, DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import type { z } from 'zod';
import type { ParseResult } from '../events/parse.js';
import { describeIssues } from './issues.js';
import { definedOnly } from './optional.js';
import type { Deps } from './deps.js';
import { isClusterInScope } from './config.js';
import { InvalidInputError, TaskGoneError } from './errors.js';
import { MetricName, MetricUnit, tracer } from './powertools.js';

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

/** A function's handler. The context is optional so that tests and tools can pass the event alone. */
export type Handler<E, R> = (event: E, context?: Context) => Promise<R>;

/**
 * Every kind runs its core inside the same Powertools middlewares: the core's calls hang under one
 * X-Ray subsegment (where there is a tracer: powertools.ts), every log line carries the Lambda context
 * and the keys the core appended end with the invocation, and the metrics are published once,
 * whether the core returns or throws. The chain is built per invocation because the logger and
 * metrics come from getDeps (tests pass their own); a chain is a few closures.
 */
function observed<E, R>(getDeps: () => Deps, run: (deps: Deps, event: E, context?: Context) => Promise<R>): Handler<E, R> {
  return (event, context) => {
    const deps = getDeps();
    // timeoutEarlyInMillis 0: Middy would otherwise fail the invocation just before Lambda's timeout
    // with an error of its own name, which Step Functions would retry and catch as another error.
    const chain = middy((current: E) => run(deps, current, context), { timeoutEarlyInMillis: 0 });
    if (tracer !== undefined) chain.use(captureLambdaHandler(tracer, { captureResponse: false }));
    chain.use(logMetrics(deps.metrics)).use(injectLambdaContext(deps.logger, { resetKeys: true }));
    // Without a context (tests, tools) Middy passes {}: the lines then carry no function keys.
    return chain(event, context as Context);
  };
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
 * An EventBridge rule's target: parse, check scope, run the core, and never throw for an event
 * that cannot be used (EventBridge and Lambda would retry it for nothing). Retryable failures
 * (throttling, 5xx, DynamoDB and Step Functions errors) propagate, so the async invocation is
 * retried. One event's keys (taskArn, ...) never reach the next event's lines.
 */
export function eventBridgeHandler<T, R>(spec: EventHandlerSpec<T, R>, getDeps: () => Deps): Handler<unknown, HandlerOutcome<R>> {
  return observed(getDeps, async (deps, raw) => {
    const { logger } = deps;
    logger.appendKeys(definedOnly({ handler: spec.name, eventId: eventIdOf(raw) }));
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
  });
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

/**
 * Workflow steps receive their input from the state machine, so a bad shape is a defect in the
 * definition or a hand-started execution: it must fail by name (InvalidInputError, caught by the
 * workflow) before anything is read or written.
 */
function parseStepInput<S extends z.ZodType>(schema: S, raw: unknown, step: string): z.output<S> {
  const result = schema.safeParse(raw);
  if (!result.success) throw new InvalidInputError(`${step}: invalid input: ${describeIssues(result.error)}`);
  return result.data;
}

/**
 * A workflow step: parse the input (a bad shape fails as InvalidInputError before any call), run
 * the core, and log a failure once with the step's name before Step Functions sees it. The error
 * is thrown as it came: the state machine retries and catches by its name.
 */
export function workflowStepHandler<S extends z.ZodType, R>(
  step: string,
  schema: S,
  run: (deps: Deps, input: z.output<S>) => Promise<R>,
  getDeps: () => Deps,
): Handler<unknown, R> {
  return observed(getDeps, async (deps, event) => {
    try {
      return await run(deps, parseStepInput(schema, event, step));
    } catch (error) {
      deps.logger.error(`${step} failed`, { error: error as Error, errorName: (error as Error | undefined)?.name });
      throw error;
    }
  });
}

/**
 * A DynamoDB stream batch (ReportBatchItemFailures): the core answers with the records to retry,
 * and throws only to have the whole batch retried. It gets the invocation's remaining time (when
 * there is a Lambda context) to answer before the timeout.
 */
export function streamBatchHandler(
  run: (deps: Deps, event: DynamoDBStreamEvent, timeLeftMs?: () => number) => Promise<DynamoDBBatchResponse>,
  getDeps: () => Deps,
): Handler<DynamoDBStreamEvent, DynamoDBBatchResponse> {
  return observed(getDeps, (deps, event: DynamoDBStreamEvent, context) =>
    typeof context?.getRemainingTimeInMillis === 'function' ? run(deps, event, () => context.getRemainingTimeInMillis()) : run(deps, event),
  );
}

/**
 * A synchronous invoke whose answer someone reads (an operator's out.json, ECS reading a lifecycle
 * hook's hookStatus): the core turns its failures into an answer rather than throwing.
 */
export function directInvokeHandler<R>(run: (deps: Deps, payload: unknown) => Promise<R>, getDeps: () => Deps): Handler<unknown, R> {
  return observed(getDeps, run);
}

/**
 * A scheduled run: the schedule's event carries nothing the run needs, so any event runs it. The
 * run gets the Lambda context (when there is one) to pace itself by the time left.
 */
export function scheduleHandler<R>(run: (deps: Deps, context?: Context) => Promise<R>, getDeps: () => Deps): Handler<unknown, R> {
  return observed(getDeps, (deps, _event, context) => run(deps, context));
}

/** Without a Lambda context (tests, tools) a custom resource's core is given this long. */
const NO_CONTEXT_REMAINING_MS = 300_000;

/**
 * A CloudFormation custom resource's function: the core answers CloudFormation itself (a PUT to
 * the request's ResponseURL), and must do so before Lambda ends the invocation, so it is told the
 * time left. CloudFormation reads the PUT, never the invocation's result.
 */
export function customResourceHandler<R>(
  run: (deps: Deps, request: unknown, remainingMs: () => number) => Promise<R>,
  getDeps: () => Deps,
): Handler<unknown, R> {
  return (event, context) => {
    const started = Date.now();
    const remainingMs = () => context?.getRemainingTimeInMillis?.() ?? NO_CONTEXT_REMAINING_MS - (Date.now() - started);
    return observed<unknown, R>(getDeps, (deps, request) => run(deps, request, remainingMs))(event, context);
  };
}
