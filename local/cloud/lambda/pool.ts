import { randomUUID } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { LambdaApiError } from '../errors.js';
import type { FunctionLogs } from './logs.js';
import type { InvokeMessage, LambdaError, WorkerReply, WorkerSetup } from './worker.js';
import { type Execution, workerTag } from './invocation.js';
import type { Bundle } from './build.js';
import type { FunctionSpec } from '../stack/model.js';

/**
 * The execution environments of one function, as Lambda keeps them: each worker thread runs one
 * invocation at a time; a new one starts (cold) when every warm one is busy, up to `limit`
 * concurrent invocations. A worker that times out or crashes is discarded, never reused.
 */

interface Environment {
  worker: Worker;
  /** <LogicalId>.<n>: the worker's AWS_SDK_UA_APP_ID, so requests name the worker that sent them. */
  tag: string;
  ready: Promise<LambdaError | undefined>;
  /** Set while an invocation runs: what to do when the worker dies under it. */
  onDeath?: (error: LambdaError) => void;
}

export interface PoolOptions {
  spec: FunctionSpec;
  bundle: Bundle;
  workerFile: string;
  /** Variables besides the function's own (endpoint, region, credentials). */
  baseEnvironment: Record<string, string>;
  logs: FunctionLogs;
  maxWorkers: number;
}

export class FunctionPool {
  readonly limit: number;
  private readonly idle: Environment[] = [];
  private readonly all = new Set<Environment>();
  private readonly waiting: Array<() => void> = [];
  private running = 0;
  private nextId = 1;
  private nextWorker = 1;
  private stopped = false;

  constructor(private readonly options: PoolOptions) {
    const reserved = options.spec.reservedConcurrency;
    this.limit = reserved === undefined ? options.maxWorkers : reserved;
  }

  get busy(): number {
    return this.running;
  }

  get workers(): number {
    return this.all.size;
  }

  tryAcquire(): boolean {
    if (this.stopped || this.running >= this.limit) return false;
    this.running += 1;
    return true;
  }

  /** Waits, first come first served, until fewer than `limit` invocations run. */
  async acquire(): Promise<void> {
    while (!this.tryAcquire()) {
      if (this.stopped) throw new LambdaApiError('ServiceException', 503, 'the local Lambda service has stopped');
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
  }

  release(): void {
    this.running -= 1;
    this.waiting.shift()?.();
  }

  private environment(tag: string): Record<string, string> {
    const { spec, bundle } = this.options;
    return {
      ...spec.environment,
      ...this.options.baseEnvironment,
      AWS_LAMBDA_FUNCTION_NAME: spec.name,
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(spec.memorySize),
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_LOG_GROUP_NAME: spec.logGroupName,
      AWS_LAMBDA_LOG_STREAM_NAME: `${new Date().toISOString().slice(0, 10).replaceAll('-', '/')}/[$LATEST]${randomUUID().replaceAll('-', '')}`,
      ...(spec.logFormat === 'JSON' ? { AWS_LAMBDA_LOG_FORMAT: 'JSON' } : {}),
      AWS_EXECUTION_ENV: `AWS_Lambda_${spec.runtime}`,
      LAMBDA_TASK_ROOT: bundle.dir,
      _HANDLER: `${spec.handlerFile}.${spec.handlerExport}`,
      // The function runs on the machine's Node here, on the template's runtime in Lambda: the
      // SDK's warning about an old Node version says nothing about the function.
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      // The SDK sends it in every User-Agent (app/<tag>): the gateway tells callers apart by it (callerTag in invocation.ts).
      AWS_SDK_UA_APP_ID: tag,
    };
  }

  private spawn(): Environment {
    const { spec, bundle, logs } = this.options;
    const tag = workerTag(spec.logicalId, this.nextWorker++);
    const env = this.environment(tag);
    const setup: WorkerSetup = {
      bundle: bundle.file,
      handlerExport: spec.handlerExport,
      functionName: spec.name,
      functionArn: spec.arn,
      memorySize: spec.memorySize,
      logGroupName: spec.logGroupName,
      logStreamName: env.AWS_LAMBDA_LOG_STREAM_NAME as string,
      sourceMaps: (spec.environment.NODE_OPTIONS ?? '').includes('--enable-source-maps'),
    };
    const worker = new Worker(this.options.workerFile, {
      env,
      workerData: setup,
      stdout: true,
      stderr: true,
      resourceLimits: { maxOldGenerationSizeMb: Math.max(64, spec.memorySize) },
    });
    logs.attach(spec.logicalId, worker.stdout);
    logs.attach(spec.logicalId, worker.stderr);
    const environment: Environment = { worker, tag, ready: Promise.resolve(undefined) };
    environment.ready = new Promise((resolve) => {
      worker.once('message', (reply: WorkerReply) => resolve(reply.type === 'init-error' ? reply.error : undefined));
      worker.once('error', (error) => resolve({ errorType: 'Runtime.ExitError', errorMessage: `Runtime exited during init: ${error.message}`, trace: [] }));
      worker.once('exit', (code) => resolve({ errorType: 'Runtime.ExitError', errorMessage: `Runtime exited during init with code ${code}`, trace: [] }));
    });
    const died = (error: LambdaError) => {
      this.discard(environment);
      environment.onDeath?.(error);
    };
    worker.on('error', (error) => died({ errorType: 'Runtime.ExitError', errorMessage: `Runtime exited with error: ${error.name}: ${error.message}`, trace: (error.stack ?? '').split('\n') }));
    worker.on('exit', (code) => died({ errorType: 'Runtime.ExitError', errorMessage: `Runtime exited with error: exit status ${code}`, trace: [] }));
    this.all.add(environment);
    return environment;
  }

  private discard(environment: Environment): void {
    this.all.delete(environment);
    const index = this.idle.indexOf(environment);
    if (index >= 0) this.idle.splice(index, 1);
  }

  /**
   * Runs one invocation; the caller holds a slot (acquire / tryAcquire) until it returns.
   * onStart learns which worker runs it, just before the handler is called.
   */
  async run(payload: string, requestId: string, onStart?: (workerTag: string) => void): Promise<Execution> {
    const started = Date.now();
    const { spec, logs } = this.options;
    let environment = this.idle.pop();
    const coldStart = environment === undefined;
    if (environment === undefined) {
      environment = this.spawn();
      const initError = await environment.ready;
      if (initError !== undefined) {
        this.discard(environment);
        void environment.worker.terminate();
        logs.platform(spec.logicalId, 'platform.report', { requestId, status: 'error', errorType: initError.errorType, metrics: { durationMs: Date.now() - started } });
        return { ok: false, error: initError, kind: 'init', durationMs: Date.now() - started, coldStart };
      }
    }
    const current = environment;
    const timeoutMs = spec.timeoutSeconds * 1000;
    const execution = await new Promise<Execution>((resolve) => {
      const id = this.nextId++;
      const finish = (result: Execution) => {
        clearTimeout(timer);
        current.worker.off('message', onMessage);
        current.onDeath = undefined;
        resolve(result);
      };
      const onMessage = (reply: WorkerReply) => {
        const durationMs = Date.now() - started;
        if (reply.type === 'result' && reply.id === id) finish({ ok: true, payload: reply.payload, durationMs, coldStart });
        if (reply.type === 'error' && reply.id === id) finish({ ok: false, error: reply.error, kind: 'handled', durationMs, coldStart });
      };
      const timer = setTimeout(() => {
        this.discard(current);
        current.onDeath = undefined;
        void current.worker.terminate();
        const errorMessage = `Task timed out after ${spec.timeoutSeconds.toFixed(2)} seconds`;
        logs.line(spec.logicalId, JSON.stringify({ timestamp: new Date().toISOString(), level: 'ERROR', requestId, message: errorMessage }));
        finish({ ok: false, error: { errorType: 'Sandbox.Timedout', errorMessage, trace: [] }, kind: 'timeout', durationMs: Date.now() - started, coldStart });
      }, timeoutMs);
      current.onDeath = (error) => finish({ ok: false, error, kind: 'crash', durationMs: Date.now() - started, coldStart });
      current.worker.on('message', onMessage);
      onStart?.(current.tag);
      current.worker.postMessage({ type: 'invoke', id, requestId, payload, deadline: Date.now() + timeoutMs } satisfies InvokeMessage);
    });
    if (this.all.has(current) && !this.stopped) this.idle.push(current);
    const status = execution.ok ? 'success' : execution.kind === 'timeout' ? 'timeout' : 'error';
    logs.platform(spec.logicalId, 'platform.report', { requestId, status, coldStart, metrics: { durationMs: execution.durationMs } });
    return execution;
  }

  /** Ends a worker as a crashed runtime would end (fault injection); its invocation fails with Runtime.ExitError. */
  async crash(tag: string): Promise<void> {
    const environment = [...this.all].find((candidate) => candidate.tag === tag);
    if (environment !== undefined) await environment.worker.terminate();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const resolve of this.waiting.splice(0)) resolve();
    const environments = [...this.all];
    this.all.clear();
    this.idle.length = 0;
    await Promise.all(environments.map((environment) => environment.worker.terminate()));
  }
}
