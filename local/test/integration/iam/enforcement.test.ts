import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteItemCommand, DynamoDBClient, ListTablesCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { ECSClient, ListTasksCommand, StopTaskCommand } from '@aws-sdk/client-ecs';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { capacityKey } from '../../../../functions/registry/capacity/items.js';
import { storeDrainWait, waitKey } from '../../../../functions/registry/tasks/waits.js';
import { closeSession, heartbeat, openSession, readTask, registerTask, type RegistryWriter } from '@ecs-session-drain/agent/registry';
import type { EcsResponse } from '../../../cloud/gateway.js';
import { type LocalCloud, startLocalCloud } from '../../../cloud/local-cloud.js';

/*
 * Issue 6, least privilege enforced: the local cloud runs every function under its template role
 * (SAM-expanded, in moto's IAM), moto enforces what it serves and the gateway what it serves, so
 * a call a role does not allow fails with AccessDeniedException as it would on AWS.
 */

const REGION = 'us-east-1';

interface Keys {
  AWS_ACCESS_KEY_ID?: string;
  AWS_SECRET_ACCESS_KEY?: string;
  AWS_SESSION_TOKEN?: string;
}

function logDir(): string {
  return mkdtempSync(join(tmpdir(), 'local-cloud-iam-'));
}

function errorOf(promise: Promise<unknown>): Promise<Error | undefined> {
  return promise.then(
    () => undefined,
    (error: unknown) => error as Error,
  );
}

describe('IAM enforcement in the local cloud', () => {
  let cloud: LocalCloud;
  const ecsCalls: string[] = [];
  const clientFor = (keys: Keys | { accessKeyId: string; secretAccessKey: string; sessionToken?: string }) => {
    const credentials =
      'accessKeyId' in keys
        ? keys
        : { accessKeyId: keys.AWS_ACCESS_KEY_ID ?? '', secretAccessKey: keys.AWS_SECRET_ACCESS_KEY ?? '', sessionToken: keys.AWS_SESSION_TOKEN ?? '' };
    return { endpoint: cloud.endpoint, region: REGION, credentials };
  };
  const functionKeys = (logicalId: string): Keys => cloud.iam?.functionEnvironments()[logicalId] ?? {};
  const interpreter = { accessKeyId: 'ak', secretAccessKey: 'sk' };
  const taskKey = (pk: string, sk = 'TASK') => ({ pk: { S: pk }, sk: { S: sk } });

  beforeAll(async () => {
    cloud = await startLocalCloud({
      iam: 'enforce',
      logDir: logDir(),
      startSchedules: false,
      ecs: async (target): Promise<EcsResponse> => {
        ecsCalls.push(target.split('.').pop() ?? target);
        return { status: 200, headers: { 'content-type': 'application/x-amz-json-1.1' }, body: '{}' };
      },
    });
  });

  afterAll(async () => {
    await cloud?.stop();
  });

  it('gives every function its own role session, named after the function', () => {
    const environments = cloud.iam?.functionEnvironments() ?? {};
    const keys = Object.values(environments).map((environment) => environment.AWS_ACCESS_KEY_ID);

    expect(Object.keys(environments).sort()).toEqual(Object.keys(cloud.stack.functions).sort());
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys.every((key) => key !== 'testing' && key !== undefined)).toBe(true);
  });

  it('lets moto refuse a DynamoDB call the role does not grant, and allow the one it grants', async () => {
    const ddb = new DynamoDBClient(clientFor(functionKeys('StopDrainedTaskFunction')));
    const key = taskKey('arn:aws:ecs:us-east-1:111122223333:task/sessions/iam-moto');

    // The role reads and updates task items (GetItem for a blue/green clean-up), and deletes nothing.
    const refused = await errorOf(ddb.send(new DeleteItemCommand({ TableName: cloud.stack.tableName, Key: key })));
    await ddb.send(new UpdateItemCommand({ TableName: cloud.stack.tableName, Key: key, UpdateExpression: 'SET heartbeatAt = :n', ExpressionAttributeValues: { ':n': { N: '1' } } }));

    expect(refused?.name).toBe('AccessDeniedException');
    expect(refused?.message).toContain(
      `assumed-role/ecs-session-drain-StopDrainedTaskFunctionRole/${cloud.stack.functions.StopDrainedTaskFunction?.name} is not authorized to perform: dynamodb:DeleteItem on resource: ${cloud.stack.tableArn}`,
    );
    ddb.destroy();
  });

  it('lets the gateway refuse an ECS call outside the role before the twin sees it', async () => {
    const ecs = new ECSClient(clientFor(functionKeys('StopDrainedTaskFunction')));
    ecsCalls.length = 0;

    await ecs.send(new StopTaskCommand({ cluster: 'sessions', task: 'arn:aws:ecs:us-east-1:111122223333:task/sessions/abc' }));
    const otherCluster = await errorOf(ecs.send(new StopTaskCommand({ cluster: 'elsewhere', task: 'arn:aws:ecs:us-east-1:111122223333:task/elsewhere/abc' })));
    const notGranted = await errorOf(ecs.send(new ListTasksCommand({ cluster: 'sessions' })));

    expect(otherCluster?.name).toBe('AccessDeniedException');
    expect(otherCluster?.message).toContain('ecs:StopTask on resource: arn:aws:ecs:us-east-1:111122223333:task/elsewhere/abc');
    expect(notGranted?.name).toBe('AccessDeniedException');
    expect(ecsCalls).toEqual(['StopTask']);
    expect(cloud.iam?.denials().map((denial) => denial.action)).toEqual(expect.arrayContaining(['ecs:StopTask', 'ecs:ListTasks']));
    ecs.destroy();
  });

  it("runs moto's Step Functions interpreter under the state machine's role", async () => {
    const ddb = new DynamoDBClient(clientFor(interpreter));
    const lambda = new LambdaClient(clientFor(interpreter));
    const key = taskKey('arn:aws:ecs:us-east-1:111122223333:task/sessions/iam-workflow');

    await ddb.send(new UpdateItemCommand({ TableName: cloud.stack.tableName, Key: key, UpdateExpression: 'SET heartbeatAt = :n', ExpressionAttributeValues: { ':n': { N: '1' } } }));
    const deleted = await errorOf(ddb.send(new DeleteItemCommand({ TableName: cloud.stack.tableName, Key: key })));
    const stepInvoke = await lambda.send(new InvokeCommand({ FunctionName: cloud.stack.functions.RecordDrainFunction?.arn, Payload: Buffer.from('{}') }));
    const otherInvoke = await errorOf(lambda.send(new InvokeCommand({ FunctionName: cloud.stack.functions.ReconcilerFunction?.arn, Payload: Buffer.from('{}') })));

    expect(deleted?.name).toBe('AccessDeniedException');
    expect(stepInvoke.StatusCode).toBe(200);
    expect(otherInvoke?.name).toBe('AccessDeniedException');
    expect(otherInvoke?.message).toContain('lambda:InvokeFunction');
    ddb.destroy();
    lambda.destroy();
  });

  it("accepts the harness's key as the admin and refuses a key nobody issued", async () => {
    const admin = new DynamoDBClient(cloud.clientConfig);
    const stranger = new DynamoDBClient(clientFor({ accessKeyId: 'AKIANOBODY', secretAccessKey: 'x' }));

    const tables = await admin.send(new ListTablesCommand({}));
    const refused = await errorOf(stranger.send(new ListTablesCommand({})));

    expect(tables.TableNames).toContain(cloud.stack.tableName);
    expect(refused?.name).toBe('UnrecognizedClientException');
    admin.destroy();
    stranger.destroy();
  });

  describe("an application task's role session (TaskRegistryPolicy)", () => {
    const taskArn = 'arn:aws:ecs:us-east-1:111122223333:task/sessions/0123456789abcdef0123456789abcdef';
    let writer: RegistryWriter;
    let arn: string;

    beforeAll(async () => {
      const session = await cloud.iam?.assumeTaskRole(taskArn);
      if (session === undefined) throw new Error('no IAM in the local cloud');
      arn = session.arn;
      writer = { ddb: DynamoDBDocumentClient.from(new DynamoDBClient(clientFor(session))), tableName: cloud.stack.tableName, now: () => new Date() };
    });

    it('is named after the task id, as ECS names it', () => {
      expect(arn).toBe('arn:aws:sts::111122223333:assumed-role/ecs-session-drain-ApplicationTaskRole/0123456789abcdef0123456789abcdef');
    });

    it('makes every registry write of the agent on its own task', async () => {
      await registerTask(writer, { taskArn, clusterArn: 'arn:aws:ecs:us-east-1:111122223333:cluster/sessions', serviceName: 'chat' });
      expect(await openSession(writer, taskArn, 'user-1')).toBe('opened');
      await heartbeat(writer, taskArn);
      expect(await closeSession(writer, taskArn, 'user-1')).toBe('closed');

      expect(await readTask(writer, taskArn)).toMatchObject({ taskArn, sessionCount: 0, status: 'ACTIVE' });
    });

    it("is refused a task of another cluster, the orchestrator's capacity items and queries", async () => {
      const foreign = 'arn:aws:ecs:us-east-1:111122223333:task/elsewhere/fedcba9876543210fedcba9876543210';

      const register = await errorOf(registerTask(writer, { taskArn: foreign, clusterArn: 'arn:aws:ecs:us-east-1:111122223333:cluster/elsewhere' }));
      const capacity = await errorOf(
        writer.ddb.send(new UpdateCommand({ TableName: writer.tableName, Key: capacityKey('arn:aws:ecs:us-east-1:111122223333:cluster/sessions', 'chat'), UpdateExpression: 'SET baseDesired = :n', ExpressionAttributeValues: { ':n': 9 } })),
      );
      const query = await errorOf(writer.ddb.send(new QueryCommand({ TableName: writer.tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': taskArn } })));

      expect([register?.name, capacity?.name, query?.name]).toEqual(['AccessDeniedException', 'AccessDeniedException', 'AccessDeniedException']);
      expect(await readTask(writer, taskArn)).toBeDefined();
    });

    it("can neither read a drain's wait token nor plant one, which ArmDrainWaitFunction's role stores", async () => {
      // prepare: the wait of another task's drain, stored under the arming step's own role
      const other = 'arn:aws:ecs:us-east-1:111122223333:task/sessions/fedcba9876543210fedcba9876543210';
      const executionArn = 'arn:aws:states:us-east-1:111122223333:execution:ecs-session-drain-drain:drain-fedcba9876543210fedcba9876543210-1';
      const arming = { ddb: DynamoDBDocumentClient.from(new DynamoDBClient(clientFor(functionKeys('ArmDrainWaitFunction')))), tableName: cloud.stack.tableName };
      await storeDrainWait(arming, { executionArn, taskArn: other, taskToken: 'token-of-the-other-drain', expiresAt: 1_900_000_000 });

      // act
      const read = await errorOf(writer.ddb.send(new GetCommand({ TableName: writer.tableName, Key: waitKey(executionArn), ConsistentRead: true })));
      const planted = await errorOf(storeDrainWait(writer, { executionArn, taskArn, taskToken: 'forged', expiresAt: 1_900_000_000 }));
      // The arming role writes wait items only, never a task's item.
      const armingOnTask = await errorOf(arming.ddb.send(new PutCommand({ TableName: arming.tableName, Item: { pk: taskArn, sk: 'TASK' } })));

      // assert
      expect([read?.name, planted?.name, armingOnTask?.name]).toEqual(['AccessDeniedException', 'AccessDeniedException', 'AccessDeniedException']);
    });
  });

  // Last: the revocation stays for the rest of this cloud's life.
  it('fails the request of a handler whose role lost one statement, with the AccessDeniedException', async () => {
    const request = { action: 'cancel', taskArn: 'arn:aws:ecs:us-east-1:111122223333:task/sessions/unknown' };
    const before = await cloud.invoke('DrainControlFunction', request);

    await cloud.iam?.revoke('DrainControlFunction', { policy: 'RegistryItemsPolicy' });
    const after = await cloud.invoke('DrainControlFunction', request);

    expect(before.payload).toMatchObject({ ok: false, error: expect.stringContaining('not in the session registry') });
    expect(before.payloadText).not.toContain('AccessDenied');
    // Drain control answers operators with the failure instead of throwing it.
    expect(after.payload).toMatchObject({
      ok: false,
      error: expect.stringContaining('AccessDeniedException: User: arn:aws:sts::111122223333:assumed-role/ecs-session-drain-DrainControlFunctionRole/'),
    });
    expect(after.payloadText).toContain('is not authorized to perform: dynamodb:GetItem');
  });
});

describe("the local cloud with iam: 'off'", () => {
  it('accepts any key and runs functions with the harness key', async () => {
    const cloud = await startLocalCloud({ iam: 'off', logDir: logDir(), startSchedules: false });
    try {
      const stranger = new DynamoDBClient({ endpoint: cloud.endpoint, region: REGION, credentials: { accessKeyId: 'AKIANOBODY', secretAccessKey: 'x' } });

      const tables = await stranger.send(new ListTablesCommand({}));

      expect(tables.TableNames).toContain(cloud.stack.tableName);
      expect(cloud.iam).toBeUndefined();
      stranger.destroy();
    } finally {
      await cloud.stop();
    }
  });
});
