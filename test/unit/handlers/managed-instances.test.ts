import { DescribeContainerInstancesCommand, ListTasksCommand, UpdateServiceCommand, UpdateTaskProtectionCommand } from '@aws-sdk/client-ecs';
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { createHandler } from '../../../functions/handlers/container-instance-draining.js';
import { CLUSTER_ARN, taskArn } from '../../support/deps.js';
import { CONTAINER_INSTANCE_ARN, containerInstanceStateChange } from '../../support/ecs-events.js';
import { handlerTestDeps, startedDrainInputs } from './handler-harness.js';
import { getTaskInput, registryItem } from './fixtures.js';

/*
 * ECS Managed Instances replace their instances themselves: ECS "initiates draining at day 14 from
 * instance launch" (AWS Batch User Guide, ecs-managed-instances-instance-draining.html), setting the
 * container instance DRAINING (container-instance-draining.html). The orchestrator sees that as any
 * DRAINING container instance: README "Auto Scaling lifecycle hooks and EC2 capacity that leaves on
 * a schedule".
 */
const busy = taskArn('000000000000000000000000000000b7');
const quiet = taskArn('000000000000000000000000000000a7');

describe('an ECS Managed Instances planned drain (the instance set DRAINING by ECS at day 14)', () => {
  it('drains the session-holding tasks session-aware, without raising any desired count, since ECS replaces them', async () => {
    const t = handlerTestDeps();
    t.mocks.ecs.on(DescribeContainerInstancesCommand).resolves({ containerInstances: [{ containerInstanceArn: CONTAINER_INSTANCE_ARN, status: 'DRAINING' }] });
    t.mocks.ecs.on(ListTasksCommand).resolves({ taskArns: [busy, quiet] });
    t.mocks.ecs.on(UpdateTaskProtectionCommand).resolves({ protectedTasks: [], failures: [] });
    t.mocks.ddb.on(GetCommand, getTaskInput(busy)).resolves({ Item: registryItem(busy, { sessionCount: 6 }) });
    t.mocks.ddb.on(GetCommand, getTaskInput(quiet)).resolves({ Item: registryItem(quiet, { sessionCount: 0 }) });
    t.mocks.ddb.on(UpdateCommand).resolves({});
    t.mocks.sfn.on(StartExecutionCommand).resolves({});

    const outcome = await createHandler(t.getDeps)(containerInstanceStateChange());

    expect(startedDrainInputs(t)).toEqual([
      expect.objectContaining({ cluster: CLUSTER_ARN, taskArn: busy, reason: 'INSTANCE', ecsReplacesTask: true }),
      expect.objectContaining({ cluster: CLUSTER_ARN, taskArn: quiet, reason: 'INSTANCE', ecsReplacesTask: true }),
    ]);
    expect(t.mocks.ecs.commandCalls(UpdateServiceCommand)).toHaveLength(0);
    expect(outcome).toMatchObject({ status: 'done', result: { drainsStarted: [busy, quiet], released: [] } });
  });
});
