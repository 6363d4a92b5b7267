import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { UpdateTaskProtectionCommand } from '@aws-sdk/client-ecs';
import { DescribeExecutionCommand, ListExecutionsCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { runReleaseOnRemoval } from '../../../functions/handlers/release-on-removal.js';
import type { TaskItem } from '../../../functions/registry/model.js';
import { putPresigned } from '../../../functions/shared/presigned-put.js';
import { CLUSTER_ARN, grantEveryProtection, makeTestDeps, NOW, OTHER_CLUSTER_ARN, STATE_MACHINE_ARN, taskArn } from '../../support/deps.js';

const STACK_ID = 'arn:aws:cloudformation:us-east-1:111122223333:stack/ecs-session-drain/16580499-7622-4a9c-b32f-4eba35da93da';
const RESPONSE_URL = 'https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/arn%3Aaws?X-Amz-Signature=abc';
const PHYSICAL_ID = `release-on-removal:${STACK_ID}`;
const TASK = taskArn('0123456789abcdef0123456789abcdef');
const EXECUTION = 'arn:aws:states:us-east-1:111122223333:execution:SessionDrain:drain-0123456789abcdef0123456789abcdef-1';

/** As CloudFormation sends them (User Guide, "Custom resource request and response reference"). */
function request(type: 'Create' | 'Update' | 'Delete', overrides: Record<string, unknown> = {}) {
  return {
    RequestType: type,
    RequestId: 'unique-id-for-this-request',
    ResponseURL: RESPONSE_URL,
    ResourceType: 'Custom::ReleaseOnRemoval',
    LogicalResourceId: 'ReleaseOnRemoval',
    StackId: STACK_ID,
    ResourceProperties: { ServiceToken: 'arn:aws:lambda:us-east-1:111122223333:function:release', ClusterArns: [CLUSTER_ARN] },
    ...(type === 'Create' ? {} : { PhysicalResourceId: PHYSICAL_ID }),
    ...overrides,
  };
}

function drainingItem(clusterArn = CLUSTER_ARN): TaskItem {
  return {
    pk: TASK, sk: 'TASK', taskArn: TASK, clusterArn, serviceTask: `web#${TASK}`, serviceName: 'web', sessionCount: 2,
    status: 'DRAINING', drainReason: 'DEPLOYMENT', executionArn: EXECUTION, waitArmed: true, protectionState: 'PROTECTED',
  };
}

function world(items: TaskItem[] = [drainingItem()]) {
  const t = makeTestDeps();
  t.mocks.ddb.on(QueryCommand).callsFake((input: { ExpressionAttributeValues: Record<string, string> }) => ({
    Items: items.filter((item) => item.clusterArn === input.ExpressionAttributeValues[':cluster']),
  }));
  t.mocks.ddb.on(UpdateCommand).resolves({});
  t.mocks.sfn.on(ListExecutionsCommand).resolves({ executions: [{ executionArn: EXECUTION, stateMachineArn: STATE_MACHINE_ARN, name: 'n', status: 'RUNNING', startDate: NOW }] });
  t.mocks.sfn.on(DescribeExecutionCommand).resolves({ executionArn: EXECUTION, status: 'RUNNING' });
  t.mocks.sfn.on(StopExecutionCommand).resolves({ stopDate: NOW });
  grantEveryProtection(t.mocks.ecs, new Date(0));
  const answers: { url: string; body: Record<string, unknown> }[] = [];
  const respond = async (url: string, body: string) => {
    answers.push({ url, body: JSON.parse(body) as Record<string, unknown> });
  };
  return { ...t, answers, respond };
}

const plenty = () => 60_000;

describe('ReleaseOnRemovalFunction', () => {
  it('does nothing on Create and answers SUCCESS with the ids copied from the request', async () => {
    // prepare
    const t = world();

    // act
    const outcome = await runReleaseOnRemoval(t.deps, request('Create'), plenty, t.respond);

    // assert
    expect(t.answers).toEqual([
      {
        url: RESPONSE_URL,
        body: { Status: 'SUCCESS', Reason: 'nothing to do on creation', PhysicalResourceId: PHYSICAL_ID, StackId: STACK_ID, RequestId: 'unique-id-for-this-request', LogicalResourceId: 'ReleaseOnRemoval' },
      },
    ]);
    expect(outcome).toMatchObject({ answered: 'SUCCESS', requestType: 'Create' });
    expect(t.mocks.ddb.calls()).toHaveLength(0);
    expect(t.mocks.sfn.calls()).toHaveLength(0);
    expect(t.mocks.ecs.calls()).toHaveLength(0);
  });

  it('fails a Create whose ClusterArns is unusable, so that a broken template fails at creation', async () => {
    const t = world();

    await runReleaseOnRemoval(t.deps, request('Create', { ResourceProperties: { ServiceToken: 'x', ClusterArns: ['sessions'] } }), plenty, t.respond);

    expect(t.answers[0]?.body).toMatchObject({ Status: 'FAILED', Reason: expect.stringContaining('ClusterArns') });
  });

  it('releases every task of the stack on Delete: the drain stopped, the task ACTIVE, its protection off; then answers SUCCESS', async () => {
    const t = world();

    const outcome = await runReleaseOnRemoval(t.deps, request('Delete'), plenty, t.respond);

    expect(t.mocks.sfn.commandCalls(StopExecutionCommand).map((call) => call.args[0].input.executionArn)).toEqual([EXECUTION]);
    expect(t.mocks.ddb.commandCalls(UpdateCommand).map((call) => call.args[0].input.ExpressionAttributeValues)).toEqual([
      expect.objectContaining({ ':active': 'ACTIVE', ':released': 'RELEASED' }),
      { ':unprotected': 'UNPROTECTED' },
    ]);
    expect(t.mocks.ecs.commandCalls(UpdateTaskProtectionCommand)[0]?.args[0].input).toEqual({ cluster: CLUSTER_ARN, tasks: [TASK], protectionEnabled: false });
    expect(t.answers).toEqual([
      {
        url: RESPONSE_URL,
        body: {
          Status: 'SUCCESS',
          Reason: `released ${CLUSTER_ARN}: 1 drain(s) stopped, 1 task(s) back to ACTIVE, 1 task(s) unprotected`,
          PhysicalResourceId: PHYSICAL_ID,
          StackId: STACK_ID,
          RequestId: 'unique-id-for-this-request',
          LogicalResourceId: 'ReleaseOnRemoval',
        },
      },
    ]);
    expect(outcome).toMatchObject({ answered: 'SUCCESS', summary: { drainsStopped: 1, tasksReleased: 1, tasksUnprotected: 1, failures: 0 } });
  });

  it('still answers SUCCESS on Delete when the release fails, with the failure in the Reason', async () => {
    const t = world();
    t.mocks.ddb.on(QueryCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));
    t.mocks.sfn.on(ListExecutionsCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));

    await runReleaseOnRemoval(t.deps, request('Delete'), plenty, t.respond);

    expect(t.answers[0]?.body).toMatchObject({ Status: 'SUCCESS', Reason: expect.stringContaining('2 failure(s)') });
  });

  it('answers SUCCESS before its own timeout when the release takes too long', async () => {
    const t = world();
    t.mocks.ddb.on(QueryCommand).callsFake(() => new Promise(() => undefined));
    const started = Date.now();

    await runReleaseOnRemoval(t.deps, request('Delete'), () => 15_200 - (Date.now() - started), t.respond);

    expect(Date.now() - started).toBeLessThan(2_000);
    expect(t.answers[0]?.body).toMatchObject({ Status: 'SUCCESS', Reason: expect.stringContaining('unfinished when the answer was due') });
  });

  it('releases on Update only the clusters that left ClusterArns', async () => {
    const t = world([drainingItem(OTHER_CLUSTER_ARN)]);

    const outcome = await runReleaseOnRemoval(
      t.deps,
      request('Update', { ResourceProperties: { ServiceToken: 'x', ClusterArns: [CLUSTER_ARN] }, OldResourceProperties: { ServiceToken: 'x', ClusterArns: [CLUSTER_ARN, OTHER_CLUSTER_ARN] } }),
      plenty,
      t.respond,
    );

    expect(t.mocks.ddb.commandCalls(QueryCommand).map((call) => call.args[0].input.ExpressionAttributeValues)).toEqual([{ ':cluster': OTHER_CLUSTER_ARN }]);
    expect(t.mocks.sfn.commandCalls(ListExecutionsCommand)).toHaveLength(0);
    expect(outcome).toMatchObject({ answered: 'SUCCESS', summary: { clusters: [OTHER_CLUSTER_ARN], tasksReleased: 1 } });
    expect(t.answers[0]?.body.PhysicalResourceId).toBe(PHYSICAL_ID);
  });

  it('releases nothing on an Update that keeps every cluster', async () => {
    const t = world();

    await runReleaseOnRemoval(t.deps, request('Update', { OldResourceProperties: { ServiceToken: 'x', ClusterArns: [CLUSTER_ARN] } }), plenty, t.respond);

    expect(t.mocks.ddb.calls()).toHaveLength(0);
    expect(t.answers[0]?.body).toMatchObject({ Status: 'SUCCESS', Reason: 'no cluster to release' });
  });

  it('answers nothing, and changes nothing, for a payload that is not a CloudFormation request', async () => {
    const t = world();

    const outcome = await runReleaseOnRemoval(t.deps, { action: 'release-all' }, plenty, t.respond);

    expect(outcome).toMatchObject({ answered: false, reason: expect.stringContaining('not a CloudFormation custom resource request') });
    expect(t.answers).toEqual([]);
    expect(t.mocks.ddb.calls()).toHaveLength(0);
  });

  it('fails the invocation by name when the answer cannot be delivered, so that a retry answers again', async () => {
    const t = world();
    let attempts = 0;
    const failing = async () => {
      attempts += 1;
      throw new Error('connection reset');
    };

    await expect(runReleaseOnRemoval(t.deps, request('Create'), plenty, failing)).rejects.toMatchObject({ name: 'CustomResourceAnswerError' });
    expect(attempts).toBe(3);
  });
});

describe('putPresigned', () => {
  const servers: { close: () => void }[] = [];
  afterEach(() => {
    for (const server of servers.splice(0)) server.close();
  });

  async function serve(status: number) {
    const received: { method?: string; url?: string; headers: IncomingHttpHeaders; body: string }[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      req.on('end', () => {
        received.push({ method: req.method, url: req.url, headers: req.headers, body });
        res.statusCode = status;
        res.end();
      });
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/answer?X-Amz-Signature=abc`, received };
  }

  it('PUTs the body with an empty content-type, as the URL was presigned', async () => {
    const { url, received } = await serve(200);

    await putPresigned(url, '{"Status":"SUCCESS"}', 2_000);

    expect(received).toEqual([
      { method: 'PUT', url: '/answer?X-Amz-Signature=abc', headers: expect.objectContaining({ 'content-type': '', 'content-length': '20' }), body: '{"Status":"SUCCESS"}' },
    ]);
  });

  it('rejects when the server refuses the answer', async () => {
    const { url } = await serve(403);

    await expect(putPresigned(url, '{}', 2_000)).rejects.toThrow('HTTP 403');
  });
});
