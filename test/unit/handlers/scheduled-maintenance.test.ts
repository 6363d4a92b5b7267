import { ListContainerInstancesCommand, ListTasksCommand } from '@aws-sdk/client-ecs';
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { createHandler } from '../../../functions/handlers/scheduled-maintenance.js';
import { CLUSTER_ARN, NOW, taskArn } from '../../support/deps.js';
import { CONTAINER_INSTANCE_ARN, EC2_INSTANCE_ID, scheduledRetirement } from '../../support/ecs-events.js';
import { handlerTestDeps, type HandlerTestDeps, startedDrainInputs } from './handler-harness.js';
import { getTaskInput, registryItem } from './fixtures.js';

const busy = taskArn('000000000000000000000000000000b1');

function arrange(t: HandlerTestDeps, inScope = true) {
  t.mocks.ecs.on(ListContainerInstancesCommand).resolves({ containerInstanceArns: inScope ? [CONTAINER_INSTANCE_ARN] : [] });
  t.mocks.ecs.on(ListTasksCommand).resolves({ taskArns: [busy] });
  t.mocks.ddb.on(GetCommand, getTaskInput(busy)).resolves({ Item: registryItem(busy, { sessionCount: 3 }) });
  t.mocks.ddb.on(UpdateCommand).resolves({});
  t.mocks.sfn.on(StartExecutionCommand).resolves({});
}


describe('EC2 scheduled maintenance (AWS Health)', () => {
  it('drains the tasks of a retiring instance ahead of the retirement, with its start as deadline and a replacement each', async () => {
    const t = handlerTestDeps();
    arrange(t);

    const outcome = await createHandler(t.getDeps)(scheduledRetirement());

    expect(t.mocks.ecs.commandCalls(ListContainerInstancesCommand)[0]!.args[0].input).toEqual({ cluster: CLUSTER_ARN, filter: `ec2InstanceId == ${EC2_INSTANCE_ID}` });
    expect(t.mocks.ecs.commandCalls(ListTasksCommand)[0]!.args[0].input).toEqual({ cluster: CLUSTER_ARN, containerInstance: CONTAINER_INSTANCE_ARN, desiredStatus: 'RUNNING' });
    expect(startedDrainInputs(t)).toEqual([{ cluster: CLUSTER_ARN, taskArn: busy, service: 'chat', reason: 'INSTANCE', deadline: '2026-11-21T12:00:00.000Z' }]);
    expect(outcome).toMatchObject({ status: 'done', result: { eventTypeCode: 'AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED', deadline: '2026-11-21T12:00:00.000Z', notInScope: [] } });
  });

  it('cuts a start further away than MAX_DRAIN_SECONDS to it', async () => {
    const t = handlerTestDeps();
    arrange(t);

    await createHandler(t.getDeps)(scheduledRetirement({ startTime: 'Sat, 05 Dec 2026 10:00:00 GMT' }));

    expect(startedDrainInputs(t)).toEqual([expect.objectContaining({ deadline: new Date(NOW.getTime() + 8 * 3600 * 1000).toISOString() })]);
  });

  it('drains at once when the maintenance already started', async () => {
    const t = handlerTestDeps();
    arrange(t);

    await createHandler(t.getDeps)(scheduledRetirement({ startTime: 'Sat, 21 Nov 2026 09:00:00 GMT' }));

    expect(startedDrainInputs(t)).toEqual([expect.objectContaining({ deadline: NOW.toISOString() })]);
  });

  it('leaves an instance no cluster in scope runs alone', async () => {
    const t = handlerTestDeps();
    arrange(t, false);

    const outcome = await createHandler(t.getDeps)(scheduledRetirement());

    expect(outcome).toEqual({ status: 'rejected', reason: expect.stringContaining('no EC2 instance of AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED') });
    expect(startedDrainInputs(t)).toEqual([]);
  });

  it.each([
    ['a closed event (the maintenance is over)', { statusCode: 'closed' }],
    ['a maintenance that leaves the instance running', { eventTypeCode: 'AWS_EC2_INSTANCE_NETWORK_MAINTENANCE_SCHEDULED' }],
    ['an issue, not a scheduled change', { eventTypeCategory: 'issue' }],
    ['a start that is no date', { startTime: 'soon' }],
  ])('refuses %s without an AWS call', async (_what, detail) => {
    const t = handlerTestDeps();
    arrange(t);

    const outcome = await createHandler(t.getDeps)(scheduledRetirement(detail));

    expect(outcome).toMatchObject({ status: 'rejected' });
    expect(t.mocks.ecs.calls()).toHaveLength(0);
  });
});
