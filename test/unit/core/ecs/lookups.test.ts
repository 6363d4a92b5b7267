import { ListContainerInstancesCommand, ListTasksCommand } from '@aws-sdk/client-ecs';
import { describe, expect, it } from 'vitest';
import { listDrainingContainerInstances, listRunningTaskArns } from '../../../../functions/core/ecs/lookups.js';
import { RetryableEcsError } from '../../../../functions/shared/errors.js';
import { CLUSTER_ARN, makeTestDeps, taskArn } from '../../../support/deps.js';

const INSTANCE = 'arn:aws:ecs:us-east-1:111122223333:container-instance/sessions/0123456789abcdef0123456789abcdef';
const throttled = () => Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });

/* The listings that page: each page is asked with exactly the filter, and the token of the page before. */
describe('ECS lookups across pages', () => {
  it('lists the running tasks on an instance page by page', async () => {
    const { deps, mocks } = makeTestDeps();
    mocks.ecs
      .on(ListTasksCommand)
      .resolvesOnce({ taskArns: [taskArn('a'), taskArn('b')], nextToken: 'page-2' })
      .resolvesOnce({ taskArns: [taskArn('c')] });

    const arns = await listRunningTaskArns(deps, { clusterArn: CLUSTER_ARN, containerInstanceArn: INSTANCE });

    expect(arns).toEqual([taskArn('a'), taskArn('b'), taskArn('c')]);
    expect(mocks.ecs.commandCalls(ListTasksCommand).map((call) => call.args[0].input)).toStrictEqual([
      { cluster: CLUSTER_ARN, containerInstance: INSTANCE, desiredStatus: 'RUNNING' },
      { cluster: CLUSTER_ARN, containerInstance: INSTANCE, desiredStatus: 'RUNNING', nextToken: 'page-2' },
    ]);
  });

  it('lists the DRAINING container instances page by page', async () => {
    const { deps, mocks } = makeTestDeps();
    mocks.ecs
      .on(ListContainerInstancesCommand)
      .resolvesOnce({ containerInstanceArns: [INSTANCE], nextToken: 'page-2' })
      .resolvesOnce({ containerInstanceArns: [] });

    const arns = await listDrainingContainerInstances(deps, CLUSTER_ARN);

    expect(arns).toEqual([INSTANCE]);
    expect(mocks.ecs.commandCalls(ListContainerInstancesCommand).map((call) => call.args[0].input)).toStrictEqual([
      { cluster: CLUSTER_ARN, status: 'DRAINING' },
      { cluster: CLUSTER_ARN, status: 'DRAINING', nextToken: 'page-2' },
    ]);
  });

  it('rethrows a throttled page as RetryableEcsError, named after the call', async () => {
    const { deps, mocks } = makeTestDeps();
    mocks.ecs.on(ListTasksCommand).resolvesOnce({ taskArns: [taskArn('a')], nextToken: 'page-2' }).rejectsOnce(throttled());
    mocks.ecs.on(ListContainerInstancesCommand).rejects(throttled());

    const tasks = listRunningTaskArns(deps, { clusterArn: CLUSTER_ARN, serviceName: 'web' });
    const instances = listDrainingContainerInstances(deps, CLUSTER_ARN);

    await expect(tasks).rejects.toThrow(RetryableEcsError);
    await expect(tasks).rejects.toThrow('ListTasks: Rate exceeded');
    await expect(instances).rejects.toThrow('ListContainerInstances: Rate exceeded');
  });
});
