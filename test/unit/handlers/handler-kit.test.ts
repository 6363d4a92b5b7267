import { Logger } from '@aws-lambda-powertools/logger';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Context, DynamoDBStreamEvent } from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { createHandler } from '../../../functions/handlers/task-stopped.js';
import type { Deps } from '../../../functions/shared/deps.js';
import { RetryableEcsError, TaskGoneError } from '../../../functions/shared/errors.js';
import {
  directInvokeHandler,
  eventBridgeHandler,
  type Handler,
  scheduleHandler,
  streamBatchHandler,
  workflowStepHandler,
} from '../../../functions/shared/handler-kit.js';
import { MetricUnit } from '../../../functions/shared/powertools.js';
import { taskArn } from '../../support/deps.js';
import { taskStopped } from '../../support/ecs-events.js';
import { handlerTestDeps } from './handler-harness.js';
import { registryItem } from './fixtures.js';

function lambdaContext(awsRequestId: string, remainingMs = 10_000): Context {
  return {
    functionName: 'TaskStoppedFunction',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:111122223333:function:TaskStoppedFunction',
    memoryLimitInMB: '256',
    awsRequestId,
    logGroupName: '/aws/lambda/TaskStoppedFunction',
    logStreamName: 'stream',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => remainingMs,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  } as Context;
}

/** The JSON lines a real Logger writes (INFO to stdout, WARN and ERROR to stderr) until restoreAllMocks. */
function captureLines(): Record<string, unknown>[] {
  const lines: Record<string, unknown>[] = [];
  const capture = (chunk: string | Uint8Array) => {
    lines.push(JSON.parse(chunk.toString()));
    return true;
  };
  vi.spyOn(process.stdout, 'write').mockImplementation(capture);
  vi.spyOn(process.stderr, 'write').mockImplementation(capture);
  return lines;
}

const STREAM_BATCH: DynamoDBStreamEvent = { Records: [] };

type Core = (deps: Deps) => Promise<unknown>;

/**
 * Each kind of the family around the same core. The EventBridge kind's event always parses, so the
 * core runs; the step's schema takes any object.
 */
const kinds: [string, (core: Core, getDeps: () => Deps) => Handler<never, unknown>, unknown][] = [
  ['an EventBridge handler', (core, getDeps) => eventBridgeHandler({ name: 'probe', parse: () => ({ ok: true, event: {} }), run: core }, getDeps), { id: 'event-1' }],
  ['a workflow step', (core, getDeps) => workflowStepHandler('Probe step', z.object({}), core, getDeps), {}],
  ['a stream batch handler', (core, getDeps) => streamBatchHandler(core as never, getDeps), STREAM_BATCH],
  ['a direct invoke handler', (core, getDeps) => directInvokeHandler(core, getDeps), { action: 'probe' }],
  ['a schedule handler', (core, getDeps) => scheduleHandler(core, getDeps), { source: 'aws.scheduler' }],
];

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe('handler kit: every kind', () => {
  it.each(kinds)('%s publishes the metrics the core counted once, after the core returned', async (_kind, wrap, event) => {
    // prepare
    const t = handlerTestDeps();
    const handler = wrap(async (deps) => {
      deps.metrics.addMetric('Probe', MetricUnit.Count, 1);
      return { batchItemFailures: [] };
    }, t.getDeps);

    // act
    await handler(event as never, lambdaContext('req-1'));

    // assert
    expect(t.spies.addMetric).toHaveBeenCalledWith('Probe', MetricUnit.Count, 1);
    expect(t.spies.publish).toHaveBeenCalledTimes(1);
    expect(t.spies.publish.mock.invocationCallOrder[0]).toBeGreaterThan(t.spies.addMetric.mock.invocationCallOrder[0]!);
  });

  it.each(kinds)('%s publishes the metrics once and throws the error itself when the core throws', async (_kind, wrap, event) => {
    // prepare
    const t = handlerTestDeps();
    const failure = new RetryableEcsError('ECS throttled the call');
    const handler = wrap(async (deps) => {
      deps.metrics.addMetric('Probe', MetricUnit.Count, 1);
      throw failure;
    }, t.getDeps);

    // act
    const outcome = handler(event as never, lambdaContext('req-1'));

    // assert
    await expect(outcome).rejects.toBe(failure);
    expect(t.spies.publish).toHaveBeenCalledTimes(1);
    expect(t.spies.publish.mock.invocationCallOrder[0]).toBeGreaterThan(t.spies.addMetric.mock.invocationCallOrder[0]!);
  });

  it.each(kinds)('%s adds the Lambda context to the core\'s lines and drops the keys the core added before the next invocation', async (_kind, wrap, event) => {
    // prepare
    const t = handlerTestDeps();
    t.deps.logger = new Logger({ serviceName: 'test', logLevel: 'INFO' });
    let invocation = 0;
    const handler = wrap(async (deps) => {
      invocation += 1;
      if (invocation === 1) deps.logger.appendKeys({ taskArn: 'the first event\'s task' });
      deps.logger.info(`probe ${invocation}`);
      return { batchItemFailures: [] };
    }, t.getDeps);
    const lines = captureLines();

    // act
    await handler(event as never, lambdaContext('req-1'));
    await handler(event as never, lambdaContext('req-2'));
    vi.restoreAllMocks();

    // assert
    const first = lines.find((line) => line.message === 'probe 1');
    const second = lines.find((line) => line.message === 'probe 2');
    expect(first).toMatchObject({ function_request_id: 'req-1', function_name: 'TaskStoppedFunction', taskArn: 'the first event\'s task' });
    expect(second).toMatchObject({ function_request_id: 'req-2', function_name: 'TaskStoppedFunction' });
    expect(second).not.toHaveProperty('taskArn');
  });

  it.each(kinds)('%s lets the core run past the remaining time (Lambda ends it, not the wrapper)', async (_kind, wrap, event) => {
    // prepare
    const t = handlerTestDeps();
    const handler = wrap(async () => {
      await new Promise((resolve) => setTimeout(resolve, 50));
      return { batchItemFailures: [] };
    }, t.getDeps);

    // act
    const outcome = handler(event as never, lambdaContext('req-1', 10));

    // assert
    await expect(outcome).resolves.toBeDefined();
  });
});

describe('handler kit: stream batches', () => {
  it("gives the core the invocation's remaining time, so that it can answer before the timeout", async () => {
    // prepare
    const t = handlerTestDeps();
    const seen: (number | undefined)[] = [];
    const handler = streamBatchHandler(async (_deps, _event, timeLeftMs) => {
      seen.push(timeLeftMs?.());
      return { batchItemFailures: [] };
    }, t.getDeps);

    // act
    await handler(STREAM_BATCH as never, lambdaContext('req-1', 4321));

    // assert
    expect(seen).toEqual([4321]);
  });
});

describe('handler kit: EventBridge handlers', () => {
  it("adds the Lambda context and the task to every line, and drops the task before the next event", async () => {
    const t = handlerTestDeps();
    t.deps.logger = new Logger({ serviceName: 'test', logLevel: 'INFO' });
    const lines = captureLines();
    t.mocks.ddb.on(UpdateCommand).resolves({ Attributes: registryItem(taskArn('a1b2c3d4e5f60718293a4b5c6d7e8f90'), { status: 'STOPPED' }) });
    const handler = createHandler(t.getDeps);

    await handler(taskStopped(), lambdaContext('req-1'));
    await handler({ ...taskStopped(), detail: { lastStatus: 'STOPPED' } }, lambdaContext('req-1'));
    vi.restoreAllMocks();

    const handled = lines.find((line) => line.message === 'event handled');
    const rejected = lines.find((line) => line.message === 'event rejected');
    expect(handled).toMatchObject({ taskArn: taskArn('a1b2c3d4e5f60718293a4b5c6d7e8f90'), function_request_id: 'req-1', handler: 'task-stopped' });
    expect(rejected).toMatchObject({ reason: expect.stringContaining('detail.clusterArn'), function_request_id: 'req-1' });
    expect(rejected).not.toHaveProperty('taskArn');
  });
});

describe('handler kit: workflow steps', () => {
  it('fail with the core\'s error by its own name, logged once with the step\'s name', async () => {
    // prepare
    const t = handlerTestDeps();
    const handler = workflowStepHandler('Probe step', z.object({}), async () => {
      throw new TaskGoneError('the task is gone');
    }, t.getDeps);

    // act
    const outcome = handler({}, lambdaContext('req-1'));

    // assert
    await expect(outcome).rejects.toMatchObject({ name: 'TaskGone', message: 'the task is gone' });
    expect(t.spies.error).toHaveBeenCalledTimes(1);
    expect(t.spies.error).toHaveBeenCalledWith('Probe step failed', { error: expect.any(TaskGoneError), errorName: 'TaskGone' });
  });

  it('refuse input of the wrong shape with InvalidInputError before the core runs', async () => {
    // prepare
    const t = handlerTestDeps();
    const core = vi.fn(async () => 'ran');
    const handler = workflowStepHandler('Probe step', z.object({ taskArn: z.string() }), core, t.getDeps);

    // act
    const outcome = handler({ taskArn: 7 }, lambdaContext('req-1'));

    // assert
    await expect(outcome).rejects.toMatchObject({ name: 'InvalidInputError', message: expect.stringContaining('Probe step: invalid input: taskArn') });
    expect(core).not.toHaveBeenCalled();
    expect(t.spies.publish).toHaveBeenCalledTimes(1);
  });
});
