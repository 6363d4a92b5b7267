import { DescribeServicesCommand, DescribeTasksCommand, ListTasksCommand } from '@aws-sdk/client-ecs';
import { DescribeExecutionCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { answerRollbackHook } from '../../../../functions/handlers/rollback-hook.js';
import { CLUSTER_ARN, STATE_MACHINE_ARN, taskArn } from '../../../support/deps.js';
import { SERVICE_ARN, SERVICE_NAME } from '../../../support/ecs-events.js';
import { awsError, getTaskInput, registryItem } from '../../handlers/fixtures.js';
import { countedMetrics, handlerTestDeps, sdkCallCount, type HandlerTestDeps } from '../../handlers/handler-harness.js';

/** The Lambda lifecycle hook at PRODUCTION_TRAFFIC_SHIFT that holds a blue/green rollback while green drains (functions/core/deployments/green-rollback.ts). */

const BLUE = 'ecs-svc/1111111111111111111';
const GREEN = 'ecs-svc/2222222222222222222';
const revision = (deploymentId: string) => `arn:aws:ecs:us-east-1:111122223333:service-revision/sessions/${SERVICE_NAME}/${deploymentId.replace('ecs-svc/', '')}`;
const busyGreen = taskArn('0000000000000000000000000000a7e1');
const idleGreen = taskArn('0000000000000000000000000000a7e2');
const blue = taskArn('000000000000000000000000000b1ue1');

function payload(weights: { green: number; blue: number }, hookDetails?: Record<string, unknown>) {
  return {
    executionId: 'f4fcae0f-9bec-41c6-ba87-0eaa0cef8af5',
    lifecycleStage: 'PRODUCTION_TRAFFIC_SHIFT',
    resourceArn: 'arn:aws:ecs:us-east-1:111122223333:service-deployment/sessions/chat/EZe5RNVLH6PPzHXINuP28',
    executionDetails: {
      serviceArn: SERVICE_ARN,
      targetServiceRevisionArn: revision(GREEN),
      testTrafficWeights: {},
      productionTrafficWeights: { [revision(GREEN)]: weights.green, [revision(BLUE)]: weights.blue },
    },
    ...(hookDetails === undefined ? {} : { hookDetails }),
  };
}

/** ECS during a rollback: blue is PRIMARY again, green's tasks still run. */
function arrangeRollback(t: HandlerTestDeps) {
  t.mocks.ecs.on(DescribeServicesCommand).resolves({
    services: [
      {
        serviceArn: SERVICE_ARN,
        serviceName: SERVICE_NAME,
        deploymentController: { type: 'ECS' },
        deploymentConfiguration: { strategy: 'BLUE_GREEN' },
        deployments: [
          { id: BLUE, status: 'PRIMARY', rolloutState: 'IN_PROGRESS' },
          { id: GREEN, status: 'ACTIVE', rolloutState: 'FAILED' },
        ],
      },
    ],
  });
  t.mocks.ecs.on(ListTasksCommand).resolves({ taskArns: [busyGreen, idleGreen, blue] });
  t.mocks.ecs.on(DescribeTasksCommand).resolves({
    tasks: [
      { taskArn: busyGreen, startedBy: GREEN, lastStatus: 'RUNNING', desiredStatus: 'RUNNING' },
      { taskArn: idleGreen, startedBy: GREEN, lastStatus: 'RUNNING', desiredStatus: 'RUNNING' },
      { taskArn: blue, startedBy: BLUE, lastStatus: 'RUNNING', desiredStatus: 'RUNNING' },
    ],
  });
  t.mocks.ddb.on(UpdateCommand).resolves({});
  t.mocks.sfn.on(StartExecutionCommand).resolves({});
  t.mocks.sfn.on(DescribeExecutionCommand).resolves({ status: 'SUCCEEDED' });
}

describe('the rollback hook at PRODUCTION_TRAFFIC_SHIFT', () => {
  it('answers SUCCEEDED at once while production traffic moves forward, without a call', async () => {
    const t = handlerTestDeps();

    const answer = await answerRollbackHook(t.deps, payload({ green: 100, blue: 0 }));

    expect(answer).toEqual({ hookStatus: 'SUCCEEDED' });
    expect(sdkCallCount(t)).toBe(0);
  });

  it('drains every green task when production is back on blue, and holds the rollback while one still drains', async () => {
    const t = handlerTestDeps();
    arrangeRollback(t);
    t.mocks.ddb
      .on(GetCommand, getTaskInput(busyGreen))
      .resolvesOnce({ Item: registryItem(busyGreen, { sessionCount: 4 }) })
      .resolves({ Item: registryItem(busyGreen, { sessionCount: 4, status: 'DRAINING', executionArn: 'x', drainReason: 'DEPLOYMENT' }) });
    t.mocks.ddb
      .on(GetCommand, getTaskInput(idleGreen))
      .resolvesOnce({ Item: registryItem(idleGreen) })
      .resolves({ Item: registryItem(idleGreen, { drainOutcome: 'DRAINED', executionArn: 'y', drainReason: 'DEPLOYMENT' }) });

    const answer = await answerRollbackHook(t.deps, payload({ green: 0, blue: 100 }));

    const starts = t.mocks.sfn.commandCalls(StartExecutionCommand).map((call) => call.args[0].input);
    expect(starts.map((input) => input.stateMachineArn)).toEqual([STATE_MACHINE_ARN, STATE_MACHINE_ARN]);
    const inputs = starts.map((input) => JSON.parse(input.input ?? '{}') as Record<string, unknown>);
    expect(inputs.map((input) => [input.taskArn, input.cluster, input.service, input.reason, input.ecsStopsTask]).sort()).toEqual(
      [
        [busyGreen, CLUSTER_ARN, SERVICE_NAME, 'DEPLOYMENT', true],
        [idleGreen, CLUSTER_ARN, SERVICE_NAME, 'DEPLOYMENT', true],
      ].sort(),
    );
    expect(answer).toEqual({ hookStatus: 'IN_PROGRESS', callBackDelay: 30, hookDetails: { greenDrainsStarted: true } });
  });

  it('starts no drain again on a later look, and lets ECS remove green once no green drain is pending', async () => {
    const t = handlerTestDeps();
    arrangeRollback(t);
    // The idle task's drain ended and it took sessions again as ACTIVE: it must not be drained a second time.
    t.mocks.ddb.on(GetCommand, getTaskInput(busyGreen)).resolves({ Item: registryItem(busyGreen, { status: 'DRAINING', drainOutcome: 'DRAINED', executionArn: 'x', drainReason: 'DEPLOYMENT' }) });
    t.mocks.ddb.on(GetCommand, getTaskInput(idleGreen)).resolves({ Item: registryItem(idleGreen, { drainOutcome: 'DRAINED', executionArn: 'y', drainReason: 'DEPLOYMENT' }) });

    const answer = await answerRollbackHook(t.deps, payload({ green: 0, blue: 100 }, { greenDrainsStarted: true }));

    expect(t.mocks.sfn.commandCalls(StartExecutionCommand)).toEqual([]);
    expect(t.mocks.ddb.commandCalls(UpdateCommand)).toEqual([]);
    expect(answer).toEqual({ hookStatus: 'SUCCEEDED' });
  });

  it('answers IN_PROGRESS, never an error, when ECS is throttled during a rollback: ECS asks again', async () => {
    const t = handlerTestDeps();
    t.mocks.ecs.on(DescribeServicesCommand).rejects(awsError('ThrottlingException', 'Rate exceeded'));

    const answer = await answerRollbackHook(t.deps, payload({ green: 0, blue: 100 }));

    expect(answer).toEqual({ hookStatus: 'IN_PROGRESS', callBackDelay: 30, hookDetails: {} });
    expect(t.mocks.sfn.calls()).toEqual([]);
  });

  it.each([
    ['a payload without executionDetails', { lifecycleStage: 'PRODUCTION_TRAFFIC_SHIFT', resourceArn: payload({ green: 0, blue: 100 }).resourceArn }],
    ['a service deployment ARN that is not one', { ...payload({ green: 0, blue: 100 }), resourceArn: 'arn:aws:ecs:us-east-1:111122223333:service/sessions/chat' }],
    ['a cluster outside CLUSTER_ARNS', { ...payload({ green: 0, blue: 100 }), executionDetails: { ...payload({ green: 0, blue: 100 }).executionDetails, serviceArn: 'arn:aws:ecs:us-east-1:111122223333:service/batch/chat' } }],
    ['not an object', 'PRODUCTION_TRAFFIC_SHIFT'],
  ])('lets the deployment go on (SUCCEEDED), logs one error and calls nothing for %s', async (_name, raw) => {
    const t = handlerTestDeps();

    const answer = await answerRollbackHook(t.deps, raw);

    expect(answer).toEqual({ hookStatus: 'SUCCEEDED' });
    expect(sdkCallCount(t)).toBe(0);
    expect(t.spies.error).toHaveBeenCalledTimes(1);
    expect(countedMetrics(t)).toEqual(['EventsRejected']);
  });
});
