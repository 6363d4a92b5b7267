import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { claimPacedDrains, readPaceVersion } from '../../../../functions/core/deployments/pace-claims.js';
import { paceKey } from '../../../../functions/registry/pace/items.js';
import { CLUSTER_ARN, makeTestDeps, NOW, TABLE_NAME, taskArn } from '../../../support/deps.js';
import { registryItem } from '../../handlers/fixtures.js';

const SERVICE = { clusterArn: CLUSTER_ARN, serviceName: 'chat' };
const PACE_KEY = { pk: `SERVICE#${CLUSTER_ARN}#chat`, sk: 'PACE' };

function cancelled(): TransactionCanceledException {
  return new TransactionCanceledException({ message: 'Transaction cancelled', $metadata: {}, CancellationReasons: [{ Code: 'ConditionalCheckFailed' }] });
}

type TransactInput = { TransactItems: { Update: { Key: Record<string, unknown>; ConditionExpression: string; ExpressionAttributeValues: Record<string, unknown> } }[] };

describe('paceKey', () => {
  it('keeps one pace item per service, next to its capacity item', () => {
    expect(paceKey(CLUSTER_ARN, 'chat')).toEqual(PACE_KEY);
  });
});

describe('readPaceVersion', () => {
  it('reads the pace version consistently: undefined while no item exists, and for an item that holds no version yet', async () => {
    // prepare
    const { deps, mocks } = makeTestDeps();
    mocks.ddb.on(GetCommand).resolvesOnce({}).resolvesOnce({ Item: { ...PACE_KEY, version: 12 } }).resolvesOnce({ Item: { ...PACE_KEY } });

    // act
    const versions = [await readPaceVersion(deps, CLUSTER_ARN, 'chat'), await readPaceVersion(deps, CLUSTER_ARN, 'chat'), await readPaceVersion(deps, CLUSTER_ARN, 'chat')];

    // assert
    expect(versions).toEqual([undefined, 12, undefined]);
    expect(mocks.ddb.commandCalls(GetCommand)[0]?.args[0].input).toEqual({ TableName: TABLE_NAME, Key: PACE_KEY, ConsistentRead: true });
  });
});

describe('claimPacedDrains', () => {
  const items = Array.from({ length: 100 }, (_, index) => registryItem(taskArn(index.toString(16).padStart(32, '0')), { drainAttempt: index === 0 ? 4 : undefined }));

  it('claims at most 99 drains per transaction, each moving the pace version on from the one before', async () => {
    // prepare
    const { deps, mocks } = makeTestDeps();
    mocks.ddb.on(TransactWriteCommand).resolves({});

    // act
    const result = await claimPacedDrains(deps, SERVICE, 3, items);

    // assert
    const transactions = mocks.ddb.commandCalls(TransactWriteCommand).map((call) => call.args[0].input as TransactInput);
    expect(transactions.map((input) => input.TransactItems.length)).toEqual([100, 2]);
    expect(transactions.map((input) => input.TransactItems[0]?.Update)).toEqual([
      {
        TableName: TABLE_NAME,
        Key: PACE_KEY,
        UpdateExpression: 'SET version = :next, updatedAt = :now',
        ConditionExpression: 'version = :current',
        ExpressionAttributeValues: { ':next': 4, ':now': NOW.toISOString(), ':current': 3 },
      },
      {
        TableName: TABLE_NAME,
        Key: PACE_KEY,
        UpdateExpression: 'SET version = :next, updatedAt = :now',
        ConditionExpression: 'version = :current',
        ExpressionAttributeValues: { ':next': 5, ':now': NOW.toISOString(), ':current': 4 },
      },
    ]);
    expect(transactions[1]?.TransactItems[1]?.Update.Key).toEqual({ pk: items[99]?.taskArn, sk: 'TASK' });
    expect(result.moved).toBe(false);
    expect(result.claimed).toHaveLength(100);
    expect(result.claimed[0]).toMatchObject({
      attempt: 5,
      executionName: 'drain-00000000000000000000000000000000-5',
      executionArn: 'arn:aws:states:us-east-1:111122223333:execution:SessionDrain:drain-00000000000000000000000000000000-5',
    });
    expect(transactions[0]?.TransactItems[1]?.Update.ExpressionAttributeValues).toMatchObject({ ':attempt': 5, ':previous': 4 });
  });

  it('stops at the first cancelled transaction and reports that the state moved, keeping the claims already made', async () => {
    const { deps, mocks } = makeTestDeps();
    mocks.ddb.on(TransactWriteCommand).resolvesOnce({}).rejects(cancelled());

    const result = await claimPacedDrains(deps, SERVICE, undefined, items);

    expect(result.moved).toBe(true);
    expect(result.claimed.map((claim) => claim.item.taskArn)).toEqual(items.slice(0, 99).map((item) => item.taskArn));
    const conditions = mocks.ddb.commandCalls(TransactWriteCommand).map((call) => (call.args[0].input as TransactInput).TransactItems[0]?.Update.ConditionExpression);
    expect(conditions).toEqual(['attribute_not_exists(version)', 'version = :current']);
  });

  it('rethrows every other failure, so that the caller is retried', async () => {
    const { deps, mocks } = makeTestDeps();
    mocks.ddb.on(TransactWriteCommand).rejects(Object.assign(new Error('Throughput exceeds the current capacity'), { name: 'ProvisionedThroughputExceededException' }));

    await expect(claimPacedDrains(deps, SERVICE, 1, items.slice(0, 1))).rejects.toThrow('Throughput exceeds the current capacity');
  });
});
