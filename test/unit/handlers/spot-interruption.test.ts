import { ListContainerInstancesCommand, ListTasksCommand } from '@aws-sdk/client-ecs';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { DescribeExecutionCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { createHandler } from '../../../functions/handlers/spot-interruption.js';
import { CLUSTER_ARN, OTHER_CLUSTER_ARN, STATE_MACHINE_ARN, TABLE_NAME, TEST_ACCOUNT, TEST_REGION, taskArn } from '../../support/deps.js';
import { CONTAINER_INSTANCE_ARN, EC2_INSTANCE_ID, ec2SpotWarning, fargateSpotWarning } from '../../support/ecs-events.js';
import { countedMetrics, handlerTestDeps, type HandlerTestDeps } from './handler-harness.js';
import { awsError, conditionalCheckFailed, getTaskInput, registryItem } from './fixtures.js';

const spotTask = taskArn('a1b2c3d4e5f60718293a4b5c6d7e8f90');
const SPOT_DEADLINE = '2026-11-21T10:01:50.000Z';

function markInput(arn: string) {
  return {
    TableName: TABLE_NAME,
    Key: { pk: arn, sk: 'TASK' },
    UpdateExpression: 'SET #status = :draining, drainReason = :reason, drainDeadline = :deadline',
    ConditionExpression: 'attribute_exists(pk) AND #status = :active',
    ExpressionAttributeNames: { '#status': 'status' },
    ExpressionAttributeValues: { ':draining': 'DRAINING', ':active': 'ACTIVE', ':reason': 'SPOT', ':deadline': SPOT_DEADLINE },
    ReturnValues: 'ALL_NEW',
  };
}

function noticeInput(arn: string, sessionCount: number) {
  return {
    Entries: [
      {
        EventBusName: 'session-drain',
        Source: 'ecs-session-drain',
        DetailType: 'Session Drain Notice',
        Resources: [arn],
        Detail: JSON.stringify({ clusterArn: CLUSTER_ARN, taskArn: arn, serviceName: 'chat', reason: 'SPOT', deadline: SPOT_DEADLINE, sessionCount }),
      },
    ],
  };
}

/** A registered ACTIVE task that the mark turns DRAINING. */
function arrangeMarkable(t: HandlerTestDeps, arn: string, sessionCount: number) {
  const draining = registryItem(arn, { status: 'DRAINING', sessionCount, drainReason: 'SPOT', drainDeadline: SPOT_DEADLINE });
  t.mocks.ddb.on(UpdateCommand, { Key: { pk: arn, sk: 'TASK' }, ConditionExpression: 'attribute_exists(pk) AND #status = :active' }).resolves({ Attributes: draining });
  t.mocks.ddb.on(GetCommand, getTaskInput(arn)).resolves({ Item: draining });
}

function arrangeCommon(t: HandlerTestDeps) {
  t.mocks.ddb.on(UpdateCommand).resolves({});
  t.mocks.ddb.on(GetCommand).resolves({});
  t.mocks.sfn.on(StartExecutionCommand).resolves({});
  t.mocks.eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
}

/** Tasks whose replacement was added to the service's surge set (core/workflow/replacement-capacity.ts). */
function surgeRequests(t: HandlerTestDeps): string[] {
  return t.mocks.ddb
    .commandCalls(UpdateCommand)
    .filter((call) => call.args[0].input.Key?.pk === `SERVICE#${CLUSTER_ARN}#chat`)
    .map((call) => call.args[0].input.ExpressionAttributeValues?.[':task'] as string);
}

describe('Spot interruption handler', () => {
  it('marks a Fargate Spot task draining, tells the app and starts a SPOT drain ending two minutes after the warning', async () => {
    const t = handlerTestDeps();
    arrangeCommon(t);
    arrangeMarkable(t, spotTask, 3);

    const outcome = await createHandler(t.getDeps)(fargateSpotWarning());

    expect(t.mocks.ddb.commandCalls(UpdateCommand)[0]!.args[0].input).toEqual(markInput(spotTask));
    expect(t.mocks.eventBridge.commandCalls(PutEventsCommand).map((call) => call.args[0].input)).toEqual([noticeInput(spotTask, 3)]);
    expect(t.mocks.sfn.commandCalls(StartExecutionCommand).map((call) => call.args[0].input)).toEqual([
      {
        stateMachineArn: STATE_MACHINE_ARN,
        name: 'drain-a1b2c3d4e5f60718293a4b5c6d7e8f90-1',
        input: JSON.stringify({ cluster: CLUSTER_ARN, taskArn: spotTask, service: 'chat', reason: 'SPOT', deadline: SPOT_DEADLINE }),
      },
    ]);
    expect(surgeRequests(t)).toEqual([spotTask]);
    expect(countedMetrics(t)).toEqual(['SpotInterruptions', 'DrainsStarted']);
    expect(outcome).toMatchObject({
      status: 'done',
      result: { kind: 'fargate-spot', notified: [spotTask], drainsStarted: [spotTask], replacementsRequested: [spotTask] },
    });
  });

  it('sets a Fargate Spot drain deadline from the configured warning time (a rehearsal in compressed time)', async () => {
    const t = handlerTestDeps({ config: { fargateSpotWarningSeconds: 6 } });
    arrangeCommon(t);
    arrangeMarkable(t, spotTask, 3);

    await createHandler(t.getDeps)(fargateSpotWarning());

    const warningTime = Date.parse(SPOT_DEADLINE) - 120_000;
    const mark = t.mocks.ddb.commandCalls(UpdateCommand)[0]!.args[0].input;
    expect(mark.ExpressionAttributeValues?.[':deadline']).toBe(new Date(warningTime + 6_000).toISOString());
  });

  it('still drains when the early replacement request fails, leaving it to the workflow', async () => {
    const t = handlerTestDeps();
    arrangeCommon(t);
    arrangeMarkable(t, spotTask, 1);
    t.mocks.ddb.on(UpdateCommand, { Key: { pk: `SERVICE#${CLUSTER_ARN}#chat`, sk: 'CAPACITY' } }).rejects(awsError('InternalServerError', 'boom', 500));

    const outcome = await createHandler(t.getDeps)(fargateSpotWarning());

    expect(outcome).toMatchObject({ status: 'done', result: { drainsStarted: [spotTask], replacementsRequested: [] } });
    expect(t.spies.warn).toHaveBeenCalledWith('early replacement request failed; the drain workflow asks again', expect.objectContaining({ taskArn: spotTask }));
  });

  it('handles a duplicate warning without a second drain, still telling the app', async () => {
    const t = handlerTestDeps();
    arrangeCommon(t);
    const executionArn = `arn:aws:states:${TEST_REGION}:${TEST_ACCOUNT}:execution:SessionDrain:drain-a1b2c3d4e5f60718293a4b5c6d7e8f90-1`;
    t.mocks.ddb.on(UpdateCommand).rejects(conditionalCheckFailed());
    t.mocks.ddb
      .on(GetCommand, getTaskInput(spotTask))
      .resolves({ Item: registryItem(spotTask, { status: 'DRAINING', sessionCount: 2, drainAttempt: 1, executionArn }) });
    t.mocks.sfn.on(DescribeExecutionCommand).resolves({ status: 'RUNNING' });

    const outcome = await createHandler(t.getDeps)(fargateSpotWarning());

    expect(t.mocks.sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
    expect(t.mocks.eventBridge.commandCalls(PutEventsCommand)[0]!.args[0].input).toEqual(noticeInput(spotTask, 2));
    // The running drain's workflow owns any replacement; asking here could leak capacity.
    expect(surgeRequests(t)).toEqual([]);
    expect(outcome).toMatchObject({ status: 'done', result: { alreadyDraining: [spotTask], drainsStarted: [] } });
  });

  it('skips a task the registry does not know, without notice or drain', async () => {
    const t = handlerTestDeps();
    arrangeCommon(t);
    t.mocks.ddb.on(UpdateCommand).rejects(conditionalCheckFailed());
    t.mocks.ddb.on(GetCommand).resolves({});

    const outcome = await createHandler(t.getDeps)(fargateSpotWarning({ stopCode: 'TerminationNotice' }));

    expect(t.mocks.eventBridge.calls()).toHaveLength(0);
    expect(t.mocks.sfn.calls()).toHaveLength(0);
    expect(outcome).toMatchObject({ status: 'done', result: { skipped: [spotTask] } });
  });

  it('finds the EC2 instance in the clusters in scope and drains every task on it by the action time', async () => {
    const t = handlerTestDeps({ config: { clusterArns: [OTHER_CLUSTER_ARN, CLUSTER_ARN] } });
    arrangeCommon(t);
    const first = taskArn('000000000000000000000000000000f1');
    const second = taskArn('000000000000000000000000000000f2');
    t.mocks.ecs.on(ListContainerInstancesCommand, { cluster: OTHER_CLUSTER_ARN }).resolves({ containerInstanceArns: [] });
    t.mocks.ecs.on(ListContainerInstancesCommand, { cluster: CLUSTER_ARN }).resolves({ containerInstanceArns: [CONTAINER_INSTANCE_ARN] });
    t.mocks.ecs.on(ListTasksCommand).resolves({ taskArns: [first, second] });
    arrangeMarkable(t, first, 1);
    arrangeMarkable(t, second, 0);

    const outcome = await createHandler(t.getDeps)(ec2SpotWarning());

    expect(t.mocks.ecs.commandCalls(ListContainerInstancesCommand).map((call) => call.args[0].input)).toEqual([
      { cluster: OTHER_CLUSTER_ARN, filter: `ec2InstanceId == ${EC2_INSTANCE_ID}` },
      { cluster: CLUSTER_ARN, filter: `ec2InstanceId == ${EC2_INSTANCE_ID}` },
    ]);
    expect(t.mocks.ecs.commandCalls(ListTasksCommand)[0]!.args[0].input).toEqual({
      cluster: CLUSTER_ARN,
      containerInstance: CONTAINER_INSTANCE_ARN,
      desiredStatus: 'RUNNING',
    });
    const marks = t.mocks.ddb.commandCalls(UpdateCommand).filter((call) => call.args[0].input.ConditionExpression === markInput(first).ConditionExpression);
    expect(marks.map((call) => call.args[0].input)).toEqual([markInput(first), markInput(second)]);
    expect(t.mocks.eventBridge.commandCalls(PutEventsCommand).map((call) => call.args[0].input)).toEqual([noticeInput(first, 1), noticeInput(second, 0)]);
    expect(t.mocks.sfn.commandCalls(StartExecutionCommand)).toHaveLength(2);
    expect(countedMetrics(t)).toEqual(['SpotInterruptions', 'DrainsStarted', 'DrainsStarted']);
    expect(outcome).toMatchObject({ status: 'done', result: { kind: 'ec2-spot', clusterArn: CLUSTER_ARN, deadline: SPOT_DEADLINE, tasks: 2 } });
  });

  it('ignores an EC2 Spot warning for an instance outside the clusters in scope', async () => {
    const t = handlerTestDeps();
    t.mocks.ecs.on(ListContainerInstancesCommand).resolves({ containerInstanceArns: [] });

    const outcome = await createHandler(t.getDeps)(ec2SpotWarning());

    expect(outcome).toEqual({ status: 'rejected', reason: expect.stringContaining('not a container instance of a cluster in scope') });
    expect(t.mocks.ddb.calls()).toHaveLength(0);
    expect(countedMetrics(t)).toEqual(['EventsRejected']);
  });

  it('throws when EventBridge refuses the notice, so that the warning is retried', async () => {
    const t = handlerTestDeps();
    arrangeCommon(t);
    arrangeMarkable(t, spotTask, 1);
    t.mocks.eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded' }] });

    await expect(createHandler(t.getDeps)(fargateSpotWarning())).rejects.toMatchObject({ name: 'NoticeNotPublishedError' });
    expect(t.mocks.sfn.calls()).toHaveLength(0);
  });
});
