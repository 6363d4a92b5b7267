import { DescribeContainerInstancesCommand, ListTasksCommand } from '@aws-sdk/client-ecs';
import { DescribeExecutionCommand, SendTaskFailureCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { startDrain } from '../../../functions/core/drain/start.js';
import { createHandler as containerInstanceHandler } from '../../../functions/handlers/container-instance-draining.js';
import { runDrainControl } from '../../../functions/handlers/drain-control.js';
import type { TaskItem } from '../../../functions/registry/model.js';
import { CLUSTER_ARN, NOW, TEST_ACCOUNT, TEST_REGION, taskArn } from '../../support/deps.js';
import { CONTAINER_INSTANCE_ARN, containerInstanceStateChange } from '../../support/ecs-events.js';
import { handlerTestDeps, type HandlerTestDeps } from './handler-harness.js';
import { armedWait, getTaskInput, registryItem } from './fixtures.js';

/*
 * Issue 12: EventBridge retries a delivery for up to an hour (the rules' RetryPolicy), so a late
 * duplicate of the event that started a drain can arrive after an operator cancelled that drain.
 * The operator's cancel wins over every event older than it; a newer event drains as before.
 */

const task = taskArn('0123456789abcdef0123456789abcdef');
const EXECUTION_1 = `arn:aws:states:${TEST_REGION}:${TEST_ACCOUNT}:execution:SessionDrain:drain-0123456789abcdef0123456789abcdef-1`;
const CANCELLED_AT = '2026-11-21T09:30:00.000Z';

/** The task after an operator's cancel: ACTIVE again, its first drain CANCELLED and closed. */
function cancelledByOperator(overrides: Partial<TaskItem> = {}): TaskItem {
  return registryItem(task, { sessionCount: 6, drainAttempt: 1, executionArn: EXECUTION_1, drainOutcome: 'CANCELLED', operatorCancelledAt: CANCELLED_AT, ...overrides });
}

function arrangeInstanceDrain(t: HandlerTestDeps, item: TaskItem) {
  t.mocks.ecs.on(DescribeContainerInstancesCommand).resolves({ containerInstances: [{ containerInstanceArn: CONTAINER_INSTANCE_ARN, status: 'DRAINING' }] });
  t.mocks.ecs.on(ListTasksCommand).resolves({ taskArns: [task] });
  t.mocks.ddb.on(GetCommand, getTaskInput(task)).resolves({ Item: item });
  t.mocks.ddb.on(UpdateCommand).resolves({});
  t.mocks.sfn.on(DescribeExecutionCommand).resolves({ status: 'SUCCEEDED' });
  t.mocks.sfn.on(StartExecutionCommand).resolves({});
}

describe('an event older than an operator\'s cancel', () => {
  it('starts no drain when a late container-instance event arrives after the cancel, and says so in the log', async () => {
    // prepare
    const t = handlerTestDeps();
    arrangeInstanceDrain(t, cancelledByOperator());

    // act
    const outcome = await containerInstanceHandler(t.getDeps)({ ...containerInstanceStateChange(), time: '2026-11-21T09:00:00Z' });

    // assert
    expect(t.mocks.sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
    expect(t.mocks.ddb.commandCalls(UpdateCommand)).toHaveLength(0);
    expect(outcome).toMatchObject({ status: 'done', result: { drainsStarted: [], skipped: [task] } });
    expect(t.spies.info).toHaveBeenCalledWith("drain not started: an operator cancelled this task's drain after the event that asks for it", {
      taskArn: task,
      reason: 'INSTANCE',
      eventTime: '2026-11-21T09:00:00.000Z',
      operatorCancelledAt: CANCELLED_AT,
    });
  });

  it('drains again for an event newer than the cancel (attempt 2)', async () => {
    // prepare
    const t = handlerTestDeps();
    arrangeInstanceDrain(t, cancelledByOperator());

    // act
    const outcome = await containerInstanceHandler(t.getDeps)({ ...containerInstanceStateChange(), time: '2026-11-21T09:45:00Z' });

    // assert
    expect(t.mocks.sfn.commandCalls(StartExecutionCommand).map((call) => call.args[0].input.name)).toEqual(['drain-0123456789abcdef0123456789abcdef-2']);
    expect(outcome).toMatchObject({ status: 'done', result: { drainsStarted: [task] } });
  });

  it('treats a start without an event time (an operator, the reconciler) as current', async () => {
    // prepare
    const t = handlerTestDeps();
    arrangeInstanceDrain(t, cancelledByOperator());

    // act
    const result = await startDrain(t.deps, { clusterArn: CLUSTER_ARN, taskArn: task, reason: 'MANUAL' });

    // assert
    expect(result).toMatchObject({ status: 'started', attempt: 2 });
  });

  it('records the time of an operator\'s cancel on the item, which later events are held to', async () => {
    // prepare
    const t = handlerTestDeps();
    const draining = registryItem(task, { status: 'DRAINING', sessionCount: 6, drainAttempt: 1, executionArn: EXECUTION_1, drainReason: 'INSTANCE', waitArmed: true });
    t.mocks.ddb.on(GetCommand).resolves({ Item: draining });
    armedWait(t.mocks.ddb, task, 'token-1', EXECUTION_1);
    t.mocks.ddb.on(UpdateCommand).resolves({ Attributes: { ...draining, drainControl: 'CANCEL', operatorCancelledAt: NOW.toISOString() } });
    t.mocks.sfn.on(SendTaskFailureCommand).resolves({});

    // act
    const answer = await runDrainControl(t.deps, { action: 'cancel', taskArn: task });

    // assert
    expect(answer).toMatchObject({ ok: true, result: 'signalled' });
    expect(t.mocks.ddb.commandCalls(UpdateCommand)[0]!.args[0].input).toMatchObject({
      UpdateExpression: 'SET drainControl = :control, operatorCancelledAt = :at',
      ExpressionAttributeValues: { ':control': 'CANCEL', ':at': NOW.toISOString() },
    });
  });
});
