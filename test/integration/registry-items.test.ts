import { DescribeTasksCommand, ListServicesCommand, UpdateTaskProtectionCommand } from '@aws-sdk/client-ecs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, NumberValue, PutCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { runReconciler } from '../../functions/handlers/reconciler.js';
import type { Deps } from '../../functions/shared/deps.js';
import { REGISTRY_TRANSLATE_CONFIG } from '../../functions/shared/document-client.js';
import { motoClientConfig, uniqueName } from '../support/aws.js';
import { CLUSTER_ARN, makeTestDeps, NOW, taskArn } from '../support/deps.js';
import { createRegistryTable } from '../support/registry-table.js';

/*
 * Registry writes a buggy task might make, against real DynamoDB conditions (moto). The writes are
 * the contract's, spelled out as README "How a task integrates" documents them, so this checks the
 * contract rather than one client library of it.
 */

const NOW_SECONDS = Math.floor(NOW.getTime() / 1000);

describe('registry items a buggy task writes (moto)', () => {
  let ddb: DynamoDBDocumentClient;
  let tableName: string;

  beforeEach(async () => {
    const table = await createRegistryTable('registry-items');
    ddb = table.ddb;
    tableName = table.tableName;
  });

  const key = (task: string, sk = 'TASK') => ({ pk: task, sk });

  async function register(task: string): Promise<void> {
    await ddb.send(
      new UpdateCommand({
        TableName: tableName,
        Key: key(task),
        UpdateExpression:
          'SET taskArn = :task, clusterArn = :cluster, serviceTask = :serviceTask, heartbeatAt = :now, serviceName = :service, ' +
          'sessionCount = if_not_exists(sessionCount, :zero), #status = if_not_exists(#status, :active)',
        ConditionExpression: 'attribute_not_exists(pk) OR #status <> :stopped',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':task': task, ':cluster': CLUSTER_ARN, ':serviceTask': `chat#${task}`, ':now': NOW_SECONDS, ':service': 'chat',
          ':zero': 0, ':active': 'ACTIVE', ':stopped': 'STOPPED',
        },
      }),
    );
  }

  function openSession(task: string, sessionId: string) {
    return ddb.send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName: tableName, Item: { ...key(task, `SESSION#${sessionId}`), sessionId }, ConditionExpression: 'attribute_not_exists(pk)' } },
          {
            Update: {
              TableName: tableName, Key: key(task), UpdateExpression: 'ADD sessionCount :one SET heartbeatAt = :now',
              ConditionExpression: 'attribute_exists(pk) AND #status = :active', ExpressionAttributeNames: { '#status': 'status' },
              ExpressionAttributeValues: { ':one': 1, ':now': NOW_SECONDS, ':active': 'ACTIVE' },
            },
          },
        ],
      }),
    );
  }

  function closeSession(task: string, sessionId: string) {
    return ddb.send(
      new TransactWriteCommand({
        TransactItems: [
          { Delete: { TableName: tableName, Key: key(task, `SESSION#${sessionId}`), ConditionExpression: 'attribute_exists(pk)' } },
          {
            Update: {
              TableName: tableName, Key: key(task), UpdateExpression: 'ADD sessionCount :minusOne SET heartbeatAt = :now',
              ConditionExpression: 'attribute_exists(pk) AND sessionCount > :zero',
              ExpressionAttributeValues: { ':minusOne': -1, ':zero': 0, ':now': NOW_SECONDS },
            },
          },
        ],
      }),
    );
  }

  async function item(task: string, sk = 'TASK'): Promise<Record<string, unknown> | undefined> {
    return (await ddb.send(new GetCommand({ TableName: tableName, Key: key(task, sk), ConsistentRead: true }))).Item;
  }

  describe('what the contract\'s conditions refuse', () => {
    it('never lets the count go below zero, even when a session item exists that was never counted', async () => {
      const task = taskArn(uniqueName('never-negative'));
      await register(task);
      // The buggy part: a session item put on its own, without the count's half of the transaction.
      await ddb.send(new PutCommand({ TableName: tableName, Item: { ...key(task, 'SESSION#s1'), sessionId: 's1' } }));

      await expect(closeSession(task, 's1')).rejects.toMatchObject({ name: 'TransactionCanceledException' });
      await expect(closeSession(task, 'never-opened')).rejects.toMatchObject({ name: 'TransactionCanceledException' });

      expect((await item(task))?.sessionCount).toBe(0);
      expect(await item(task, 'SESSION#s1')).toBeDefined();
    });

    it('counts a session closed twice only once', async () => {
      const task = taskArn(uniqueName('close-twice'));
      await register(task);
      await openSession(task, 's1');
      await openSession(task, 's2');

      await closeSession(task, 's1');
      await expect(closeSession(task, 's1')).rejects.toMatchObject({ name: 'TransactionCanceledException' });

      expect((await item(task))?.sessionCount).toBe(1);
    });

    it('refuses a session on a DRAINING task, a new registration of a STOPPED one and a heartbeat of an unknown one', async () => {
      const draining = taskArn(uniqueName('draining'));
      const stopped = taskArn(uniqueName('stopped'));
      const unknown = taskArn(uniqueName('unknown'));
      await register(draining);
      await register(stopped);
      await ddb.send(new UpdateCommand({ TableName: tableName, Key: key(draining), UpdateExpression: 'SET #s = :s', ExpressionAttributeNames: { '#s': 'status' }, ExpressionAttributeValues: { ':s': 'DRAINING' } }));
      await ddb.send(new UpdateCommand({ TableName: tableName, Key: key(stopped), UpdateExpression: 'SET #s = :s', ExpressionAttributeNames: { '#s': 'status' }, ExpressionAttributeValues: { ':s': 'STOPPED' } }));

      await expect(openSession(draining, 's1')).rejects.toMatchObject({ name: 'TransactionCanceledException' });
      await expect(register(stopped)).rejects.toMatchObject({ name: 'ConditionalCheckFailedException' });
      await expect(
        ddb.send(new UpdateCommand({ TableName: tableName, Key: key(unknown), UpdateExpression: 'SET heartbeatAt = :now', ConditionExpression: 'attribute_exists(pk)', ExpressionAttributeValues: { ':now': NOW_SECONDS } })),
      ).rejects.toMatchObject({ name: 'ConditionalCheckFailedException' });

      expect(await item(draining)).toMatchObject({ status: 'DRAINING', sessionCount: 0 });
      expect(await item(stopped)).toMatchObject({ status: 'STOPPED' });
      expect(await item(unknown)).toBeUndefined();
      expect(await item(draining, 'SESSION#s1')).toBeUndefined();
    });
  });

  describe('what no condition can refuse: a task updating its own item directly', () => {
    let deps: Deps;
    let warn: ReturnType<typeof vi.spyOn>;
    let mocks: ReturnType<typeof makeTestDeps>['mocks'];

    beforeEach(() => {
      const made = makeTestDeps({ config: { tableName } });
      // The orchestrator's own client configuration (functions/shared/clients.ts).
      deps = { ...made.deps, ddb: DynamoDBDocumentClient.from(new DynamoDBClient(motoClientConfig()), REGISTRY_TRANSLATE_CONFIG) };
      mocks = made.mocks;
      warn = vi.spyOn(deps.logger, 'warn');
      mocks.ecs.on(ListServicesCommand).resolves({ serviceArns: [] });
      mocks.ecs.on(UpdateTaskProtectionCommand).callsFake((input: { tasks: string[] }) => ({
        protectedTasks: input.tasks.map((task) => ({ taskArn: task, protectionEnabled: true, expirationDate: new Date(NOW.getTime() + 48 * 3600_000) })),
        failures: [],
      }));
    });

    it.each([
      ['a negative count', 'SET sessionCount = :value', -3],
      ['an unknown status', 'SET #status = :value', 'PAUSED'],
      ['a count written as a string', 'SET sessionCount = :value', '5'],
      ['a count of 2^63', 'SET sessionCount = :value', 2n ** 63n],
      ['a count of 1.5e20, which no JavaScript number holds exactly', 'SET sessionCount = :value', NumberValue.from('1.5e20')],
    ])('the write of %s succeeds, and the reconciler leaves that item alone while it repairs the others', async (_label, expression, value) => {
      const buggy = taskArn(uniqueName('buggy'));
      const healthy = taskArn(uniqueName('healthy'));
      for (const task of [buggy, healthy]) {
        await register(task);
        await openSession(task, 's1');
      }
      await ddb.send(
        new UpdateCommand({
          TableName: tableName, Key: key(buggy), UpdateExpression: expression,
          ...(expression.includes('#status') ? { ExpressionAttributeNames: { '#status': 'status' } } : {}),
          ExpressionAttributeValues: { ':value': value },
        }),
      );
      mocks.ecs.on(DescribeTasksCommand).resolves({
        tasks: [buggy, healthy].map((task) => ({ taskArn: task, lastStatus: 'RUNNING', desiredStatus: 'RUNNING' })),
        failures: [],
      });

      const summary = await runReconciler(deps);

      // Both hold a session and have no recorded protection: only the healthy one is protected.
      expect(mocks.ecs.commandCalls(UpdateTaskProtectionCommand).map((call) => call.args[0].input.tasks)).toEqual([[healthy]]);
      expect(summary).toMatchObject({ protectionRenewed: 1, failed: 0 });
      expect((warn.mock.calls as unknown[][]).filter(([message]) => message === 'registry item ignored: it breaks the registry contract')).toEqual([
        ['registry item ignored: it breaks the registry contract', { taskArn: buggy, clusterArn: CLUSTER_ARN, reason: expect.any(String) }],
      ]);
      const stored = await deps.ddb.send(new GetCommand({ TableName: tableName, Key: key(buggy), ConsistentRead: true }));
      expect(stored.Item).not.toHaveProperty('protectionState');
    });

    it('reads an item with a number JavaScript cannot hold without failing the whole cluster query', async () => {
      const buggy = taskArn(uniqueName('huge'));
      await register(buggy);
      await ddb.send(new UpdateCommand({ TableName: tableName, Key: key(buggy), UpdateExpression: 'SET sessionCount = :huge', ExpressionAttributeValues: { ':huge': NumberValue.from('1.5e20') } }));
      const query = new QueryCommand({
        TableName: tableName, IndexName: 'ByCluster', KeyConditionExpression: 'clusterArn = :cluster', ExpressionAttributeValues: { ':cluster': CLUSTER_ARN },
      });

      // The SDK's default reading (the test table's client) fails the query for every task of the cluster.
      await expect(ddb.send(query)).rejects.toThrow(/BigInt/);
      expect((await deps.ddb.send(query)).Items).toEqual([expect.objectContaining({ pk: buggy, sessionCount: '1.5e20' })]);
    });
  });
});
