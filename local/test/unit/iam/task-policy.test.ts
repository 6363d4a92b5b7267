import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { capacityKey } from '../../../../functions/registry/capacity/items.js';
import { closeSession, heartbeat, openSession, readTask, registerTask, type RegistryWriter } from '@ecs-session-drain/agent/registry';
import { IamAuthorizer } from '../../../cloud/iam/authorizer.js';
import type { PolicyStatement } from '../../../cloud/iam/policy.js';
import { StackNames } from '../../../cloud/stack/names.js';
import { loadTemplate } from '../../../cloud/stack/template.js';

/*
 * The template's TaskRegistryPolicy against the requests the task-side agent really sends
 * (agent/src/registry.ts, marshalled by the SDK), judged by the evaluator the local cloud's
 * gateway uses. local/test/integration/iam/enforcement.test.ts runs the same with a real STS session.
 */

const ACCOUNT = '111122223333';
const REGION = 'us-east-1';
const TABLE = 'ecs-session-drain-RegistryTable';
const ROLE_ID = 'AROAEXAMPLETASKROLE01';
const taskArn = (cluster: string, id: string) => `arn:aws:ecs:${REGION}:${ACCOUNT}:task/${cluster}/${id}`;
const OWN_TASK = taskArn('sessions', '0123456789abcdef0123456789abcdef');

const { resolver } = new StackNames(loadTemplate(), { stackName: 'ecs-session-drain', region: REGION, accountId: ACCOUNT, endpoint: 'http://localhost', parameters: { ClusterArns: ['arn:aws:ecs:us-east-1:111122223333:cluster/sessions', 'arn:aws:ecs:us-east-1:111122223333:cluster/other'] } });
const policy = resolver.resolve(resolver.resource('TaskRegistryPolicy').Properties?.PolicyDocument) as { Statement: PolicyStatement[] };

/** A stand-in DynamoDB endpoint: records each request as the gateway would see it, answers "{}". */
function recordingEndpoint(requests: Array<{ headers: IncomingHttpHeaders; body: string }>): Server {
  return createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      requests.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
      response.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' }).end('{}');
    });
  });
}

describe('the task registry policy', () => {
  const requests: Array<{ headers: IncomingHttpHeaders; body: string }> = [];
  let server: Server;
  let writer: RegistryWriter;
  const authorizer = new IamAuthorizer({ partition: 'aws', region: REGION, accountId: ACCOUNT });

  beforeAll(async () => {
    server = recordingEndpoint(requests);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const client = new DynamoDBClient({ endpoint, region: REGION, credentials: { accessKeyId: 'ASIATASKSESSION', secretAccessKey: 'secret', sessionToken: 'token' } });
    writer = { ddb: DynamoDBDocumentClient.from(client), tableName: TABLE, now: () => new Date() };
    authorizer.partitionKeys.set(TABLE, 'pk');
    // ECS names the session after the task id: aws:userid = "<role id>:<task id>".
    authorizer.register('ASIATASKSESSION', {
      arn: `arn:aws:sts::${ACCOUNT}:assumed-role/app-task-role/${OWN_TASK.split('/').pop()}`,
      userId: `${ROLE_ID}:${OWN_TASK.split('/').pop()}`,
      roleArn: `arn:aws:iam::${ACCOUNT}:role/app-task-role`,
      accountId: ACCOUNT,
      statements: () => policy.Statement,
    });
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  beforeEach(() => {
    requests.length = 0;
  });

  /** What the gateway answers to each recorded request: undefined (through) or the refusal. */
  function verdicts(): Array<string | undefined> {
    return requests.map((request) => {
      expect(authorizer.inspects(request.headers)).toBe(true);
      const refused = authorizer.check({ route: 'moto', headers: request.headers, body: request.body });
      return refused === undefined ? undefined : (JSON.parse(refused.body) as { message: string }).message;
    });
  }

  it('allows every request of the agent on its own task: register, open, heartbeat, read, close', async () => {
    await registerTask(writer, { taskArn: OWN_TASK, clusterArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/sessions`, serviceName: 'chat' });
    expect(await openSession(writer, OWN_TASK, 'user-1')).toBe('opened');
    await heartbeat(writer, OWN_TASK);
    await readTask(writer, OWN_TASK);
    expect(await closeSession(writer, OWN_TASK, 'user-1')).toBe('closed');

    expect(requests.map((request) => String(request.headers['x-amz-target']).split('.')[1])).toEqual([
      'UpdateItem',
      'TransactWriteItems',
      'UpdateItem',
      'GetItem',
      'TransactWriteItems',
    ]);
    expect(verdicts()).toEqual([undefined, undefined, undefined, undefined, undefined]);
  });

  it('refuses the items of a task in a cluster outside the stack, inside a transaction too', async () => {
    const foreign = taskArn('elsewhere', 'fedcba9876543210fedcba9876543210');

    await registerTask(writer, { taskArn: foreign, clusterArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/elsewhere` });
    await openSession(writer, foreign, 'user-2');

    const [register, open] = verdicts();
    expect(register).toMatch(/is not authorized to perform: dynamodb:UpdateItem on resource: arn:aws:dynamodb:us-east-1:111122223333:table\/ecs-session-drain-RegistryTable/);
    expect(open).toMatch(/dynamodb:PutItem/);
  });

  it("refuses the orchestrator's capacity items and any Query", async () => {
    await writer.ddb.send(
      new UpdateCommand({ TableName: TABLE, Key: capacityKey(`arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/sessions`, 'chat'), UpdateExpression: 'SET baseDesired = :n', ExpressionAttributeValues: { ':n': 0 } }),
    );
    await writer.ddb.send(new QueryCommand({ TableName: TABLE, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': OWN_TASK } }));

    const [capacity, query] = verdicts();
    expect(capacity).toMatch(/dynamodb:UpdateItem/);
    expect(query).toMatch(/dynamodb:Query/);
  });

  it('still lets a task write the items of another task of the in-scope clusters: IAM cannot tell them apart', async () => {
    const neighbour = taskArn('other', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa');

    await heartbeat(writer, neighbour);

    expect(verdicts()).toEqual([undefined]);
  });
});
