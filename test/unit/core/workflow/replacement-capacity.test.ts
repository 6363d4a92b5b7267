import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DescribeServicesCommand, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { launchReplacement, planDesiredCount } from '../../../../functions/core/workflow/replacement-capacity.js';
import { capacityKey } from '../../../../functions/registry/capacity/items.js';
import { CLUSTER_ARN, makeTestDeps, TABLE_NAME, taskArn } from '../../../support/deps.js';

const TASK = taskArn('abc123');
const KEY = capacityKey(CLUSTER_ARN, 'chat');

describe('planDesiredCount', () => {
  it('captures the base from ECS when the first replacement is asked for', () => {
    expect(planDesiredCount({}, 1, 4)).toEqual({ base: 4, target: 5, adopted: 0 });
  });

  it('adds the surge to the base it already holds', () => {
    expect(planDesiredCount({ baseCount: 4, appliedCount: 5, appliedFromCount: 4 }, 2, 5)).toEqual({ base: 4, target: 6, adopted: 0 });
  });

  it('adopts a scale-out someone else made into the base instead of overwriting it', () => {
    expect(planDesiredCount({ baseCount: 4, appliedCount: 6, appliedFromCount: 5 }, 1, 10)).toEqual({ base: 8, target: 9, adopted: 4 });
  });

  it('adopts a scale-in too, but never below zero', () => {
    expect(planDesiredCount({ baseCount: 1, appliedCount: 3, appliedFromCount: 2 }, 0, 0)).toEqual({ base: 0, target: 0, adopted: -3 });
  });

  it('treats ECS still at the count an apply replaced as an apply that never landed', () => {
    expect(planDesiredCount({ baseCount: 4, appliedCount: 6, appliedFromCount: 5 }, 2, 5)).toEqual({ base: 4, target: 6, adopted: 0 });
  });

  it('has nothing to do with an empty surge and no base', () => {
    expect(planDesiredCount({}, 0, 7)).toEqual({ adopted: 0 });
  });
});

describe('launchReplacement', () => {
  it('needs no replacement for a standalone task and changes nothing', async () => {
    const { deps, mocks } = makeTestDeps();

    const result = await launchReplacement(deps, { cluster: CLUSTER_ARN, taskArn: TASK });

    expect(result).toEqual({ changed: false, skipped: 'standalone-task' });
    expect(mocks.ddb.calls()).toHaveLength(0);
    expect(mocks.ecs.calls()).toHaveLength(0);
  });

  it('flags the task, joins the surge set once and raises the desired count by one', async () => {
    const { deps, mocks } = makeTestDeps();
    let item: Record<string, unknown> | undefined;
    // A one-item DynamoDB: enough to follow the capacity item through join, lock, apply and unlock.
    mocks.ddb.on(GetCommand).callsFake(() => ({ Item: item }));
    mocks.ddb.on(UpdateCommand).callsFake((input: { Key: { sk: string }; UpdateExpression: string; ExpressionAttributeValues: Record<string, unknown> }) => {
      const values = input.ExpressionAttributeValues;
      if (input.Key.sk !== 'CAPACITY') return {};
      if (input.UpdateExpression.includes('ADD surge')) {
        item = { ...KEY, clusterArn: CLUSTER_ARN, serviceName: 'chat', surge: new Set([TASK]), version: 1 };
        return { Attributes: { version: 1 } };
      }
      if (input.UpdateExpression.startsWith('SET lockOwner')) item = { ...item, lockOwner: values[':owner'] };
      if (input.UpdateExpression.startsWith('SET appliedVersion')) {
        item = { ...item, appliedVersion: values[':version'], baseCount: values[':base'], appliedCount: values[':applied'], appliedFromCount: values[':appliedFrom'] };
      }
      if (input.UpdateExpression.startsWith('REMOVE lockOwner')) item = { ...item, lockOwner: undefined };
      return {};
    });
    mocks.ecs.on(DescribeServicesCommand).resolves({ services: [{ serviceName: 'chat', status: 'ACTIVE', desiredCount: 4 }] });
    mocks.ecs.on(UpdateServiceCommand).resolves({});

    const result = await launchReplacement(deps, { cluster: CLUSTER_ARN, service: 'chat', taskArn: TASK });

    expect(result).toEqual({ changed: true, desiredCount: 5, surge: 1 });
    const updates = mocks.ddb.commandCalls(UpdateCommand).map((call) => call.args[0].input);
    expect(updates[0]).toEqual({
      TableName: TABLE_NAME,
      Key: { pk: TASK, sk: 'TASK' },
      UpdateExpression: 'SET replacementRequested = :requested',
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeValues: { ':requested': true },
    });
    expect(updates[1]).toEqual({
      TableName: TABLE_NAME,
      Key: KEY,
      UpdateExpression: 'SET clusterArn = :cluster, serviceName = :service, version = if_not_exists(version, :zero) + :one ADD surge :tasks',
      ConditionExpression: 'NOT contains(surge, :task)',
      ExpressionAttributeValues: { ':tasks': new Set([TASK]), ':task': TASK, ':one': 1, ':cluster': CLUSTER_ARN, ':service': 'chat', ':zero': 0 },
      ReturnValues: 'UPDATED_NEW',
    });
    expect(mocks.ecs.commandCalls(DescribeServicesCommand)[0]?.args[0].input).toEqual({ cluster: CLUSTER_ARN, services: ['chat'] });
    expect(mocks.ecs.commandCalls(UpdateServiceCommand)[0]?.args[0].input).toEqual({ cluster: CLUSTER_ARN, service: 'chat', desiredCount: 5 });
  });

  it('does not touch ECS again when a retried launch finds its task already counted and applied', async () => {
    const { deps, mocks } = makeTestDeps();
    mocks.ddb.on(UpdateCommand, { Key: KEY }).rejects(new ConditionalCheckFailedException({ message: 'no', $metadata: {} }));
    mocks.ddb.on(UpdateCommand, { Key: { pk: TASK, sk: 'TASK' } }).resolves({});
    mocks.ddb.on(GetCommand, { Key: KEY }).resolves({ Item: { ...KEY, surge: new Set([TASK]), version: 3, appliedVersion: 3, appliedCount: 5 } });

    const result = await launchReplacement(deps, { cluster: CLUSTER_ARN, service: 'chat', taskArn: TASK });

    expect(result).toEqual({ changed: false, desiredCount: 5, surge: 1 });
    expect(mocks.ecs.calls()).toHaveLength(0);
  });
});
