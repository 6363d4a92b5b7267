import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { SendTaskFailureCommand } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { createHandler } from '../../../functions/handlers/task-stopped.js';
import { TABLE_NAME, taskArn } from '../../support/deps.js';
import { taskStopped } from '../../support/ecs-events.js';
import { countedMetrics, handlerTestDeps } from './handler-harness.js';
import { armedWait, awsError, conditionalCheckFailed, getTaskInput, registryItem } from './fixtures.js';

const stoppedTask = taskArn('a1b2c3d4e5f60718293a4b5c6d7e8f90');
const NOW_EPOCH = Date.parse('2026-11-21T10:00:00.000Z') / 1000;
const STOPPED_REASON = 'Scaling activity initiated by (deployment ecs-svc/0123456789012345678)';

const closeInput = {
  TableName: TABLE_NAME,
  Key: { pk: stoppedTask, sk: 'TASK' },
  UpdateExpression: 'SET #status = :stopped, expiresAt = :expiresAt, ecsVersion = :version',
  ConditionExpression: 'attribute_exists(pk) AND #status <> :stopped AND (attribute_not_exists(ecsVersion) OR ecsVersion < :version)',
  ExpressionAttributeNames: { '#status': 'status' },
  ExpressionAttributeValues: { ':stopped': 'STOPPED', ':expiresAt': NOW_EPOCH + 86400, ':version': 6 },
  ReturnValues: 'ALL_NEW',
};

describe('task stopped handler', () => {
  it('closes the registry item for a day and fails the waiting drain with TaskGone', async () => {
    const t = handlerTestDeps();
    const armed = armedWait(t.mocks.ddb, stoppedTask, 'token-1');
    t.mocks.ddb.on(UpdateCommand).resolves({ Attributes: registryItem(stoppedTask, { status: 'STOPPED', ...armed, sessionCount: 2 }) });
    t.mocks.sfn.on(SendTaskFailureCommand).resolves({});

    const outcome = await createHandler(t.getDeps)(taskStopped());

    expect(t.mocks.ddb.commandCalls(UpdateCommand)[0]!.args[0].input).toEqual(closeInput);
    expect(t.mocks.sfn.commandCalls(SendTaskFailureCommand).map((call) => call.args[0].input)).toEqual([
      { taskToken: 'token-1', error: 'TaskGone', cause: `task stopped: ${STOPPED_REASON}` },
    ]);
    expect(outcome).toEqual({ status: 'done', result: { taskArn: stoppedTask, closed: true, drainWait: 'sent' } });
  });

  it('closes an item no drain waits on without calling Step Functions', async () => {
    const t = handlerTestDeps();
    t.mocks.ddb.on(UpdateCommand).resolves({ Attributes: registryItem(stoppedTask, { status: 'STOPPED' }) });

    const outcome = await createHandler(t.getDeps)(taskStopped());

    expect(t.mocks.sfn.calls()).toHaveLength(0);
    expect(outcome).toEqual({ status: 'done', result: { taskArn: stoppedTask, closed: true, drainWait: 'none' } });
  });

  it('signals the token again on a duplicate, and accepts that the workflow moved on', async () => {
    const t = handlerTestDeps();
    t.mocks.ddb.on(UpdateCommand).rejects(conditionalCheckFailed());
    const armed = armedWait(t.mocks.ddb, stoppedTask, 'token-1');
    t.mocks.ddb.on(GetCommand, getTaskInput(stoppedTask)).resolves({ Item: registryItem(stoppedTask, { status: 'STOPPED', ecsVersion: 6, ...armed }) });
    t.mocks.sfn.on(SendTaskFailureCommand).rejects(awsError('TaskTimedOut', 'Task Timed Out'));

    const outcome = await createHandler(t.getDeps)(taskStopped());

    expect(outcome).toEqual({ status: 'done', result: { taskArn: stoppedTask, closed: false, drainWait: 'workflow-moved-on' } });
    expect(countedMetrics(t)).toEqual([]);
  });

  it('never lets an older event overwrite a newer state', async () => {
    const t = handlerTestDeps();
    t.mocks.ddb.on(UpdateCommand).rejects(conditionalCheckFailed());
    t.mocks.ddb.on(GetCommand, getTaskInput(stoppedTask)).resolves({ Item: registryItem(stoppedTask, { status: 'ACTIVE', ecsVersion: 9, ...armedWait(t.mocks.ddb, stoppedTask, 'token-1') }) });

    const outcome = await createHandler(t.getDeps)(taskStopped());

    expect(outcome).toEqual({ status: 'rejected', reason: 'stale event: version 6 is not newer than the applied version 9' });
    expect(t.mocks.sfn.calls()).toHaveLength(0);
    expect(countedMetrics(t)).toEqual(['EventsRejected']);
  });

  it("fails no drain when the stopped task's item names another task's drain", async () => {
    // prepare: the wait item of the named execution belongs to another task
    const t = handlerTestDeps();
    const other = taskArn('ffffeeeeddddccccbbbbaaaa99998888');
    const foreign = armedWait(t.mocks.ddb, other, 'token-of-the-other-drain');
    t.mocks.ddb.on(UpdateCommand).resolves({ Attributes: registryItem(stoppedTask, { status: 'STOPPED', ...foreign, sessionCount: 2 }) });

    // act
    const outcome = await createHandler(t.getDeps)(taskStopped());

    // assert
    expect(t.mocks.sfn.calls()).toEqual([]);
    expect(outcome).toEqual({ status: 'done', result: { taskArn: stoppedTask, closed: true, drainWait: 'none' } });
  });

  it('logs and ignores a task the registry does not know', async () => {
    const t = handlerTestDeps();
    t.mocks.ddb.on(UpdateCommand).rejects(conditionalCheckFailed());
    t.mocks.ddb.on(GetCommand).resolves({});

    const outcome = await createHandler(t.getDeps)(taskStopped());

    expect(outcome).toEqual({ status: 'rejected', reason: `task ${stoppedTask} is not in the registry` });
    expect(t.spies.warn).toHaveBeenCalledTimes(1);
  });

  it('rethrows DynamoDB throttling so that the event is retried', async () => {
    const t = handlerTestDeps();
    t.mocks.ddb.on(UpdateCommand).rejects(awsError('ProvisionedThroughputExceededException', 'slow down'));

    await expect(createHandler(t.getDeps)(taskStopped())).rejects.toMatchObject({ name: 'ProvisionedThroughputExceededException' });
    expect(t.spies.error).toHaveBeenCalledWith('event handling failed; the invocation will be retried', expect.anything());
  });

  it('rethrows a Step Functions failure other than a finished wait', async () => {
    const t = handlerTestDeps();
    t.mocks.ddb.on(UpdateCommand).resolves({ Attributes: registryItem(stoppedTask, { status: 'STOPPED', ...armedWait(t.mocks.ddb, stoppedTask, 'token-1') }) });
    t.mocks.sfn.on(SendTaskFailureCommand).rejects(awsError('ServiceUnavailable', 'try later', 503));

    await expect(createHandler(t.getDeps)(taskStopped())).rejects.toMatchObject({ name: 'ServiceUnavailable' });
  });
});
