import { readFileSync } from 'node:fs';
import { threadId } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FunctionThrottledError } from '../../../cloud/errors.js';
import { FunctionHost, type InvocationRecord } from '../../../cloud/lambda/host.js';
import { fixtureFunction, fixtureStack, temporaryDirectory } from './fixtures/fixture-stack.js';

/*
 * The local Lambda service's execution model, on fixture handlers: worker threads with the
 * function's own environment, errors as Lambda reports them, timeouts, reserved concurrency and
 * the growth of the worker pool.
 */

const ENDPOINT = 'http://127.0.0.1:4999';

describe('the local Lambda service', () => {
  let host: FunctionHost;
  const records: InvocationRecord[] = [];
  const stack = fixtureStack([
    fixtureFunction('Plain', 'handler', { environment: { GREETING: 'hello' } }),
    fixtureFunction('Slow', 'handler', { timeoutSeconds: 1 }),
    fixtureFunction('Single', 'handler', { reservedConcurrency: 1 }),
    fixtureFunction('Pooled', 'handler'),
  ]);

  beforeAll(async () => {
    process.env.ONLY_IN_THE_PARENT = 'leaked';
    host = await FunctionHost.start({
      stack,
      endpoint: ENDPOINT,
      sqsEndpoint: ENDPOINT,
      buildDir: temporaryDirectory('build'),
      logDir: temporaryDirectory('logs'),
      maxWorkersPerFunction: 2,
    });
    host.onInvocation((record) => records.push(record));
  });

  afterAll(async () => {
    delete process.env.ONLY_IN_THE_PARENT;
    await host?.stop();
  });

  it('runs a handler in a worker thread with its own environment and the local endpoint, not the parent process environment', async () => {
    const names = ['GREETING', 'AWS_ENDPOINT_URL', 'AWS_REGION', 'AWS_LAMBDA_FUNCTION_NAME', 'AWS_LAMBDA_FUNCTION_MEMORY_SIZE', 'AWS_ACCESS_KEY_ID', 'POWERTOOLS_TRACE_ENABLED', 'ONLY_IN_THE_PARENT'];

    const result = await host.invoke('fixture-Plain', { env: names });

    expect(result.functionError).toBeUndefined();
    expect(result.payload).toMatchObject({
      env: {
        GREETING: 'hello',
        AWS_ENDPOINT_URL: ENDPOINT,
        AWS_REGION: 'us-east-1',
        AWS_LAMBDA_FUNCTION_NAME: 'fixture-Plain',
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '128',
        AWS_ACCESS_KEY_ID: 'testing',
        // No X-Ray daemon here: the functions' tracer stays off.
        POWERTOOLS_TRACE_ENABLED: 'false',
        ONLY_IN_THE_PARENT: null,
      },
      requestId: result.requestId,
      functionName: 'fixture-Plain',
    });
    expect((result.payload as { threadId: number }).threadId).not.toBe(threadId);
    // The worker's stdout reaches the function's log file asynchronously, as CloudWatch Logs does.
    await expect.poll(() => readFileSync(host.logs.path('Plain'), 'utf8')).toContain(`"requestId":"${result.requestId}"`);
  });

  it('returns a thrown error as errorType, errorMessage and trace, marked Unhandled', async () => {
    const result = await host.invoke('fixture-Plain', { fail: 'the fixture failed' });

    expect(result.functionError).toBe('Unhandled');
    expect(result.payload).toMatchObject({ errorType: 'FixtureFailure', errorMessage: 'the fixture failed' });
    expect((result.payload as { trace: string[] }).trace[0]).toBe('FixtureFailure: the fixture failed');
  });

  it('ends an invocation that outlives its timeout and runs the next one in a fresh worker', async () => {
    const started = Date.now();

    const timedOut = await host.invoke('fixture-Slow', { sleepMs: 5000 });
    const elapsed = Date.now() - started;
    const next = await host.invoke('fixture-Slow', {});

    expect(timedOut.functionError).toBe('Unhandled');
    expect(timedOut.payload).toMatchObject({ errorType: 'Sandbox.Timedout', errorMessage: 'Task timed out after 1.00 seconds' });
    expect(elapsed).toBeGreaterThanOrEqual(1000);
    expect(elapsed).toBeLessThan(3000);
    expect(next.functionError).toBeUndefined();
    expect(host.stats().Slow).toMatchObject({ invocations: 2, timeouts: 1, coldStarts: 2, workers: 1 });
  });

  it('throttles a synchronous invocation beyond reserved concurrency and runs queued asynchronous ones one at a time', async () => {
    const running = host.invoke('fixture-Single', { sleepMs: 400 });
    await new Promise((resolve) => setTimeout(resolve, 50));

    const throttled = host.invoke('fixture-Single', {});
    await expect(throttled).rejects.toThrow(FunctionThrottledError);
    await expect(throttled).rejects.toMatchObject({ code: 'TooManyRequestsException', statusCode: 429 });
    await running;
    for (let index = 0; index < 3; index += 1) await host.invoke('fixture-Single', { sleepMs: 100 }, { invocationType: 'Event' });
    await expect.poll(() => records.filter((record) => record.logicalId === 'Single' && record.invocationType === 'Event').length, { timeout: 5000 }).toBe(3);

    const runs = records.filter((record) => record.logicalId === 'Single').sort((a, b) => a.startedAt - b.startedAt);
    for (let index = 1; index < runs.length; index += 1) {
      const previous = runs[index - 1] as InvocationRecord;
      expect((runs[index] as InvocationRecord).startedAt).toBeGreaterThanOrEqual(previous.startedAt + previous.execution.durationMs);
    }
    expect(host.stats().Single).toMatchObject({ throttles: 1, workers: 1 });
  });

  it('starts a new worker only while every worker is busy, up to the maximum', async () => {
    const results = await Promise.all([0, 1, 2, 3].map(() => host.invoke('fixture-Pooled', { sleepMs: 200 })));
    const coldStartsAfterBurst = host.stats().Pooled?.coldStarts;

    await host.invoke('fixture-Pooled', {});

    expect(results.every((result) => result.functionError === undefined)).toBe(true);
    expect(host.stats().Pooled).toMatchObject({ invocations: 5, workers: 2, coldStarts: 2 });
    expect(coldStartsAfterBurst).toBe(2);
  });

  it('terminates every worker on stop', async () => {
    expect(host.workerCount()).toBeGreaterThan(0);

    await host.stop();

    expect(host.workerCount()).toBe(0);
  });
});
