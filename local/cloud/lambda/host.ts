import { randomUUID } from 'node:crypto';
import { dirname, join } from 'node:path';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { LambdaApiError, FunctionNotFoundError, FunctionThrottledError } from '../errors.js';
import { buildFunctions, buildWorkerEntry } from './build.js';
import { FunctionLogs } from './logs.js';
import type { Execution, InvocationType } from './invocation.js';
import { FunctionPool } from './pool.js';
import { FunctionStatistics, type FunctionStats, type InvocationListener } from './stats.js';
import type { FunctionSpec, LocalStack, QueueRef } from '../stack/model.js';
import { functionByNameOrArn } from '../stack/model.js';
import { TEMPLATE_PATH } from '../stack/template.js';
import type { InvocationFaults } from './fault-injection.js';
import { warnOnceAboutOlderNode } from './node-version.js';

export type { InvocationType } from './invocation.js';
export type { FunctionStats, InvocationListener, InvocationRecord } from './stats.js';

/**
 * lambda/: runs the stack's functions in worker threads; imports stack/ and ../errors, never iam/
 * or the gateway.
 *
 * The local Lambda service: the stack's functions, bundled as `sam build` would, run in worker
 * threads with their template environment. Synchronous invocations answer as Lambda's Invoke API
 * does; asynchronous ones go through a queue per function and are retried and sent to their
 * EventInvokeConfig destinations as Lambda does.
 */

export interface FunctionHostOptions {
  stack: LocalStack;
  /** AWS_ENDPOINT_URL of every function: the gateway. */
  endpoint: string;
  /** Where destination records are sent (moto, or the gateway). */
  sqsEndpoint: string;
  /** Directory the template's paths are relative to. */
  rootDir?: string;
  /** Default <rootDir>/.local-cloud/build. */
  buildDir?: string;
  /** Default <rootDir>/.local-cloud/logs. */
  logDir?: string;
  echoLogs?: boolean | readonly string[];
  /** Concurrent executions per function without ReservedConcurrentExecutions (default 4). */
  maxWorkersPerFunction?: number;
  /** Delays before the retries of a failed asynchronous invocation (default 1 s, then 2 s). */
  asyncRetryDelaysMs?: number[];
  /** Scales the retry delays and MaximumEventAgeInSeconds, like the scenario clock (default 1). */
  asyncTimeFactor?: number;
  /** Events a function's asynchronous queue holds before Event invocations are throttled. */
  maxQueuedEvents?: number;
  /** Told which worker runs which invocation (fault tests: fault-injection.ts). */
  faults?: InvocationFaults;
  /** Variables over the base ones, by function logical id: each function's role credentials (../iam/iam.ts). */
  environmentOverrides?: Record<string, Record<string, string>>;
}

/** What the event sources need of the host: EventBridge targets and the stream mapping invoke functions through it. */
export interface FunctionInvoker {
  invoke(nameOrArn: string, event: unknown, options: { invocationType?: InvocationType }): Promise<InvokeResult>;
}

export interface InvokeResult {
  requestId: string;
  statusCode: 200 | 202 | 204;
  functionError?: 'Unhandled';
  /** The handler's result or the error object, parsed; undefined for Event and DryRun. */
  payload: unknown;
  payloadText: string;
  executedVersion: '$LATEST';
}

interface AsyncEvent {
  requestId: string;
  event: unknown;
  text: string;
  receivedAt: number;
  attempts: number;
}

interface HostedFunction {
  spec: FunctionSpec;
  pool: FunctionPool;
  queue: AsyncEvent[];
  pumping: boolean;
}

export class FunctionHost {
  private readonly statistics = new FunctionStatistics();
  private readonly retryTimers = new Set<NodeJS.Timeout>();
  private readonly sqs: SQSClient;
  private stopped = false;

  private constructor(
    private readonly options: FunctionHostOptions,
    private readonly hosted: Map<string, HostedFunction>,
    readonly logs: FunctionLogs,
    readonly buildDir: string,
  ) {
    this.sqs = new SQSClient({ endpoint: options.sqsEndpoint, region: options.stack.region, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
  }

  static async start(options: FunctionHostOptions): Promise<FunctionHost> {
    const rootDir = options.rootDir ?? dirname(TEMPLATE_PATH);
    const buildDir = options.buildDir ?? join(rootDir, '.local-cloud', 'build');
    const logs = new FunctionLogs(options.logDir ?? join(rootDir, '.local-cloud', 'logs'), options.echoLogs ?? false);
    const specs = Object.values(options.stack.functions);
    warnOnceAboutOlderNode(specs.map((spec) => spec.runtime));
    const [bundles, workerFile] = await Promise.all([buildFunctions(specs, rootDir, buildDir), buildWorkerEntry(buildDir)]);
    const { region } = options.stack;
    const baseEnvironment = {
      AWS_ENDPOINT_URL: options.endpoint,
      AWS_REGION: region,
      AWS_DEFAULT_REGION: region,
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      TZ: ':UTC',
      // No X-Ray here (no daemon, no trace header per invocation): Powertools' tracer stays off, as under sam local.
      POWERTOOLS_TRACE_ENABLED: 'false',
    };
    const hosted = new Map<string, HostedFunction>();
    for (const spec of specs) {
      const bundle = bundles[spec.logicalId];
      if (bundle === undefined) continue;
      const environment = { ...baseEnvironment, ...options.environmentOverrides?.[spec.logicalId] };
      const pool = new FunctionPool({ spec, bundle, workerFile, baseEnvironment: environment, logs, maxWorkers: options.maxWorkersPerFunction ?? 4 });
      hosted.set(spec.logicalId, { spec, pool, queue: [], pumping: false });
    }
    return new FunctionHost(options, hosted, logs, buildDir);
  }

  get logDir(): string {
    return this.logs.logDir;
  }

  private find(nameOrArn: string): HostedFunction {
    // Qualified ARNs and names (":$LATEST") name the same function.
    const unqualified = nameOrArn.replace(/:\$LATEST$/, '');
    const spec = functionByNameOrArn(this.options.stack, unqualified);
    const hosted = spec === undefined ? undefined : this.hosted.get(spec.logicalId);
    if (hosted === undefined) throw new FunctionNotFoundError(nameOrArn);
    return hosted;
  }

  async invoke(nameOrArn: string, event: unknown, options: { invocationType?: InvocationType } = {}): Promise<InvokeResult> {
    if (this.stopped) throw new LambdaApiError('ServiceException', 503, 'the local Lambda service has stopped');
    const fn = this.find(nameOrArn);
    const invocationType = options.invocationType ?? 'RequestResponse';
    const requestId = randomUUID();
    const text = JSON.stringify(event === undefined ? {} : event);
    if (invocationType === 'DryRun') return { requestId, statusCode: 204, payload: undefined, payloadText: '', executedVersion: '$LATEST' };
    if (invocationType === 'Event') {
      if (fn.queue.length >= (this.options.maxQueuedEvents ?? 10_000)) {
        this.statistics.of(fn.spec.logicalId).throttles += 1;
        throw new FunctionThrottledError('Rate Exceeded.', 'AsyncQueueFull');
      }
      this.statistics.of(fn.spec.logicalId).asyncAccepted += 1;
      fn.queue.push({ requestId, event, text, receivedAt: Date.now(), attempts: 0 });
      this.pump(fn);
      return { requestId, statusCode: 202, payload: undefined, payloadText: '', executedVersion: '$LATEST' };
    }
    if (fn.spec.reservedConcurrency !== undefined) {
      if (!fn.pool.tryAcquire()) {
        this.statistics.of(fn.spec.logicalId).throttles += 1;
        throw new FunctionThrottledError('Rate Exceeded.', 'ReservedFunctionConcurrentInvocationLimitExceeded');
      }
    } else {
      await fn.pool.acquire();
    }
    let execution: Execution;
    try {
      execution = await this.execute(fn, requestId, event, text, 'RequestResponse', 1);
    } finally {
      fn.pool.release();
    }
    if (execution.ok) return { requestId, statusCode: 200, payload: JSON.parse(execution.payload), payloadText: execution.payload, executedVersion: '$LATEST' };
    const payloadText = JSON.stringify(execution.error);
    return { requestId, statusCode: 200, functionError: 'Unhandled', payload: execution.error, payloadText, executedVersion: '$LATEST' };
  }

  private async execute(fn: HostedFunction, requestId: string, event: unknown, text: string, invocationType: InvocationType, attempt: number): Promise<Execution> {
    const startedAt = Date.now();
    const faults = this.options.faults;
    let tag: string | undefined;
    const onStart = faults === undefined ? undefined : (workerTag: string) => {
      tag = workerTag;
      faults.started(workerTag, { logicalId: fn.spec.logicalId, requestId, invocationType, attempt, event });
    };
    const execution = await fn.pool.run(text, requestId, onStart);
    if (tag !== undefined) faults?.finished(tag, requestId);
    this.statistics.record(fn.spec.logicalId, { logicalId: fn.spec.logicalId, requestId, invocationType, attempt, startedAt, event, execution });
    return execution;
  }

  /** Runs queued asynchronous events while the function has free concurrency. */
  private pump(fn: HostedFunction): void {
    if (fn.pumping) return;
    fn.pumping = true;
    void (async () => {
      try {
        while (!this.stopped && fn.queue.length > 0) {
          await fn.pool.acquire();
          const next = fn.queue.shift();
          if (next === undefined || this.stopped) {
            fn.pool.release();
            break;
          }
          void this.runAsync(fn, next).finally(() => fn.pool.release());
        }
      } catch {
        // the host stopped while waiting for concurrency
      } finally {
        fn.pumping = false;
      }
    })();
  }

  private factor(): number {
    return this.options.asyncTimeFactor ?? 1;
  }

  private async runAsync(fn: HostedFunction, queued: AsyncEvent): Promise<void> {
    const config = fn.spec.eventInvokeConfig;
    if (Date.now() - queued.receivedAt > config.maximumEventAgeInSeconds * 1000 * this.factor()) {
      await this.sendRecord(fn, queued, config.onFailure, 'EventAgeExceeded', undefined);
      return;
    }
    queued.attempts += 1;
    const execution = await this.execute(fn, queued.requestId, queued.event, queued.text, 'Event', queued.attempts);
    if (this.stopped) return;
    if (execution.ok) {
      if (config.onSuccess) await this.sendRecord(fn, queued, config.onSuccess, 'Success', execution);
      return;
    }
    if (queued.attempts <= config.maximumRetryAttempts) {
      const delays = this.options.asyncRetryDelaysMs ?? [1000, 2000];
      const delay = (delays[Math.min(queued.attempts - 1, delays.length - 1)] ?? 1000) * this.factor();
      this.statistics.of(fn.spec.logicalId).asyncRetries += 1;
      const timer = setTimeout(() => {
        this.retryTimers.delete(timer);
        fn.queue.push(queued);
        this.pump(fn);
      }, delay);
      this.retryTimers.add(timer);
      return;
    }
    await this.sendRecord(fn, queued, config.onFailure, 'RetriesExhausted', execution);
  }

  /** Lambda's invocation record for a destination (or a log line when there is none). */
  private async sendRecord(fn: HostedFunction, queued: AsyncEvent, destination: QueueRef | undefined, condition: string, execution: Execution | undefined): Promise<void> {
    const stats = this.statistics.of(fn.spec.logicalId);
    if (condition !== 'Success') stats.asyncFailures += 1;
    const failed = execution !== undefined && !execution.ok;
    const record = {
      version: '1.0',
      timestamp: new Date().toISOString(),
      requestContext: { requestId: queued.requestId, functionArn: `${fn.spec.arn}:$LATEST`, condition, approximateInvokeCount: queued.attempts },
      requestPayload: queued.event,
      responseContext: { statusCode: 200, executedVersion: '$LATEST', ...(failed ? { functionError: 'Unhandled' } : {}) },
      responsePayload: execution === undefined ? undefined : execution.ok ? JSON.parse(execution.payload) : execution.error,
    };
    if (destination === undefined) {
      if (condition !== 'Success') this.logs.platform(fn.spec.logicalId, 'platform.asyncEventDropped', { requestId: queued.requestId, condition });
      return;
    }
    try {
      await this.sqs.send(new SendMessageCommand({ QueueUrl: destination.url, MessageBody: JSON.stringify(record) }));
    } catch (error) {
      this.logs.platform(fn.spec.logicalId, 'platform.destinationDeliveryFailure', { requestId: queued.requestId, destination: destination.arn, error: (error as Error).message });
    }
  }

  stats(): Record<string, FunctionStats> {
    const all: Record<string, FunctionStats> = {};
    for (const [logicalId, fn] of this.hosted) all[logicalId] = { ...this.statistics.of(logicalId), workers: fn.pool.workers, queued: fn.queue.length, running: fn.pool.busy };
    return all;
  }

  /** Handler runs of one function (every attempt counts), by logical id, name or ARN. */
  invocationCount(nameOrArn: string): number {
    return this.statistics.of(this.find(nameOrArn).spec.logicalId).invocations;
  }

  onInvocation(listener: InvocationListener): () => void {
    return this.statistics.listen(listener);
  }

  /** Ends one worker (tag <LogicalId>.<n>) as a crashed runtime would: fault injection. */
  async crashWorker(workerTag: string): Promise<void> {
    const logicalId = workerTag.slice(0, workerTag.lastIndexOf('.'));
    await this.hosted.get(logicalId)?.pool.crash(workerTag);
  }

  /** Live worker threads across all functions. */
  workerCount(): number {
    let count = 0;
    for (const fn of this.hosted.values()) count += fn.pool.workers;
    return count;
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const timer of this.retryTimers) clearTimeout(timer);
    this.retryTimers.clear();
    await Promise.all([...this.hosted.values()].map((fn) => fn.pool.stop()));
    this.sqs.destroy();
    await this.logs.close();
  }
}
