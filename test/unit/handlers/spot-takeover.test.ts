import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DescribeExecutionCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { createHandler } from '../../../functions/handlers/spot-interruption.js';
import { SPOT_TAKEOVER } from '../../../functions/registry/tasks/drain.js';
import type { TaskItem } from '../../../functions/registry/model.js';
import { CLUSTER_ARN, TABLE_NAME, TEST_ACCOUNT, TEST_REGION, taskArn } from '../../support/deps.js';
import { fargateSpotWarning } from '../../support/ecs-events.js';
import { handlerTestDeps, type HandlerTestDeps } from './handler-harness.js';
import { conditionalCheckFailed, getTaskInput, registryItem } from './fixtures.js';

/*
 * Issue 12: a Spot warning on a task that already drains for a deployment. AWS takes the task at
 * the Spot deadline whatever the deployment's drain waits for, so the Spot deadline must win: the
 * drain's deadline moves to it (the agent warns users from drainDeadline), a replacement is asked
 * for at once, and the application hears of it.
 */

const task = taskArn('a1b2c3d4e5f60718293a4b5c6d7e8f90');
const EXECUTION = `arn:aws:states:${TEST_REGION}:${TEST_ACCOUNT}:execution:SessionDrain:drain-a1b2c3d4e5f60718293a4b5c6d7e8f90-1`;
const SPOT_DEADLINE = '2026-11-21T10:01:50.000Z';
const DEPLOYMENT_DEADLINE = '2026-11-21T17:00:00.000Z';

function deploymentDrain(overrides: Partial<TaskItem> = {}): TaskItem {
  return registryItem(task, {
    status: 'DRAINING',
    sessionCount: 4,
    drainAttempt: 1,
    executionArn: EXECUTION,
    drainReason: 'DEPLOYMENT',
    drainDeadline: DEPLOYMENT_DEADLINE,
    ...overrides,
  });
}

function arrange(t: HandlerTestDeps, item: TaskItem, takeover: 'applies' | 'refused') {
  t.mocks.ddb.on(UpdateCommand).resolves({});
  // The task is not ACTIVE: the Spot mark does not apply.
  t.mocks.ddb.on(UpdateCommand, { ConditionExpression: 'attribute_exists(pk) AND #status = :active' }).rejects(conditionalCheckFailed());
  const takeoverCall = t.mocks.ddb.on(UpdateCommand, { ConditionExpression: SPOT_TAKEOVER });
  if (takeover === 'applies') takeoverCall.resolves({ Attributes: { ...item, drainReason: 'SPOT', drainDeadline: SPOT_DEADLINE } });
  else takeoverCall.rejects(conditionalCheckFailed());
  t.mocks.ddb.on(GetCommand).resolves({});
  t.mocks.ddb.on(GetCommand, getTaskInput(task)).resolves({ Item: item });
  t.mocks.sfn.on(DescribeExecutionCommand).resolves({ status: 'RUNNING' });
  t.mocks.eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
}

function takeoverInputs(t: HandlerTestDeps) {
  return t.mocks.ddb
    .commandCalls(UpdateCommand)
    .map((call) => call.args[0].input)
    .filter((input) => input.ConditionExpression === SPOT_TAKEOVER);
}

function surgeRequests(t: HandlerTestDeps): string[] {
  return t.mocks.ddb
    .commandCalls(UpdateCommand)
    .filter((call) => call.args[0].input.Key?.pk === `SERVICE#${CLUSTER_ARN}#chat`)
    .map((call) => call.args[0].input.ExpressionAttributeValues?.[':task'] as string);
}

describe('a Spot warning on a task draining for a deployment', () => {
  it('moves the drain to the Spot deadline as a SPOT drain, asks for a replacement and tells the app', async () => {
    const t = handlerTestDeps();
    arrange(t, deploymentDrain(), 'applies');

    const outcome = await createHandler(t.getDeps)(fargateSpotWarning());

    expect(takeoverInputs(t)).toEqual([
      {
        TableName: TABLE_NAME,
        Key: { pk: task, sk: 'TASK' },
        UpdateExpression: 'SET drainReason = :spot, drainDeadline = :deadline',
        ConditionExpression: SPOT_TAKEOVER,
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':spot': 'SPOT', ':deadline': SPOT_DEADLINE, ':execution': EXECUTION, ':draining': 'DRAINING' },
        ReturnValues: 'ALL_NEW',
      },
    ]);
    expect(surgeRequests(t)).toEqual([task]);
    const notice = JSON.parse(t.mocks.eventBridge.commandCalls(PutEventsCommand)[0]!.args[0].input.Entries![0]!.Detail!);
    expect(notice).toMatchObject({ taskArn: task, reason: 'SPOT', deadline: SPOT_DEADLINE, sessionCount: 4 });
    // The deployment's execution goes on (it ends when the task stops); no second drain is started.
    expect(t.mocks.sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
    expect(outcome).toMatchObject({ status: 'done', result: { takenOver: [task], replacementsRequested: [task], drainsStarted: [] } });
    expect(t.spies.info).toHaveBeenCalledWith(
      'Spot warning takes over a running drain: its deadline is now the Spot deadline',
      expect.objectContaining({ taskArn: task, previousReason: 'DEPLOYMENT', previousDeadline: DEPLOYMENT_DEADLINE, deadline: SPOT_DEADLINE }),
    );
  });

  it('asks for no replacement when the registry refuses the take-over (the drain ended, or its deadline is sooner)', async () => {
    const t = handlerTestDeps();
    arrange(t, deploymentDrain(), 'refused');

    const outcome = await createHandler(t.getDeps)(fargateSpotWarning());

    expect(takeoverInputs(t)).toHaveLength(1);
    expect(surgeRequests(t)).toEqual([]);
    expect(outcome).toMatchObject({ status: 'done', result: { takenOver: [], replacementsRequested: [], alreadyDraining: [task] } });
  });

  it('leaves a duplicate warning on a SPOT drain to that drain: no take-over, no second replacement', async () => {
    const t = handlerTestDeps();
    arrange(t, deploymentDrain({ drainReason: 'SPOT', drainDeadline: SPOT_DEADLINE }), 'applies');

    const outcome = await createHandler(t.getDeps)(fargateSpotWarning());

    expect(takeoverInputs(t)).toEqual([]);
    expect(surgeRequests(t)).toEqual([]);
    expect(outcome).toMatchObject({ status: 'done', result: { takenOver: [], alreadyDraining: [task] } });
  });
});
