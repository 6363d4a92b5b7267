import { DescribeServicesCommand, DescribeTasksCommand, ListTasksCommand, UpdateTaskProtectionCommand } from '@aws-sdk/client-ecs';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { DescribeExecutionCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { createHandler } from '../../../functions/handlers/deployment-event.js';
import { RetryableEcsError } from '../../../functions/shared/errors.js';
import { CLUSTER_ARN, STATE_MACHINE_ARN, TEST_ACCOUNT, TEST_REGION, taskArn } from '../../support/deps.js';
import { deploymentEvent, SERVICE_ARN } from '../../support/ecs-events.js';
import { countedMetrics, handlerTestDeps, type HandlerTestDeps } from './handler-harness.js';
import { awsError, getTaskInput, registryItem } from './fixtures.js';

const DEPLOYMENT_ID = 'ecs-svc/0123456789012345678';
const OLD_REVISION = `arn:aws:ecs:${TEST_REGION}:${TEST_ACCOUNT}:task-definition/chat:7`;
const NEW_REVISION = `arn:aws:ecs:${TEST_REGION}:${TEST_ACCOUNT}:task-definition/chat:8`;
const busyOld = taskArn('0000000000000000000000000000b051');
const idleOld = taskArn('0000000000000000000000000000001d');
const fresh = taskArn('00000000000000000000000000000e00');

function serviceWithPrimary(primaryRevision: string, primaryId = DEPLOYMENT_ID) {
  return {
    services: [
      {
        serviceArn: SERVICE_ARN,
        serviceName: 'chat',
        deployments: [
          { id: primaryId, status: 'PRIMARY', taskDefinition: primaryRevision, rolloutState: 'IN_PROGRESS' as const },
          { id: 'ecs-svc/9999999999999999999', status: 'ACTIVE', taskDefinition: primaryRevision === NEW_REVISION ? OLD_REVISION : NEW_REVISION },
        ],
      },
    ],
    failures: [],
  };
}

function arrangeServiceTasks(t: HandlerTestDeps, primaryRevision = NEW_REVISION) {
  t.mocks.ecs.on(DescribeServicesCommand).resolves(serviceWithPrimary(primaryRevision));
  t.mocks.ecs.on(ListTasksCommand).resolves({ taskArns: [busyOld, idleOld, fresh] });
  t.mocks.ecs.on(DescribeTasksCommand).resolves({
    tasks: [
      { taskArn: busyOld, taskDefinitionArn: OLD_REVISION, lastStatus: 'RUNNING' },
      { taskArn: idleOld, taskDefinitionArn: OLD_REVISION, lastStatus: 'RUNNING' },
      { taskArn: fresh, taskDefinitionArn: NEW_REVISION, lastStatus: 'RUNNING' },
    ],
  });
  t.mocks.ddb.on(GetCommand, getTaskInput(busyOld)).resolves({ Item: registryItem(busyOld, { sessionCount: 4 }) });
  t.mocks.ddb.on(GetCommand, getTaskInput(idleOld)).resolves({ Item: registryItem(idleOld, { sessionCount: 0 }) });
  t.mocks.ddb.on(GetCommand, getTaskInput(fresh)).resolves({ Item: registryItem(fresh, { sessionCount: 9 }) });
  t.mocks.ddb.on(UpdateCommand).resolves({});
  t.mocks.sfn.on(StartExecutionCommand).resolves({});
  t.mocks.ecs.on(UpdateTaskProtectionCommand).resolves({ protectedTasks: [{ taskArn: idleOld, protectionEnabled: false }], failures: [] });
}

describe('deployment event handler', () => {
  it('drains every registered old-revision task, idle ones too, so none can take a session while it is unprotected', async () => {
    const t = handlerTestDeps();
    arrangeServiceTasks(t);

    const outcome = await createHandler(t.getDeps)(deploymentEvent());

    expect(t.mocks.ecs.commandCalls(DescribeServicesCommand)[0]!.args[0].input).toEqual({ cluster: CLUSTER_ARN, services: [SERVICE_ARN] });
    expect(t.mocks.ecs.commandCalls(ListTasksCommand)[0]!.args[0].input).toEqual({ cluster: CLUSTER_ARN, serviceName: 'chat', desiredStatus: 'RUNNING' });
    expect(t.mocks.ecs.commandCalls(DescribeTasksCommand)[0]!.args[0].input).toEqual({ cluster: CLUSTER_ARN, tasks: [busyOld, idleOld, fresh] });
    const starts = t.mocks.sfn.commandCalls(StartExecutionCommand);
    expect(starts.map((start) => start.args[0].input)).toEqual([
      {
        stateMachineArn: STATE_MACHINE_ARN,
        name: 'drain-0000000000000000000000000000b051-1',
        input: JSON.stringify({ cluster: CLUSTER_ARN, taskArn: busyOld, service: 'chat', reason: 'DEPLOYMENT', deadline: '2026-11-21T11:00:00.000Z' }),
      },
      {
        stateMachineArn: STATE_MACHINE_ARN,
        name: 'drain-0000000000000000000000000000001d-1',
        input: JSON.stringify({ cluster: CLUSTER_ARN, taskArn: idleOld, service: 'chat', reason: 'DEPLOYMENT', deadline: '2026-11-21T11:00:00.000Z' }),
      },
    ]);
    expect(t.mocks.ecs.commandCalls(UpdateTaskProtectionCommand)).toEqual([]);
    expect(outcome).toEqual({
      status: 'done',
      result: {
        serviceName: 'chat',
        deploymentId: DEPLOYMENT_ID,
        newTaskDefinition: NEW_REVISION,
        oldTasks: 2,
        drainsStarted: [busyOld, idleOld],
        alreadyDraining: [],
        released: [],
        skipped: [],
      },
    });
    expect(countedMetrics(t)).toEqual(['DrainsStarted', 'DrainsStarted']);
  });

  it('drains the tasks of the revision a rollback moves away from', async () => {
    const t = handlerTestDeps();
    arrangeServiceTasks(t, OLD_REVISION);
    t.mocks.ecs.on(UpdateTaskProtectionCommand).resolves({ protectedTasks: [], failures: [] });

    await createHandler(t.getDeps)(
      deploymentEvent({ reason: 'ECS deployment circuit breaker: rolling back to deploymentId ecs-svc/0123456789012345678.' }),
    );

    const started = t.mocks.sfn.commandCalls(StartExecutionCommand).map((call) => JSON.parse(call.args[0].input.input!).taskArn);
    expect(started).toEqual([fresh]);
  });

  it('leaves a task whose drain is running to that drain, and a stopping task alone', async () => {
    const t = handlerTestDeps();
    arrangeServiceTasks(t);
    const executionArn = `arn:aws:states:${TEST_REGION}:${TEST_ACCOUNT}:execution:SessionDrain:drain-0000000000000000000000000000b051-1`;
    t.mocks.ddb
      .on(GetCommand, getTaskInput(busyOld))
      .resolves({ Item: registryItem(busyOld, { status: 'DRAINING', sessionCount: 4, drainAttempt: 1, executionArn }) });
    t.mocks.sfn.on(DescribeExecutionCommand, { executionArn }).resolves({ status: 'RUNNING' });
    t.mocks.ddb.on(GetCommand, getTaskInput(idleOld)).resolves({ Item: registryItem(idleOld, { status: 'STOPPING' }) });

    const outcome = await createHandler(t.getDeps)(deploymentEvent());

    expect(t.mocks.sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
    expect(t.mocks.ecs.commandCalls(UpdateTaskProtectionCommand)).toHaveLength(0);
    expect(outcome).toMatchObject({ status: 'done', result: { alreadyDraining: [busyOld], skipped: [idleOld] } });
  });

  it('ignores a late event whose deployment a newer one has superseded', async () => {
    const t = handlerTestDeps();
    const superseded = serviceWithPrimary(NEW_REVISION, 'ecs-svc/5555555555555555555');
    superseded.services[0]!.deployments[1]!.id = DEPLOYMENT_ID;
    t.mocks.ecs.on(DescribeServicesCommand).resolves(superseded);

    const outcome = await createHandler(t.getDeps)(deploymentEvent());

    expect(outcome).toEqual({ status: 'rejected', reason: expect.stringContaining('not PRIMARY') });
    expect(t.mocks.ecs.commandCalls(ListTasksCommand)).toHaveLength(0);
    expect(t.spies.warn).toHaveBeenCalledTimes(1);
    expect(countedMetrics(t)).toEqual(['EventsRejected']);
  });

  it('pages through the service tasks and describes them in batches of 100', async () => {
    const t = handlerTestDeps();
    const arns = Array.from({ length: 150 }, (_, index) => taskArn(index.toString(16).padStart(32, '0')));
    t.mocks.ecs.on(DescribeServicesCommand).resolves(serviceWithPrimary(NEW_REVISION));
    t.mocks.ecs
      .on(ListTasksCommand)
      .resolvesOnce({ taskArns: arns.slice(0, 100), nextToken: 'page-2' })
      .resolvesOnce({ taskArns: arns.slice(100) });
    t.mocks.ecs.on(DescribeTasksCommand).callsFake((input: { tasks: string[] }) => ({
      tasks: input.tasks.map((arn) => ({ taskArn: arn, taskDefinitionArn: NEW_REVISION })),
    }));

    const outcome = await createHandler(t.getDeps)(deploymentEvent());

    expect(t.mocks.ecs.commandCalls(ListTasksCommand)[1]!.args[0].input).toEqual({
      cluster: CLUSTER_ARN,
      serviceName: 'chat',
      desiredStatus: 'RUNNING',
      nextToken: 'page-2',
    });
    expect(t.mocks.ecs.commandCalls(DescribeTasksCommand).map((call) => call.args[0].input.tasks)).toEqual([arns.slice(0, 100), arns.slice(100)]);
    expect(t.mocks.ddb.calls()).toHaveLength(0);
    expect(outcome).toMatchObject({ status: 'done', result: { oldTasks: 0 } });
  });

  it('rethrows ECS throttling so that the event is retried', async () => {
    const t = handlerTestDeps();
    t.mocks.ecs.on(DescribeServicesCommand).rejects(awsError('ThrottlingException', 'Rate exceeded'));

    await expect(createHandler(t.getDeps)(deploymentEvent())).rejects.toBeInstanceOf(RetryableEcsError);
  });

  it('rejects without a retry when ECS no longer knows the cluster', async () => {
    const t = handlerTestDeps();
    t.mocks.ecs.on(DescribeServicesCommand).rejects(awsError('ClusterNotFoundException', 'Cluster not found.'));

    const outcome = await createHandler(t.getDeps)(deploymentEvent());

    expect(outcome).toEqual({ status: 'rejected', reason: 'ClusterNotFoundException: Cluster not found.' });
    expect(t.spies.error).toHaveBeenCalledTimes(1);
    expect(countedMetrics(t)).toEqual(['EventsRejected']);
  });
});
