import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DescribeServicesCommand, DescribeTasksCommand, ListTasksCommand, type Service, UpdateTaskProtectionCommand } from '@aws-sdk/client-ecs';
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { BatchGetCommand, GetCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { PacingContendedError } from '../../../functions/core/deployments/pace-service.js';
import { createHandler as deploymentHandler } from '../../../functions/handlers/deployment-event.js';
import { createHandler } from '../../../functions/handlers/deployment-pacer.js';
import type { TaskItem } from '../../../functions/registry/model.js';
import { CLUSTER_ARN, OTHER_CLUSTER_ARN, TEST_ACCOUNT, TEST_REGION, taskArn, TABLE_NAME } from '../../support/deps.js';
import { deploymentEvent, fargateSpotWarning, SERVICE_ARN, taskStateChange } from '../../support/ecs-events.js';
import { conditionalCheckFailed, registryItem } from './fixtures.js';
import { countedMetrics, handlerTestDeps, type HandlerTestDeps, sdkCallCount } from './handler-harness.js';
import {
  arrangePacing,
  claimTransactionInput,
  consistentBatchReadInput,
  consistentReadInput,
  deploymentDrainStartInput,
  drainExecutionArn,
  dropLeaseInput,
  leaseHolders,
  markDirtyInput,
  NEW_DEPLOYMENT,
  NEW_REVISION,
  OLD_DEPLOYMENT,
  OLD_REVISION,
  newTask,
  oldTask,
  paceReadInput,
  releaseLeaseInput,
  rollingService,
  serviceTasksQueryInput,
  takeLeaseInput,
} from './pacing-world.js';

const OLD_BUSY = taskArn('0000000000000000000000000000b051');
const OLD_IDLE = taskArn('0000000000000000000000000000001d');
const NEW_ONE = taskArn('00000000000000000000000000000e01');
const NEW_TWO = taskArn('00000000000000000000000000000e02');

/** ECS says the new task is RUNNING: the pacer's trigger. */
function newTaskRunning(overrides: Record<string, unknown> = {}) {
  return taskStateChange({ taskArn: NEW_ONE, taskDefinitionArn: NEW_REVISION, startedBy: NEW_DEPLOYMENT, capacityProviderName: 'FARGATE', healthStatus: 'HEALTHY', ...overrides });
}

/** Two old tasks and one new one, all registered and serving: one old task is spare at minimumHealthyPercent 100. */
function oneSpare(t: HandlerTestDeps, overrides: { paceVersion?: number; indexed?: TaskItem[] } = {}) {
  arrangePacing(t, {
    tasks: [oldTask(OLD_BUSY), oldTask(OLD_IDLE), newTask(NEW_ONE)],
    indexed: overrides.indexed ?? [registryItem(OLD_BUSY, { sessionCount: 4 }), registryItem(OLD_IDLE, { sessionCount: 1 }), registryItem(NEW_ONE)],
    paceVersion: 'paceVersion' in overrides ? overrides.paceVersion : 6,
  });
}

function transactionCancelled(): TransactionCanceledException {
  return new TransactionCanceledException({
    message: 'Transaction cancelled, please refer cancellation reasons for specific reasons [ConditionalCheckFailed, None]',
    $metadata: {},
    CancellationReasons: [{ Code: 'ConditionalCheckFailed' }, { Code: 'None' }],
  });
}

function insertRecord(sequenceNumber: string, image: Record<string, unknown>): DynamoDBRecord {
  return {
    eventID: `event-${sequenceNumber}`,
    eventName: 'INSERT',
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: 'us-east-1',
    eventSourceARN: 'arn:aws:dynamodb:us-east-1:111122223333:table/SessionRegistry/stream/2026-11-21T00:00:00.000',
    dynamodb: {
      ApproximateCreationDateTime: 1_763_719_200,
      Keys: marshall({ pk: image.pk, sk: image.sk }) as never,
      NewImage: marshall(image, { removeUndefinedValues: true }) as never,
      SequenceNumber: sequenceNumber,
      SizeBytes: 100,
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    },
  };
}

/** A task registering itself, as the agent writes its item. */
function registration(arn: string, serviceName: string, clusterArn = CLUSTER_ARN): Record<string, unknown> {
  return { ...registryItem(arn, { clusterArn, serviceName, serviceTask: `${serviceName}#${arn}` }), heartbeatAt: 1_763_719_190 };
}

describe('DeploymentPacerFunction: a service task became RUNNING', () => {
  it('paces that service under its lease: reads it, its tasks and its registry items, claims the idlest old task under the pace version and starts its drain', async () => {
    // prepare
    const t = handlerTestDeps();
    oneSpare(t);

    // act
    const outcome = await createHandler(t.getDeps)(newTaskRunning());

    // assert
    expect(t.mocks.ecs.commandCalls(DescribeServicesCommand).map((call) => call.args[0].input)).toEqual([{ cluster: CLUSTER_ARN, services: ['chat'] }]);
    expect(t.mocks.ecs.commandCalls(ListTasksCommand).map((call) => call.args[0].input)).toEqual([{ cluster: CLUSTER_ARN, serviceName: 'chat', desiredStatus: 'RUNNING' }]);
    expect(t.mocks.ecs.commandCalls(DescribeTasksCommand).map((call) => call.args[0].input)).toEqual([{ cluster: CLUSTER_ARN, tasks: [OLD_BUSY, OLD_IDLE, NEW_ONE] }]);
    expect(t.mocks.ecs.calls()).toHaveLength(3);
    expect(t.mocks.ddb.calls().map((call) => call.args[0].input)).toEqual([
      takeLeaseInput(),
      paceReadInput(),
      serviceTasksQueryInput(),
      consistentBatchReadInput([OLD_BUSY, OLD_IDLE, NEW_ONE]),
      claimTransactionInput(6, [{ taskArn: OLD_IDLE }]),
      releaseLeaseInput(),
    ]);
    expect(new Set(leaseHolders(t)).size).toBe(1);
    expect(t.mocks.sfn.calls().map((call) => call.args[0].input)).toEqual([deploymentDrainStartInput(OLD_IDLE)]);
    expect(outcome).toEqual({
      status: 'done',
      result: {
        serviceName: 'chat',
        deploymentId: NEW_DEPLOYMENT,
        leaving: 2,
        serving: 3,
        minServing: 2,
        waitingForTargets: false,
        drainsStarted: [OLD_IDLE],
        held: [OLD_BUSY],
        cancelled: [],
        restored: [],
        released: [],
        passes: 1,
      },
    });
    expect(countedMetrics(t)).toEqual(['DrainsStarted']);
  });

  it('claims the first paced drain of a service only while no pace item exists', async () => {
    const t = handlerTestDeps();
    oneSpare(t, { paceVersion: undefined });

    await createHandler(t.getDeps)(newTaskRunning());

    expect(t.mocks.ddb.commandCalls(TransactWriteCommand).map((call) => call.args[0].input)).toEqual([claimTransactionInput(undefined, [{ taskArn: OLD_IDLE }])]);
    expect(t.mocks.sfn.commandCalls(StartExecutionCommand)).toHaveLength(1);
  });

  it('decides again on what a concurrent pacer left when its claim loses the pace version, and starts nothing more', async () => {
    // prepare: another pacer claimed OLD_IDLE between this one's reads and its transaction
    const t = handlerTestDeps();
    oneSpare(t);
    const claimedByOther = registryItem(OLD_IDLE, { sessionCount: 1, drainAttempt: 1, executionArn: drainExecutionArn(OLD_IDLE), drainReason: 'DEPLOYMENT' });
    let versionReads = 0;
    t.mocks.ddb.on(GetCommand).callsFake((input: { Key: { pk: string; sk: string } }) => {
      if (input.Key.sk === 'PACE') return { Item: { ...input.Key, version: 6 + Math.min(versionReads++, 1) } };
      return { Item: registryItem(OLD_IDLE, { sessionCount: 1 }) };
    });
    t.mocks.ddb
      .on(QueryCommand)
      .resolvesOnce({ Items: [registryItem(OLD_BUSY, { sessionCount: 4 }), registryItem(OLD_IDLE, { sessionCount: 1 }), registryItem(NEW_ONE)] })
      .resolves({ Items: [registryItem(OLD_BUSY, { sessionCount: 4 }), claimedByOther, registryItem(NEW_ONE)] });
    t.mocks.ddb
      .on(BatchGetCommand)
      .resolvesOnce({ Responses: { [TABLE_NAME]: [registryItem(OLD_BUSY, { sessionCount: 4 }), registryItem(OLD_IDLE, { sessionCount: 1 }), registryItem(NEW_ONE)] } })
      .resolves({ Responses: { [TABLE_NAME]: [registryItem(OLD_BUSY, { sessionCount: 4 }), claimedByOther, registryItem(NEW_ONE)] } });
    t.mocks.ddb.on(TransactWriteCommand).rejects(transactionCancelled());

    // act
    const outcome = await createHandler(t.getDeps)(newTaskRunning());

    // assert
    expect(t.mocks.ddb.calls().map((call) => call.args[0].input)).toEqual([
      takeLeaseInput(),
      paceReadInput(),
      serviceTasksQueryInput(),
      consistentBatchReadInput([OLD_BUSY, OLD_IDLE, NEW_ONE]),
      claimTransactionInput(6, [{ taskArn: OLD_IDLE }]),
      paceReadInput(),
      serviceTasksQueryInput(),
      consistentBatchReadInput([OLD_BUSY, OLD_IDLE, NEW_ONE]),
      releaseLeaseInput(),
    ]);
    // The second round reads the service again too: a rollback could have come in between.
    expect(t.mocks.ecs.commandCalls(DescribeServicesCommand)).toHaveLength(2);
    expect(t.mocks.sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
    expect(outcome).toMatchObject({ status: 'done', result: { serving: 2, drainsStarted: [], held: [OLD_BUSY] } });
  });

  it('plans its second round on the service as it is then: after a rollback in between, the task to release is the rolled-back deployment\'s', async () => {
    // prepare: the first claim loses the pace version; meanwhile the old deployment became PRIMARY again
    const t = handlerTestDeps();
    oneSpare(t);
    const rolledBack = rollingService({
      deployments: [
        { id: OLD_DEPLOYMENT, status: 'PRIMARY', taskDefinition: OLD_REVISION, rolloutState: 'IN_PROGRESS' },
        { id: NEW_DEPLOYMENT, status: 'ACTIVE', taskDefinition: NEW_REVISION, rolloutState: 'FAILED' },
      ],
    });
    t.mocks.ecs.on(DescribeServicesCommand).resolvesOnce({ services: [rollingService()], failures: [] }).resolves({ services: [rolledBack], failures: [] });
    t.mocks.ddb.on(TransactWriteCommand).rejectsOnce(transactionCancelled()).resolves({});

    // act
    const outcome = await createHandler(t.getDeps)(newTaskRunning());

    // assert: round 1 claimed the idlest old task; round 2 claims the new task, which the service no longer keeps
    const claimed = t.mocks.ddb.commandCalls(TransactWriteCommand).map((call) => call.args[0].input.TransactItems?.[1]?.Update?.Key?.pk);
    expect(claimed).toEqual([OLD_IDLE, NEW_ONE]);
    expect(outcome).toMatchObject({ status: 'done', result: { deploymentId: OLD_DEPLOYMENT, leaving: 1 } });
  });

  it('throws after losing the pace version four times running, giving its lease up and leaving the service dirty, so that the event is retried', async () => {
    const t = handlerTestDeps();
    oneSpare(t);
    t.mocks.ddb.on(TransactWriteCommand).rejects(transactionCancelled());

    await expect(createHandler(t.getDeps)(newTaskRunning())).rejects.toBeInstanceOf(PacingContendedError);

    expect(t.mocks.ddb.commandCalls(TransactWriteCommand)).toHaveLength(4);
    expect(t.mocks.ddb.commandCalls(UpdateCommand).map((call) => call.args[0].input)).toEqual([takeLeaseInput(), dropLeaseInput()]);
    expect(new Set(leaseHolders(t)).size).toBe(1);
    expect(t.mocks.sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
    expect(t.spies.error).toHaveBeenCalledTimes(1);
    expect(t.spies.error).toHaveBeenCalledWith('event handling failed; the invocation will be retried', { error: expect.any(PacingContendedError) });
  });

  it("hands the trigger over to the pacer that holds the service's lease: marks the service dirty and reads nothing", async () => {
    // prepare
    const t = handlerTestDeps();
    oneSpare(t);
    t.mocks.ddb.on(UpdateCommand).callsFake((input: { UpdateExpression: string }) => {
      if (input.UpdateExpression.startsWith('SET leaseHolder')) throw conditionalCheckFailed();
      return {};
    });

    // act
    const outcome = await createHandler(t.getDeps)(newTaskRunning());

    // assert
    expect(t.mocks.ddb.calls().map((call) => call.args[0].input)).toEqual([takeLeaseInput(), markDirtyInput(), takeLeaseInput()]);
    // Only the service is read (its controller decides whether there is a lease to take at all).
    expect(t.mocks.ecs.calls().map((call) => call.args[0].input)).toEqual([{ cluster: CLUSTER_ARN, services: ['chat'] }]);
    expect(t.mocks.sfn.calls()).toHaveLength(0);
    expect(outcome).toEqual({
      status: 'done',
      result: {
        serviceName: 'chat',
        deploymentId: '',
        leaving: 0,
        serving: 0,
        minServing: 0,
        waitingForTargets: false,
        drainsStarted: [],
        held: [],
        cancelled: [],
        restored: [],
        released: [],
        passes: 0,
      },
    });
  });

  it('runs another pass when a trigger marked the service dirty during its pass, and reports the drains of both', async () => {
    // prepare: the lease cannot be released once (dirty); the second pass sees the first one's claim
    const t = handlerTestDeps();
    oneSpare(t);
    const claimedIdle = registryItem(OLD_IDLE, { sessionCount: 1, drainAttempt: 1, executionArn: drainExecutionArn(OLD_IDLE), drainReason: 'DEPLOYMENT' });
    t.mocks.ddb
      .on(QueryCommand)
      .resolvesOnce({ Items: [registryItem(OLD_BUSY, { sessionCount: 4 }), registryItem(OLD_IDLE, { sessionCount: 1 }), registryItem(NEW_ONE)] })
      .resolves({ Items: [registryItem(OLD_BUSY, { sessionCount: 4 }), claimedIdle, registryItem(NEW_ONE)] });
    t.mocks.ddb
      .on(BatchGetCommand)
      .resolvesOnce({ Responses: { [TABLE_NAME]: [registryItem(OLD_BUSY, { sessionCount: 4 }), registryItem(OLD_IDLE, { sessionCount: 1 }), registryItem(NEW_ONE)] } })
      .resolves({ Responses: { [TABLE_NAME]: [registryItem(OLD_BUSY, { sessionCount: 4 }), claimedIdle, registryItem(NEW_ONE)] } });
    let releases = 0;
    t.mocks.ddb.on(UpdateCommand).callsFake((input: { UpdateExpression: string }) => {
      if (input.UpdateExpression.startsWith('REMOVE leaseHolder') && releases++ === 0) throw conditionalCheckFailed();
      return {};
    });

    // act
    const outcome = await createHandler(t.getDeps)(newTaskRunning());

    // assert
    expect(t.mocks.ddb.calls().map((call) => call.args[0].input)).toEqual([
      takeLeaseInput(),
      paceReadInput(),
      serviceTasksQueryInput(),
      consistentBatchReadInput([OLD_BUSY, OLD_IDLE, NEW_ONE]),
      claimTransactionInput(6, [{ taskArn: OLD_IDLE }]),
      releaseLeaseInput(),
      takeLeaseInput(),
      paceReadInput(),
      serviceTasksQueryInput(),
      consistentBatchReadInput([OLD_BUSY, OLD_IDLE, NEW_ONE]),
      releaseLeaseInput(),
    ]);
    expect(new Set(leaseHolders(t)).size).toBe(1);
    expect(t.mocks.ecs.commandCalls(DescribeServicesCommand)).toHaveLength(2);
    expect(t.mocks.sfn.calls().map((call) => call.args[0].input)).toEqual([deploymentDrainStartInput(OLD_IDLE)]);
    expect(outcome).toMatchObject({ status: 'done', result: { serving: 2, drainsStarted: [OLD_IDLE], held: [OLD_BUSY], passes: 2 } });
  });

  it('keeps the floor when the index still shows a task whose drain was claimed a moment ago as serving', async () => {
    // prepare: OLD_BUSY's drain was claimed a moment ago (an operator's drain, or the pacer that won
    // the pace version); the eventually consistent index does not show the claim yet, while a
    // consistent read does. Only NEW_ONE and OLD_IDLE still take sessions: the floor of 2.
    const t = handlerTestDeps();
    const busyClaimed = registryItem(OLD_BUSY, { sessionCount: 4, drainAttempt: 1, executionArn: drainExecutionArn(OLD_BUSY), drainReason: 'MANUAL' });
    arrangePacing(t, {
      tasks: [oldTask(OLD_BUSY), oldTask(OLD_IDLE), newTask(NEW_ONE)],
      indexed: [registryItem(OLD_BUSY, { sessionCount: 4 }), registryItem(OLD_IDLE, { sessionCount: 1 }), registryItem(NEW_ONE)],
      current: [busyClaimed, registryItem(OLD_IDLE, { sessionCount: 1 }), registryItem(NEW_ONE)],
      paceVersion: 7,
    });

    // act
    await createHandler(t.getDeps)(newTaskRunning());

    // assert: draining OLD_IDLE as well would leave one task serving, below minimumHealthyPercent 100 of 2
    expect(t.mocks.ddb.commandCalls(TransactWriteCommand)).toHaveLength(0);
    expect(t.mocks.sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });
});

describe('DeploymentPacerFunction: task registrations from the registry stream', () => {
  it('paces each service once per batch, however many of its tasks registered, and skips other clusters and session items', async () => {
    // prepare
    const t = handlerTestDeps();
    t.mocks.ecs.on(DescribeServicesCommand).callsFake((input: { services: string[] }) => ({
      services: input.services.map((name) =>
        rollingService({
          serviceName: name,
          serviceArn: `arn:aws:ecs:${TEST_REGION}:${TEST_ACCOUNT}:service/sessions/${name}`,
        }),
      ),
      failures: [],
    }));
    t.mocks.ecs.on(ListTasksCommand).resolves({ taskArns: [] });
    t.mocks.ddb.on(GetCommand).resolves({});
    t.mocks.ddb.on(QueryCommand).resolves({ Items: [] });
    const lobbyTask = taskArn('00000000000000000000000000000f01');
    const batch: DynamoDBStreamEvent = {
      Records: [
        insertRecord('1', registration(NEW_ONE, 'chat')),
        insertRecord('2', { pk: NEW_ONE, sk: 'SESSION#s-1', sessionId: 's-1', openedAt: 1_763_719_195, expiresAt: 1_763_805_595 }),
        insertRecord('3', registration(lobbyTask, 'lobby')),
        insertRecord('4', registration(NEW_TWO, 'chat')),
        insertRecord('5', registration(taskArn('00000000000000000000000000000b01', 'batch'), 'chat', OTHER_CLUSTER_ARN)),
      ],
    };

    // act
    const response = await createHandler(t.getDeps)(batch);

    // assert
    expect(response).toEqual({ batchItemFailures: [] });
    expect(t.mocks.ecs.commandCalls(DescribeServicesCommand).map((call) => call.args[0].input)).toEqual([
      { cluster: CLUSTER_ARN, services: ['chat'] },
      { cluster: CLUSTER_ARN, services: ['lobby'] },
    ]);
    expect(t.mocks.ecs.commandCalls(ListTasksCommand).map((call) => call.args[0].input)).toEqual([
      { cluster: CLUSTER_ARN, serviceName: 'chat', desiredStatus: 'RUNNING' },
      { cluster: CLUSTER_ARN, serviceName: 'lobby', desiredStatus: 'RUNNING' },
    ]);
    expect(t.mocks.ddb.commandCalls(TransactWriteCommand)).toHaveLength(0);
    expect(t.spies.publish).toHaveBeenCalledTimes(1);
  });

  it('reads no registry item for a service whose one deployment started every task: nothing can leave', async () => {
    // prepare
    const t = handlerTestDeps();
    t.mocks.ecs.on(DescribeServicesCommand).resolves({
      services: [rollingService({ deployments: [{ id: NEW_DEPLOYMENT, status: 'PRIMARY', taskDefinition: NEW_REVISION, rolloutState: 'COMPLETED' }] })],
      failures: [],
    });

    // act
    const fromStream = await createHandler(t.getDeps)({ Records: [insertRecord('1', registration(NEW_ONE, 'chat'))] });
    const fromEcs = await createHandler(t.getDeps)(newTaskRunning());

    // assert
    expect(fromStream).toEqual({ batchItemFailures: [] });
    expect(fromEcs).toMatchObject({ status: 'done', result: { deploymentId: NEW_DEPLOYMENT, leaving: 0, drainsStarted: [], passes: 0 } });
    expect(t.mocks.ecs.commandCalls(DescribeServicesCommand)).toHaveLength(2);
    expect(t.mocks.ecs.calls()).toHaveLength(2);
    expect(t.mocks.ddb.calls()).toHaveLength(0);
  });

  it('fails the batch when pacing fails, so that the mapping retries it', async () => {
    const t = handlerTestDeps();
    oneSpare(t);
    t.mocks.ddb.on(QueryCommand).rejects(Object.assign(new Error('Throughput exceeds the current capacity'), { name: 'ProvisionedThroughputExceededException' }));

    await expect(createHandler(t.getDeps)({ Records: [insertRecord('1', registration(NEW_ONE, 'chat'))] })).rejects.toThrow('Throughput exceeds the current capacity');

    expect(t.mocks.sfn.calls()).toHaveLength(0);
    expect(t.spies.publish).toHaveBeenCalledTimes(1);
  });
});

describe('DeploymentPacerFunction: events it cannot use', () => {
  it.each([
    ['a standalone task (group "family:...")', newTaskRunning({ group: 'family:chat' }), 'is not a service\'s'],
    ['a task still PENDING', newTaskRunning({ lastStatus: 'PENDING' }), 'not RUNNING'],
    ['a Fargate Spot warning (desiredStatus STOPPED)', fargateSpotWarning(), 'not RUNNING'],
    ['a task that stopped', newTaskRunning({ lastStatus: 'STOPPED', desiredStatus: 'STOPPED' }), 'not RUNNING'],
    ['a RUNNING task in a cluster out of scope', newTaskRunning({ clusterArn: OTHER_CLUSTER_ARN, taskArn: taskArn('00000000000000000000000000000b02', 'batch') }), 'not in scope'],
  ])('rejects %s: one log line with the reason, no AWS call', async (_name, event, reason) => {
    const t = handlerTestDeps();

    const outcome = await createHandler(t.getDeps)(event);

    expect(outcome).toEqual({ status: 'rejected', reason: expect.stringContaining(reason) });
    expect(sdkCallCount(t)).toBe(0);
    expect(t.spies.warn).toHaveBeenCalledTimes(1);
    expect(t.spies.warn).toHaveBeenCalledWith('event rejected', { reason: expect.stringContaining(reason) });
    expect(t.spies.error).not.toHaveBeenCalled();
    expect(countedMetrics(t)).toEqual(['EventsRejected']);
  });

  it('rejects a foreign event that carries a Records array (an S3 notification): one log line, no AWS call', async () => {
    const t = handlerTestDeps();
    const s3Notification = {
      Records: [{ eventVersion: '2.1', eventSource: 'aws:s3', awsRegion: 'us-east-1', eventTime: '2026-11-21T09:59:50Z', eventName: 'ObjectCreated:Put', s3: { bucket: { name: 'b' }, object: { key: 'k' } } }],
    };

    const outcome = await createHandler(t.getDeps)(s3Notification);

    expect(outcome).toEqual({ status: 'rejected', reason: expect.any(String) });
    expect(sdkCallCount(t)).toBe(0);
    expect(t.spies.warn.mock.calls.length + t.spies.error.mock.calls.length).toBe(1);
    expect(countedMetrics(t)).toEqual(['EventsRejected']);
  });
});

describe('deployments the pacer leaves alone', () => {
  it.each<[string, Partial<Service>, string]>([
    ['a CODE_DEPLOY controller', { deploymentController: { type: 'CODE_DEPLOY' } }, 'uses the CODE_DEPLOY deployment controller'],
    ['an EXTERNAL controller', { deploymentController: { type: 'EXTERNAL' } }, 'uses the EXTERNAL deployment controller'],
  ])('ignores a service with %s: one log line, the DeploymentsNotPaced metric, nothing read beyond the service, its lease given back', async (_name, service, reason) => {
    // prepare
    const t = handlerTestDeps();
    oneSpare(t);
    t.mocks.ecs.on(DescribeServicesCommand).resolves({ services: [rollingService(service)], failures: [] });

    // act
    const outcome = await createHandler(t.getDeps)(newTaskRunning());

    // assert
    expect(outcome).toEqual({ status: 'rejected', reason: expect.stringContaining(reason) });
    expect(t.mocks.ecs.calls().map((call) => call.args[0].input)).toEqual([{ cluster: CLUSTER_ARN, services: ['chat'] }]);
    // Refused before the lease: a service of another controller costs no registry write.
    expect(t.mocks.ddb.calls()).toEqual([]);
    expect(sdkCallCount(t)).toBe(1);
    expect(t.spies.warn).toHaveBeenCalledTimes(1);
    expect(t.spies.warn).toHaveBeenCalledWith('event rejected', { reason: expect.stringContaining(reason) });
    expect(countedMetrics(t)).toEqual(['DeploymentsNotPaced', 'EventsRejected']);
  });

  it('ignores the deployment event of a CODE_DEPLOY service the same way', async () => {
    const t = handlerTestDeps();
    oneSpare(t);
    t.mocks.ecs.on(DescribeServicesCommand).resolves({ services: [rollingService({ deploymentController: { type: 'CODE_DEPLOY' } })], failures: [] });

    const outcome = await deploymentHandler(t.getDeps)(deploymentEvent({ deploymentId: NEW_DEPLOYMENT }));

    expect(outcome).toEqual({ status: 'rejected', reason: expect.stringContaining('uses the CODE_DEPLOY deployment controller') });
    expect(t.mocks.ecs.calls().map((call) => call.args[0].input)).toEqual([{ cluster: CLUSTER_ARN, services: [SERVICE_ARN] }]);
    expect(t.mocks.ddb.calls()).toEqual([]);
    expect(t.spies.warn).toHaveBeenCalledTimes(1);
    expect(countedMetrics(t)).toEqual(['DeploymentsNotPaced', 'EventsRejected']);
  });

  it.each(['BLUE_GREEN', 'LINEAR', 'CANARY'])(
    'releases no drain and unprotects no task of a %s deployment: its old tasks are drained at the lifecycle hook',
    async (strategy) => {
      // prepare: one old task would be spare, and one the registry does not know, under a rolling update
      const t = handlerTestDeps();
      const unknownOld = taskArn('0000000000000000000000000000dead');
      arrangePacing(t, {
        service: { deploymentConfiguration: { minimumHealthyPercent: 100, maximumPercent: 200, strategy } as never },
        tasks: [oldTask(OLD_BUSY), oldTask(OLD_IDLE), oldTask(unknownOld), newTask(NEW_ONE)],
        indexed: [registryItem(OLD_BUSY, { sessionCount: 4 }), registryItem(OLD_IDLE, { sessionCount: 1 }), registryItem(NEW_ONE)],
        paceVersion: 6,
      });

      // act
      const outcome = await createHandler(t.getDeps)(newTaskRunning());

      // assert
      expect(t.mocks.ddb.calls().map((call) => call.args[0].input)).toEqual([takeLeaseInput(), paceReadInput(), serviceTasksQueryInput(), consistentBatchReadInput([OLD_BUSY, OLD_IDLE, NEW_ONE]), releaseLeaseInput()]);
      expect(t.mocks.ecs.commandCalls(UpdateTaskProtectionCommand)).toHaveLength(0);
      expect(t.mocks.sfn.calls()).toHaveLength(0);
      expect(outcome).toEqual({
        status: 'done',
        result: {
          serviceName: 'chat',
          deploymentId: NEW_DEPLOYMENT,
          leaving: 3,
          serving: 3,
          minServing: 2,
          waitingForTargets: false,
          drainsStarted: [],
          held: [OLD_IDLE, OLD_BUSY],
          cancelled: [],
          restored: [],
          released: [],
          passes: 1,
        },
      });
      expect(countedMetrics(t)).toEqual([]);
    },
  );
});
