import { DynamoDBStreamsClient, GetRecordsCommand, GetShardIteratorCommand, DescribeStreamCommand } from '@aws-sdk/client-dynamodb-streams';
import { GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { pythonCommand } from '../../cloud/moto.js';
import { closeSession, openSession, registerTask } from '@ecs-session-drain/agent/registry';
import { taskKey } from '../../../functions/registry/model.js';
import { motoClientConfig } from '../../../test/support/aws.js';
import { createRegistryTable } from '../../../test/support/registry-table.js';

/**
 * local/moto_transactions.py replaces moto's whole-table backup in TransactWriteItems with one of
 * the items a transaction touches. These tests pin the semantics that must not change: a failed
 * transaction leaves no trace (items and stream), and a stream reader keeps seeing later writes.
 */
describe('moto DynamoDB with the launcher\'s fixes', () => {
  const taskArn = 'arn:aws:ecs:us-east-1:123456789012:task/sessions/aaaabbbbccccddddeeeeffff00001111';
  const clusterArn = 'arn:aws:ecs:us-east-1:123456789012:cluster/sessions';

  it('rolls a refused open back completely, and a stream reader still sees the writes after it', async () => {
    const registry = await createRegistryTable('tx');
    const writer = { ddb: registry.ddb, tableName: registry.tableName, now: () => new Date() };
    await registerTask(writer, { taskArn, clusterArn });
    await openSession(writer, taskArn, 'first');
    const streams = new DynamoDBStreamsClient(motoClientConfig());
    const stream = await streams.send(new DescribeStreamCommand({ StreamArn: registry.streamArn }));
    const shardId = stream.StreamDescription?.Shards?.[0]?.ShardId;
    const iterator = await streams.send(new GetShardIteratorCommand({ StreamArn: registry.streamArn, ShardId: shardId, ShardIteratorType: 'LATEST' }));
    await registry.ddb.send(new PutCommand({ TableName: registry.tableName, Item: { ...taskKey(taskArn), taskArn, clusterArn, sessionCount: 1, status: 'DRAINING' } }));

    const refused = await openSession(writer, taskArn, 'second');
    await closeSession(writer, taskArn, 'first');

    expect(refused).toBe('refused-not-active');
    const session = await registry.ddb.send(new GetCommand({ TableName: registry.tableName, Key: { pk: taskArn, sk: 'SESSION#second' } }));
    expect(session.Item).toBeUndefined();
    const records = await streams.send(new GetRecordsCommand({ ShardIterator: iterator.ShardIterator }));
    const changes = (records.Records ?? []).map((record) => `${record.eventName} ${record.dynamodb?.Keys?.sk?.S}`);
    expect(changes).toEqual(['MODIFY TASK', 'REMOVE SESSION#first', 'MODIFY TASK']);
    const task = await registry.ddb.send(new GetCommand({ TableName: registry.tableName, Key: taskKey(taskArn) }));
    expect(task.Item).toMatchObject({ sessionCount: 0, status: 'DRAINING' });
  });

  it('keeps a task\'s count equal to its session items under concurrent opens and refused closes, as DynamoDB\'s isolation does', async () => {
    const registry = await createRegistryTable('tx-concurrent');
    const writer = { ddb: registry.ddb, tableName: registry.tableName, now: () => new Date() };
    await registerTask(writer, { taskArn, clusterArn });

    // Closes of sessions that were never opened fail their condition and roll back while the
    // opens commit: a rollback must not restore a copy of the table taken before those commits.
    await Promise.all(
      Array.from({ length: 40 }, (_, index) => [openSession(writer, taskArn, `open-${index}`), closeSession(writer, taskArn, `never-${index}`)]).flat(),
    );

    const task = await registry.ddb.send(new GetCommand({ TableName: registry.tableName, Key: taskKey(taskArn), ConsistentRead: true }));
    const sessions = await registry.ddb.send(
      new QueryCommand({ TableName: registry.tableName, KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)', ExpressionAttributeValues: { ':pk': taskArn, ':prefix': 'SESSION#' } }),
    );
    expect(sessions.Items).toHaveLength(40);
    expect(task.Item?.sessionCount).toBe(40);
  });

  it('writes one INSERT record with the whole item when an update creates it, as DynamoDB does', async () => {
    const registry = await createRegistryTable('tx-insert');
    const writer = { ddb: registry.ddb, tableName: registry.tableName, now: () => new Date() };
    const streams = new DynamoDBStreamsClient(motoClientConfig());
    const stream = await streams.send(new DescribeStreamCommand({ StreamArn: registry.streamArn }));
    const shardId = stream.StreamDescription?.Shards?.[0]?.ShardId;
    const iterator = await streams.send(new GetShardIteratorCommand({ StreamArn: registry.streamArn, ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON' }));

    await registerTask(writer, { taskArn, clusterArn });

    const records = await streams.send(new GetRecordsCommand({ ShardIterator: iterator.ShardIterator }));
    expect((records.Records ?? []).map((record) => [record.eventName, record.dynamodb?.NewImage?.status?.S])).toEqual([['INSERT', 'ACTIVE']]);
  });

  it('runs every DynamoDB operation under the launcher\'s lock once all its fixes are installed', () => {
    // Concurrent UpdateItems that created one item each saw none, and one was lost (a drain's
    // replacement missing from the capacity item), when a later fix wrapped moto's unlocked
    // update_item. The race needs a loaded machine to show; the wrapping is checked directly.
    const check = [
      'import sys',
      `sys.path.insert(0, ${JSON.stringify(fileURLToPath(new URL('../..', import.meta.url)))})`,
      'import moto_launcher, moto_transactions',
      'moto_launcher.install_fixes()',
      'from moto.dynamodb.models import DynamoDBBackend',
      'class Spy:',
      '    entered = 0',
      '    def __enter__(self): Spy.entered += 1',
      '    def __exit__(self, *args): return False',
      'moto_transactions._operations_lock = Spy()',
      'unlocked = []',
      'for name in moto_transactions._SERIALISED_OPERATIONS:',
      '    before = Spy.entered',
      '    try: getattr(DynamoDBBackend, name)(None)',
      '    except Exception: pass',
      '    if Spy.entered == before: unlocked.append(name)',
      'print(",".join(unlocked) or "none")',
    ].join('\n');

    const run = spawnSync(pythonCommand(), ['-c', check], { encoding: 'utf8' });

    expect(run.stderr).toBe('');
    expect(run.stdout.trim()).toBe('none');
  });
});
