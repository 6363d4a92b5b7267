import { readFileSync } from 'node:fs';
import { DescribeContainerInstancesCommand, DescribeServicesCommand, ListContainerInstancesCommand, ListTasksCommand } from '@aws-sdk/client-ecs';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { createHandler as containerInstanceDraining } from '../../../functions/handlers/container-instance-draining.js';
import { createHandler as deploymentEvent } from '../../../functions/handlers/deployment-event.js';
import { createHandler as deploymentPacer } from '../../../functions/handlers/deployment-pacer.js';
import { createHandler as lifecycleTerminate } from '../../../functions/handlers/lifecycle-terminate.js';
import { createHandler as rebalanceRecommendation } from '../../../functions/handlers/rebalance-recommendation.js';
import { createHandler as spotInterruption } from '../../../functions/handlers/spot-interruption.js';
import { createHandler as taskStopped } from '../../../functions/handlers/task-stopped.js';
import { NOW, STATE_MACHINE_ARN } from '../../support/deps.js';
import { handlerTestDeps, type HandlerTestDeps } from '../handlers/handler-harness.js';

/*
 * Issue 12: the sample events AWS publishes for each rule of template.yaml, verbatim in events/aws/
 * (events/aws/README.md says where each comes from), run through the handler of that rule. The
 * Fargate Spot sample names a task and its cluster but has no time, region or detail.version; the
 * EC2 samples carry placeholders. Each is acted on, or refused for what it is (not for its shape).
 */

function awsSample(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(new URL(`../../../events/aws/${name}`, import.meta.url), 'utf8')) as Record<string, unknown>;
}

const DEFAULT_EAST = 'arn:aws:ecs:us-east-1:111122223333:cluster/default';
const DEFAULT_WEST = 'arn:aws:ecs:us-west-2:111122223333:cluster/default';
const FARGATE_WEST = 'arn:aws:ecs:us-west-2:111122223333:cluster/FargateCluster';
const SPOT_TASK = 'arn:aws:ecs:us-east-1:111122223333:task/b99d40b3-5176-4f71-9a52-9dbd6fEXAMPLE';
const INSTANCE_TASK = 'arn:aws:ecs:us-east-1:111122223333:task/default/0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c';
/** Two minutes after the handler received a warning that does not say when it was sent. */
const SPOT_DEADLINE_FROM_RECEIPT = new Date(NOW.getTime() + 120_000).toISOString();

function samplesWorld(): HandlerTestDeps {
  const t = handlerTestDeps({ config: { clusterArns: [DEFAULT_EAST, DEFAULT_WEST, FARGATE_WEST] } });
  t.mocks.ddb.on(UpdateCommand).resolves({});
  t.mocks.ddb.on(QueryCommand).resolves({ Items: [] });
  t.mocks.ddb.on(GetCommand).callsFake((input: { Key: { pk: string } }) => ({
    Item: { pk: input.Key.pk, sk: 'TASK', taskArn: input.Key.pk, clusterArn: DEFAULT_EAST, serviceTask: `-#${input.Key.pk}`, sessionCount: 2, status: 'ACTIVE' },
  }));
  t.mocks.ddb
    .on(UpdateCommand, { ConditionExpression: 'attribute_exists(pk) AND #status = :active' })
    .callsFake((input: { Key: { pk: string } }) => ({
      Attributes: { pk: input.Key.pk, sk: 'TASK', taskArn: input.Key.pk, clusterArn: DEFAULT_EAST, sessionCount: 2, status: 'DRAINING' },
    }));
  t.mocks.sfn.on(StartExecutionCommand).resolves({});
  t.mocks.eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
  t.mocks.ecs.on(ListContainerInstancesCommand).resolves({ containerInstanceArns: [] });
  t.mocks.ecs
    .on(ListContainerInstancesCommand, { cluster: DEFAULT_EAST })
    .resolves({ containerInstanceArns: ['arn:aws:ecs:us-east-1:111122223333:container-instance/default/b54a2a04046f43319d743f6d7f6ca315'] });
  t.mocks.ecs.on(ListTasksCommand).resolves({ taskArns: [INSTANCE_TASK] });
  t.mocks.ecs.on(DescribeServicesCommand).resolves({ services: [] });
  return t;
}

function startedDrains(t: HandlerTestDeps) {
  return t.mocks.sfn.commandCalls(StartExecutionCommand).map((call) => ({ name: call.args[0].input.name, input: JSON.parse(call.args[0].input.input as string) as unknown }));
}

describe("AWS's published sample events, through the handler of their rule", () => {
  it('fargate-spot-termination-notice.json (no time, region or detail.version): the task drains two minutes from receipt', async () => {
    const t = samplesWorld();

    const outcome = await spotInterruption(t.getDeps)(awsSample('fargate-spot-termination-notice.json'));

    expect(outcome).toMatchObject({ status: 'done', result: { kind: 'fargate-spot', clusterArn: DEFAULT_EAST, notified: [SPOT_TASK], drainsStarted: [SPOT_TASK] } });
    expect(startedDrains(t)).toEqual([
      { name: 'drain-b99d40b3-5176-4f71-9a52-9dbd6fEXAMPLE-1', input: { cluster: DEFAULT_EAST, taskArn: SPOT_TASK, reason: 'SPOT', deadline: SPOT_DEADLINE_FROM_RECEIPT } },
    ]);
    expect(t.mocks.sfn.commandCalls(StartExecutionCommand)[0]!.args[0].input.stateMachineArn).toBe(STATE_MACHINE_ARN);
    const notice = JSON.parse(t.mocks.eventBridge.commandCalls(PutEventsCommand)[0]!.args[0].input.Entries![0]!.Detail!);
    expect(notice).toEqual({ clusterArn: DEFAULT_EAST, taskArn: SPOT_TASK, reason: 'SPOT', deadline: SPOT_DEADLINE_FROM_RECEIPT, sessionCount: 2 });
  });

  it('ec2-spot-instance-interruption-warning.json (time "yyyy-mm-ddThh:mm:ssZ", instance-action "action"): the instance\'s tasks drain two minutes from receipt', async () => {
    const t = samplesWorld();

    const outcome = await spotInterruption(t.getDeps)(awsSample('ec2-spot-instance-interruption-warning.json'));

    expect(t.mocks.ecs.commandCalls(ListContainerInstancesCommand).map((call) => call.args[0].input.filter)).toContain('ec2InstanceId == i-1234567890abcdef0');
    expect(outcome).toMatchObject({ status: 'done', result: { kind: 'ec2-spot', deadline: SPOT_DEADLINE_FROM_RECEIPT, drainsStarted: [INSTANCE_TASK] } });
    expect(startedDrains(t)).toEqual([expect.objectContaining({ input: expect.objectContaining({ taskArn: INSTANCE_TASK, reason: 'SPOT', deadline: SPOT_DEADLINE_FROM_RECEIPT }) })]);
  });

  it('ec2-rebalance-recommendation.json (time placeholder): the instance\'s tasks get INSTANCE drains', async () => {
    const t = samplesWorld();

    const outcome = await rebalanceRecommendation(t.getDeps)(awsSample('ec2-rebalance-recommendation.json'));

    expect(outcome).toMatchObject({ status: 'done', result: { clusterArn: DEFAULT_EAST, drainsStarted: [INSTANCE_TASK] } });
    expect(startedDrains(t)).toEqual([expect.objectContaining({ input: expect.objectContaining({ taskArn: INSTANCE_TASK, reason: 'INSTANCE' }) })]);
  });

  it('autoscaling-instance-terminate-lifecycle-action.json (time placeholder): the held instance\'s tasks get INSTANCE drains before it may go', async () => {
    const t = samplesWorld();
    t.mocks.ecs.on(DescribeContainerInstancesCommand).resolves({ containerInstances: [{ status: 'ACTIVE' }] });

    const outcome = await lifecycleTerminate(t.getDeps)(awsSample('autoscaling-instance-terminate-lifecycle-action.json'));

    expect(t.mocks.ecs.commandCalls(ListContainerInstancesCommand).map((call) => call.args[0].input.filter)).toContain('ec2InstanceId == i-1234567890abcdef0');
    expect(outcome).toMatchObject({ status: 'done', result: { instanceId: 'i-1234567890abcdef0', action: 'recorded', step: 'waiting', drains: { drainsStarted: [INSTANCE_TASK] } } });
    expect(startedDrains(t)).toEqual([expect.objectContaining({ input: expect.objectContaining({ taskArn: INSTANCE_TASK, reason: 'INSTANCE' }) })]);
  });

  it.each(['ecs-deployment-in-progress.json', 'ecs-deployment-rollback-in-progress.json', 'ecs-deployment-completed.json', 'ecs-deployment-failed.json'])(
    '%s: the pacer reads the service the event names',
    async (file) => {
      const t = samplesWorld();

      const outcome = await deploymentEvent(t.getDeps)(awsSample(file));

      expect(t.mocks.ecs.commandCalls(DescribeServicesCommand).map((call) => call.args[0].input)).toEqual([
        { cluster: DEFAULT_WEST, services: ['arn:aws:ecs:us-west-2:111122223333:service/default/servicetest'] },
      ]);
      // The sample service does not exist here: refused for that, after the read, not for its shape.
      expect(outcome).toEqual({ status: 'rejected', reason: expect.stringContaining('servicetest') });
    },
  );

  it('ecs-container-instance-state-change.json is an ACTIVE instance: refused for its status (the DRAINING rule never routes it)', async () => {
    const t = samplesWorld();

    const outcome = await containerInstanceDraining(t.getDeps)(awsSample('ecs-container-instance-state-change.json'));

    expect(outcome).toEqual({ status: 'rejected', reason: 'ECS Container Instance State Change: status is ACTIVE, not DRAINING' });
    expect(t.mocks.ecs.calls()).toHaveLength(0);
  });

  it('ecs-task-state-change.json is a RUNNING standalone task: refused by the pacer (no service), the Spot and the stop handlers', async () => {
    const event = awsSample('ecs-task-state-change.json');

    const answers = await Promise.all([deploymentPacer, spotInterruption, taskStopped].map((create) => create(samplesWorld().getDeps)(event)));

    expect(answers).toEqual([
      { status: 'rejected', reason: 'ECS Task State Change: group "family:sample-fargate" is not a service\'s' },
      { status: 'rejected', reason: 'ECS Task State Change: desiredStatus is RUNNING, not STOPPED' },
      { status: 'rejected', reason: 'ECS Task State Change: lastStatus is RUNNING, not STOPPED' },
    ]);
  });
});
