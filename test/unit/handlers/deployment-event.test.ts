import { DescribeServicesCommand, DescribeTasksCommand, ListTasksCommand, UpdateTaskProtectionCommand } from '@aws-sdk/client-ecs';
import { QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { SendTaskFailureCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { createHandler } from '../../../functions/handlers/deployment-event.js';
import { RetryableEcsError } from '../../../functions/shared/errors.js';
import { CLUSTER_ARN, taskArn } from '../../support/deps.js';
import { deploymentEvent, SERVICE_ARN } from '../../support/ecs-events.js';
import { countedMetrics, handlerTestDeps } from './handler-harness.js';
import { armedWait, awsError, conditionalCheckFailed, registryItem } from './fixtures.js';
import {
  arrangePacing,
  CANCEL_CAUSE,
  cancelDrainInput,
  claimTransactionInput,
  consistentBatchReadInput,
  consistentReadInput,
  deploymentDrainStartInput,
  drainExecutionArn,
  NEW_DEPLOYMENT,
  NEW_REVISION,
  newTask,
  OLD_DEPLOYMENT,
  OLD_REVISION,
  oldTask,
  paceReadInput,
  releaseLeaseInput,
  rollingService,
  serviceTasksQueryInput,
  takeLeaseInput,
  taskUpdateInputs,
} from './pacing-world.js';

/*
 * DeploymentEventFunction: a deployment started, completed or failed. Whatever the event says,
 * the service's state decides (paceService): old tasks are drained at ECS's pace, and drains of
 * tasks the service keeps (a rollback) or of a failed deployment are cancelled.
 */

const busyOld = taskArn('0000000000000000000000000000b051');
const idleOld = taskArn('0000000000000000000000000000001d');
const fresh = taskArn('00000000000000000000000000000e00');
const ROLLBACK_REASON = `ECS deployment circuit breaker: rolling back to deploymentId ${OLD_DEPLOYMENT}.`;

function inProgress(detail: Record<string, unknown> = {}) {
  return deploymentEvent({ deploymentId: NEW_DEPLOYMENT, reason: `ECS deployment ${NEW_DEPLOYMENT} in progress.`, ...detail });
}

/** A deployment event's own fields, as the handler adds them to the pacing summary. */
function eventFields(eventName = 'SERVICE_DEPLOYMENT_IN_PROGRESS', eventDeploymentId = NEW_DEPLOYMENT, rollback = false) {
  return { event: eventName, eventDeploymentId, rollback };
}

describe('deployment event handler', () => {
  it('holds every old task while no new task serves yet at minimumHealthyPercent 100, and starts no drain', async () => {
    // prepare: the new task is still starting and has not registered
    const t = handlerTestDeps();
    arrangePacing(t, {
      tasks: [oldTask(busyOld), oldTask(idleOld), newTask(fresh, { lastStatus: 'PENDING' })],
      indexed: [registryItem(busyOld, { sessionCount: 4 }), registryItem(idleOld, { sessionCount: 0 })],
      paceVersion: 2,
    });

    // act
    const outcome = await createHandler(t.getDeps)(inProgress());

    // assert
    expect(t.mocks.ecs.commandCalls(DescribeServicesCommand).map((call) => call.args[0].input)).toEqual([{ cluster: CLUSTER_ARN, services: [SERVICE_ARN] }]);
    expect(t.mocks.ecs.commandCalls(ListTasksCommand).map((call) => call.args[0].input)).toEqual([{ cluster: CLUSTER_ARN, serviceName: 'chat', desiredStatus: 'RUNNING' }]);
    expect(t.mocks.ecs.commandCalls(DescribeTasksCommand).map((call) => call.args[0].input)).toEqual([{ cluster: CLUSTER_ARN, tasks: [busyOld, idleOld, fresh] }]);
    expect(t.mocks.ecs.calls()).toHaveLength(3);
    expect(t.mocks.ddb.calls().map((call) => call.args[0].input)).toEqual([takeLeaseInput(), paceReadInput(), serviceTasksQueryInput(), consistentBatchReadInput([busyOld, idleOld]), releaseLeaseInput()]);
    expect(t.mocks.sfn.calls()).toHaveLength(0);
    expect(outcome).toEqual({
      status: 'done',
      result: {
        serviceName: 'chat',
        deploymentId: NEW_DEPLOYMENT,
        leaving: 2,
        serving: 2,
        minServing: 2,
        waitingForTargets: false,
        drainsStarted: [],
        held: [idleOld, busyOld],
        cancelled: [],
        restored: [],
        released: [],
        passes: 1,
        ...eventFields(),
      },
    });
    expect(countedMetrics(t)).toEqual([]);
  });

  it('drains the idlest old task once a new task serves, and holds the other', async () => {
    const t = handlerTestDeps();
    arrangePacing(t, {
      tasks: [oldTask(busyOld), oldTask(idleOld), newTask(fresh)],
      indexed: [registryItem(busyOld, { sessionCount: 4 }), registryItem(idleOld, { sessionCount: 0 }), registryItem(fresh, { sessionCount: 9 })],
      paceVersion: 2,
    });

    const outcome = await createHandler(t.getDeps)(inProgress());

    expect(t.mocks.ddb.calls().map((call) => call.args[0].input)).toEqual([
      takeLeaseInput(),
      paceReadInput(),
      serviceTasksQueryInput(),
      consistentBatchReadInput([busyOld, idleOld, fresh]),
      claimTransactionInput(2, [{ taskArn: idleOld }]),
      releaseLeaseInput(),
    ]);
    expect(t.mocks.sfn.calls().map((call) => call.args[0].input)).toEqual([deploymentDrainStartInput(idleOld)]);
    expect(t.mocks.ecs.commandCalls(UpdateTaskProtectionCommand)).toEqual([]);
    expect(outcome).toMatchObject({ status: 'done', result: { serving: 3, minServing: 2, drainsStarted: [idleOld], held: [busyOld], ...eventFields() } });
    expect(countedMetrics(t)).toEqual(['DrainsStarted']);
  });

  it('claims the next attempt of a task whose earlier drain ended', async () => {
    const t = handlerTestDeps();
    const drainedBefore = registryItem(idleOld, { sessionCount: 0, drainAttempt: 2, executionArn: drainExecutionArn(idleOld, 2), drainReason: 'SPOT', drainOutcome: 'CANCELLED', cancelledBy: 'DEPLOYMENT' });
    arrangePacing(t, {
      tasks: [oldTask(busyOld), oldTask(idleOld), newTask(fresh)],
      indexed: [registryItem(busyOld, { sessionCount: 4 }), drainedBefore, registryItem(fresh)],
      paceVersion: 2,
    });

    await createHandler(t.getDeps)(inProgress());

    expect(t.mocks.ddb.commandCalls(TransactWriteCommand).map((call) => call.args[0].input)).toEqual([claimTransactionInput(2, [{ taskArn: idleOld, attempt: 3 }])]);
    expect(t.mocks.sfn.calls().map((call) => call.args[0].input)).toEqual([deploymentDrainStartInput(idleOld, 3)]);
  });

  it('cancels the deployment drains of the tasks a circuit-breaker rollback keeps, ending the wait of the one already waiting', async () => {
    // prepare: the rollback made the old deployment PRIMARY again; busyOld waits for its sessions, idleOld's drain is only claimed
    const t = handlerTestDeps();
    const waiting = registryItem(busyOld, { status: 'DRAINING', sessionCount: 4, drainAttempt: 1, executionArn: drainExecutionArn(busyOld), drainReason: 'DEPLOYMENT', waitArmed: true });
    const claimedOnly = registryItem(idleOld, { drainAttempt: 1, executionArn: drainExecutionArn(idleOld), drainReason: 'DEPLOYMENT' });
    arrangePacing(t, {
      service: {
        deployments: [
          { id: OLD_DEPLOYMENT, status: 'PRIMARY', taskDefinition: OLD_REVISION, rolloutState: 'IN_PROGRESS' },
          { id: NEW_DEPLOYMENT, status: 'ACTIVE', taskDefinition: NEW_REVISION, rolloutState: 'FAILED' },
        ],
      },
      tasks: [oldTask(busyOld), oldTask(idleOld), newTask(fresh)],
      indexed: [waiting, claimedOnly, registryItem(fresh)],
      paceVersion: 3,
    });
    armedWait(t.mocks.ddb, busyOld, 'token-busy', drainExecutionArn(busyOld));

    // act
    const outcome = await createHandler(t.getDeps)(inProgress({ deploymentId: OLD_DEPLOYMENT, reason: ROLLBACK_REASON }));

    // assert
    expect(taskUpdateInputs(t)).toEqual([
      cancelDrainInput(busyOld, drainExecutionArn(busyOld)),
      cancelDrainInput(idleOld, drainExecutionArn(idleOld)),
    ]);
    expect(t.mocks.sfn.commandCalls(SendTaskFailureCommand).map((call) => call.args[0].input)).toEqual([
      { taskToken: 'token-busy', error: 'DrainCancelled', cause: CANCEL_CAUSE },
    ]);
    expect(t.mocks.ddb.commandCalls(TransactWriteCommand)).toHaveLength(0);
    expect(t.mocks.sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
    expect(outcome).toEqual({
      status: 'done',
      result: {
        serviceName: 'chat',
        deploymentId: OLD_DEPLOYMENT,
        leaving: 1,
        serving: 1,
        minServing: 2,
        waitingForTargets: false,
        drainsStarted: [],
        held: [fresh],
        cancelled: [busyOld, idleOld],
        restored: [],
        released: [],
        passes: 1,
        ...eventFields('SERVICE_DEPLOYMENT_IN_PROGRESS', OLD_DEPLOYMENT, true),
      },
    });
  });

  it('gives back no drain that a newer read of the service shows it no longer keeps: the rollback hook drained green after the first read', async () => {
    // prepare: the first read still shows the new deployment PRIMARY; by the time the registry is
    // read, a rollback made the old one PRIMARY again and the rollback hook drains the new task
    const t = handlerTestDeps();
    const greenDrain = registryItem(fresh, { status: 'DRAINING', sessionCount: 3, drainAttempt: 1, executionArn: drainExecutionArn(fresh), drainReason: 'DEPLOYMENT', waitArmed: true });
    arrangePacing(t, { tasks: [oldTask(busyOld), newTask(fresh)], indexed: [registryItem(busyOld, { sessionCount: 4 }), greenDrain], paceVersion: 3 });
    armedWait(t.mocks.ddb, fresh, 'token-green', drainExecutionArn(fresh));
    const rolledBack = rollingService({
      deployments: [
        { id: OLD_DEPLOYMENT, status: 'PRIMARY', taskDefinition: OLD_REVISION, rolloutState: 'IN_PROGRESS' },
        { id: NEW_DEPLOYMENT, status: 'ACTIVE', taskDefinition: NEW_REVISION, rolloutState: 'FAILED' },
      ],
    });
    t.mocks.ecs.on(DescribeServicesCommand).resolvesOnce({ services: [rollingService()], failures: [] }).resolves({ services: [rolledBack], failures: [] });

    // act
    const outcome = await createHandler(t.getDeps)(inProgress());

    // assert: the drain goes on; the second read was made to decide
    expect(t.mocks.ecs.commandCalls(DescribeServicesCommand)).toHaveLength(2);
    expect(taskUpdateInputs(t)).toEqual([]);
    expect(t.mocks.sfn.commandCalls(SendTaskFailureCommand)).toHaveLength(0);
    expect(outcome).toMatchObject({ status: 'done', result: { cancelled: [], restored: [] } });
  });

  it('returns to service a blue task whose drain ended without a stop when the deployment rolls back, protecting it again while it holds sessions', async () => {
    // prepare: during bake time the blue task drained and was left for ECS's clean-up; then the deployment rolled back
    const t = handlerTestDeps();
    const leftForCleanUp = registryItem(busyOld, { status: 'DRAINING', sessionCount: 2, drainAttempt: 1, executionArn: drainExecutionArn(busyOld), drainReason: 'DEPLOYMENT', drainOutcome: 'DRAINED' });
    arrangePacing(t, {
      service: {
        deploymentConfiguration: { minimumHealthyPercent: 100, maximumPercent: 200, strategy: 'BLUE_GREEN' } as never,
        deployments: [
          { id: OLD_DEPLOYMENT, status: 'PRIMARY', taskDefinition: OLD_REVISION, rolloutState: 'IN_PROGRESS' },
          { id: NEW_DEPLOYMENT, status: 'ACTIVE', taskDefinition: NEW_REVISION, rolloutState: 'FAILED' },
        ],
      },
      tasks: [oldTask(busyOld), newTask(fresh)],
      indexed: [leftForCleanUp, registryItem(fresh)],
      paceVersion: 3,
    });

    // act
    const outcome = await createHandler(t.getDeps)(inProgress({ deploymentId: OLD_DEPLOYMENT, reason: ROLLBACK_REASON }));

    // assert
    expect(taskUpdateInputs(t)).toEqual([
      {
        TableName: 'SessionRegistry',
        Key: { pk: busyOld, sk: 'TASK' },
        UpdateExpression: 'SET #status = :active REMOVE drainControl, drainReason, drainDeadline, drainStartedAt, sessionsAtDrainStart',
        ConditionExpression: '#status = :draining AND executionArn = :execution AND attribute_exists(drainOutcome)',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':active': 'ACTIVE', ':draining': 'DRAINING', ':execution': drainExecutionArn(busyOld) },
        ReturnValues: 'ALL_NEW',
      },
    ]);
    expect(t.mocks.ecs.commandCalls(UpdateTaskProtectionCommand).map((call) => call.args[0].input)).toEqual([
      { cluster: CLUSTER_ARN, tasks: [busyOld], protectionEnabled: true, expiresInMinutes: 2880 },
    ]);
    expect(t.mocks.sfn.calls()).toHaveLength(0);
    expect(outcome).toMatchObject({ status: 'done', result: { restored: [busyOld], cancelled: [], drainsStarted: [], rollback: true } });
  });

  it('does not count a cancel whose drain ended meanwhile', async () => {
    const t = handlerTestDeps();
    arrangePacing(t, {
      service: { deployments: [{ id: OLD_DEPLOYMENT, status: 'PRIMARY', taskDefinition: OLD_REVISION, rolloutState: 'IN_PROGRESS' }] },
      tasks: [oldTask(busyOld)],
      indexed: [registryItem(busyOld, { status: 'DRAINING', drainAttempt: 1, executionArn: drainExecutionArn(busyOld), drainReason: 'DEPLOYMENT', waitArmed: true })],
      paceVersion: 3,
    });
    armedWait(t.mocks.ddb, busyOld, 'token-busy', drainExecutionArn(busyOld));
    t.mocks.ddb.on(UpdateCommand, { Key: { pk: busyOld, sk: 'TASK' } }).rejects(conditionalCheckFailed());

    const outcome = await createHandler(t.getDeps)(inProgress({ deploymentId: OLD_DEPLOYMENT, reason: ROLLBACK_REASON }));

    expect(taskUpdateInputs(t)).toHaveLength(1);
    expect(t.mocks.sfn.calls()).toHaveLength(0);
    expect(outcome).toMatchObject({ status: 'done', result: { cancelled: [] } });
  });

  it('releases no more old tasks once the deployment FAILED, and cancels the deployment drains still open', async () => {
    const t = handlerTestDeps();
    const waiting = registryItem(busyOld, { status: 'DRAINING', sessionCount: 4, drainAttempt: 1, executionArn: drainExecutionArn(busyOld), drainReason: 'DEPLOYMENT', waitArmed: true });
    arrangePacing(t, {
      service: {
        desiredCount: 1,
        deployments: [
          { id: NEW_DEPLOYMENT, status: 'PRIMARY', taskDefinition: NEW_REVISION, rolloutState: 'FAILED' },
          { id: OLD_DEPLOYMENT, status: 'ACTIVE', taskDefinition: OLD_REVISION, rolloutState: 'COMPLETED' },
        ],
      },
      tasks: [oldTask(busyOld), oldTask(idleOld), newTask(fresh)],
      indexed: [waiting, registryItem(idleOld, { sessionCount: 0 }), registryItem(fresh)],
      paceVersion: 3,
    });
    armedWait(t.mocks.ddb, busyOld, 'token-busy', drainExecutionArn(busyOld));

    const outcome = await createHandler(t.getDeps)(inProgress({ eventName: 'SERVICE_DEPLOYMENT_FAILED', eventType: 'ERROR', reason: 'ECS deployment circuit breaker: tasks failed to start.' }));

    expect(taskUpdateInputs(t)).toEqual([cancelDrainInput(busyOld, drainExecutionArn(busyOld))]);
    expect(t.mocks.sfn.commandCalls(SendTaskFailureCommand).map((call) => call.args[0].input)).toEqual([{ taskToken: 'token-busy', error: 'DrainCancelled', cause: CANCEL_CAUSE }]);
    expect(t.mocks.ddb.commandCalls(TransactWriteCommand)).toHaveLength(0);
    expect(t.mocks.sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
    expect(outcome).toMatchObject({
      status: 'done',
      result: { serving: 2, minServing: 1, drainsStarted: [], held: [idleOld], cancelled: [busyOld], ...eventFields('SERVICE_DEPLOYMENT_FAILED') },
    });
  });

  it('finds nothing to drain once the deployment COMPLETED', async () => {
    const t = handlerTestDeps();
    arrangePacing(t, {
      service: { deployments: [{ id: NEW_DEPLOYMENT, status: 'PRIMARY', taskDefinition: NEW_REVISION, rolloutState: 'COMPLETED' }], runningCount: 2 },
      tasks: [newTask(fresh), newTask(taskArn('00000000000000000000000000000e01'))],
      indexed: [registryItem(fresh), registryItem(taskArn('00000000000000000000000000000e01'))],
      paceVersion: 4,
    });

    const outcome = await createHandler(t.getDeps)(inProgress({ eventName: 'SERVICE_DEPLOYMENT_COMPLETED', reason: `ECS deployment ${NEW_DEPLOYMENT} completed.` }));

    expect(t.mocks.ddb.calls().map((call) => call.args[0].input)).toEqual([
      takeLeaseInput(),
      paceReadInput(),
      serviceTasksQueryInput(),
      consistentBatchReadInput([fresh, taskArn('00000000000000000000000000000e01')]),
      releaseLeaseInput(),
    ]);
    expect(t.mocks.sfn.calls()).toHaveLength(0);
    expect(outcome).toMatchObject({ status: 'done', result: { leaving: 0, serving: 2, drainsStarted: [], held: [], ...eventFields('SERVICE_DEPLOYMENT_COMPLETED') } });
  });

  it('unprotects the old tasks the registry does not know, so that ECS replaces them without waiting', async () => {
    const t = handlerTestDeps();
    const unknownOld = taskArn('0000000000000000000000000000dead');
    arrangePacing(t, {
      tasks: [oldTask(busyOld), oldTask(unknownOld), newTask(fresh, { lastStatus: 'PENDING' })],
      indexed: [registryItem(busyOld, { sessionCount: 4 })],
      paceVersion: 2,
    });

    const outcome = await createHandler(t.getDeps)(inProgress());

    expect(t.mocks.ecs.commandCalls(UpdateTaskProtectionCommand).map((call) => call.args[0].input)).toEqual([
      { cluster: CLUSTER_ARN, tasks: [unknownOld], protectionEnabled: false },
    ]);
    expect(t.mocks.sfn.calls()).toHaveLength(0);
    expect(outcome).toMatchObject({ status: 'done', result: { leaving: 2, serving: 1, held: [busyOld], released: [unknownOld] } });
  });

  it('paces the service as it is now when a late event names a deployment a newer one superseded', async () => {
    const t = handlerTestDeps();
    arrangePacing(t, {
      tasks: [oldTask(busyOld), oldTask(idleOld), newTask(fresh)],
      indexed: [registryItem(busyOld, { sessionCount: 4 }), registryItem(idleOld, { sessionCount: 0 }), registryItem(fresh)],
      paceVersion: 2,
    });

    const outcome = await createHandler(t.getDeps)(deploymentEvent());

    expect(t.mocks.sfn.calls().map((call) => call.args[0].input)).toEqual([deploymentDrainStartInput(idleOld)]);
    expect(outcome).toMatchObject({
      status: 'done',
      result: { deploymentId: NEW_DEPLOYMENT, drainsStarted: [idleOld], ...eventFields('SERVICE_DEPLOYMENT_IN_PROGRESS', 'ecs-svc/0123456789012345678') },
    });
  });

  it('pages through the service tasks and describes them in batches of 100', async () => {
    const t = handlerTestDeps();
    const arns = Array.from({ length: 150 }, (_, index) => taskArn(index.toString(16).padStart(32, '0')));
    arrangePacing(t, { tasks: arns.map((arn) => newTask(arn)), indexed: [], paceVersion: 2 });
    t.mocks.ecs
      .on(ListTasksCommand)
      .resolvesOnce({ taskArns: arns.slice(0, 100), nextToken: 'page-2' })
      .resolvesOnce({ taskArns: arns.slice(100) });

    const outcome = await createHandler(t.getDeps)(inProgress());

    expect(t.mocks.ecs.commandCalls(ListTasksCommand).map((call) => call.args[0].input)).toEqual([
      { cluster: CLUSTER_ARN, serviceName: 'chat', desiredStatus: 'RUNNING' },
      { cluster: CLUSTER_ARN, serviceName: 'chat', desiredStatus: 'RUNNING', nextToken: 'page-2' },
    ]);
    expect(t.mocks.ecs.commandCalls(DescribeTasksCommand).map((call) => call.args[0].input.tasks)).toEqual([arns.slice(0, 100), arns.slice(100)]);
    expect(t.mocks.ddb.commandCalls(QueryCommand)).toHaveLength(1);
    expect(outcome).toMatchObject({ status: 'done', result: { leaving: 0 } });
  });

  it('rethrows ECS throttling so that the event is retried', async () => {
    const t = handlerTestDeps();
    t.mocks.ecs.on(DescribeServicesCommand).rejects(awsError('ThrottlingException', 'Rate exceeded'));

    await expect(createHandler(t.getDeps)(inProgress())).rejects.toBeInstanceOf(RetryableEcsError);
  });

  it('rejects without a retry when ECS no longer knows the cluster', async () => {
    const t = handlerTestDeps();
    t.mocks.ecs.on(DescribeServicesCommand).rejects(awsError('ClusterNotFoundException', 'Cluster not found.'));

    const outcome = await createHandler(t.getDeps)(inProgress());

    expect(outcome).toEqual({ status: 'rejected', reason: 'ClusterNotFoundException: Cluster not found.' });
    expect(t.spies.error).toHaveBeenCalledTimes(1);
    expect(countedMetrics(t)).toEqual(['EventsRejected']);
  });

  it('rejects without a retry when ECS no longer knows the service', async () => {
    const t = handlerTestDeps();
    t.mocks.ecs.on(DescribeServicesCommand).resolves({ services: [], failures: [{ arn: SERVICE_ARN, reason: 'MISSING' }] });

    const outcome = await createHandler(t.getDeps)(inProgress());

    expect(outcome).toEqual({ status: 'rejected', reason: `service ${SERVICE_ARN} is unknown to ECS` });
    expect(t.mocks.ecs.calls()).toHaveLength(1);
    // An unknown service is refused before the lease: nothing is written.
    expect(t.mocks.ddb.calls()).toEqual([]);
    expect(t.spies.warn).toHaveBeenCalledTimes(1);
    expect(countedMetrics(t)).toEqual(['EventsRejected']);
  });
});
