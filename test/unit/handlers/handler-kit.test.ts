import { Logger } from '@aws-lambda-powertools/logger';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createHandler } from '../../../functions/handlers/task-stopped.js';
import { taskArn } from '../../support/deps.js';
import { taskStopped } from '../../support/ecs-events.js';
import { handlerTestDeps } from './handler-harness.js';
import { registryItem } from './fixtures.js';

const lambdaContext = {
  functionName: 'TaskStoppedFunction',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:111122223333:function:TaskStoppedFunction',
  memoryLimitInMB: '256',
  awsRequestId: 'req-1',
  logGroupName: '/aws/lambda/TaskStoppedFunction',
  logStreamName: 'stream',
  callbackWaitsForEmptyEventLoop: true,
  getRemainingTimeInMillis: () => 10_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
} as Context;

afterEach(() => vi.restoreAllMocks());

describe('handler kit', () => {
  it("adds the Lambda context and the task to every line, and drops the task before the next event", async () => {
    const t = handlerTestDeps();
    t.deps.logger = new Logger({ serviceName: 'test', logLevel: 'INFO' });
    const lines: Record<string, unknown>[] = [];
    const capture = (chunk: string | Uint8Array) => {
      lines.push(JSON.parse(chunk.toString()));
      return true;
    };
    // Powertools writes INFO to stdout and WARN/ERROR to stderr.
    vi.spyOn(process.stdout, 'write').mockImplementation(capture);
    vi.spyOn(process.stderr, 'write').mockImplementation(capture);
    t.mocks.ddb.on(UpdateCommand).resolves({ Attributes: registryItem(taskArn('a1b2c3d4e5f60718293a4b5c6d7e8f90'), { status: 'STOPPED' }) });
    const handler = createHandler(t.getDeps);

    await handler(taskStopped(), lambdaContext);
    await handler({ ...taskStopped(), detail: { lastStatus: 'STOPPED' } }, lambdaContext);
    vi.restoreAllMocks();

    const handled = lines.find((line) => line.message === 'event handled');
    const rejected = lines.find((line) => line.message === 'event rejected');
    expect(handled).toMatchObject({ taskArn: taskArn('a1b2c3d4e5f60718293a4b5c6d7e8f90'), function_request_id: 'req-1', handler: 'task-stopped' });
    expect(rejected).toMatchObject({ reason: expect.stringContaining('detail.clusterArn'), function_request_id: 'req-1' });
    expect(rejected).not.toHaveProperty('taskArn');
  });
});
