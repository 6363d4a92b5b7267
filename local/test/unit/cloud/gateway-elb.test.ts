import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DescribeTasksCommand, ECSClient } from '@aws-sdk/client-ecs';
import { DescribeTargetGroupsCommand, DescribeTargetHealthCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { afterEach, describe, expect, it } from 'vitest';
import { Gateway, type GatewayOptions } from '../../../cloud/gateway.js';
import { IamAuthorizer } from '../../../cloud/iam/authorizer.js';
import type { PolicyStatement } from '../../../cloud/iam/policy.js';
import { answersQuery, ecsJsonResponse, type EcsTwin, elbQueryResponse } from '../../../twin/index.js';
import { CLUSTER, runningOf, startService, startTwin } from '../twin/support.js';

/*
 * Elastic Load Balancing v2 through the local cloud's gateway, with the real SDK client (Query
 * protocol: form-encoded POST signed for "elasticloadbalancing", XML back): DescribeTargetHealth
 * of a target group a twin service names is answered from the twin; any other call, and a
 * target group the twin does not know, goes to moto (here a fake that records what reached it).
 */

const REGION = 'us-east-1';
const TARGET_GROUP = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/chat/73e2d6bc24d8a067';
const UNKNOWN_GROUP = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/other/0123456789abcdef';
const NAMESPACE = 'http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** A stand-in for moto: answers DescribeTargetGroups, and TargetGroupNotFound for any DescribeTargetHealth, as moto does for a group it does not hold. */
async function fakeMoto(): Promise<{ url: string; actions: string[] }> {
  const actions: string[] = [];
  const server: Server = createServer((request: IncomingMessage, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const action = new URLSearchParams(Buffer.concat(chunks).toString('utf8')).get('Action') ?? '';
      actions.push(action);
      if (action === 'DescribeTargetHealth') {
        response
          .writeHead(400, { 'content-type': 'text/xml' })
          .end(`<ErrorResponse xmlns="${NAMESPACE}"><Error><Type>Sender</Type><Code>TargetGroupNotFound</Code><Message>The specified target group does not exist.</Message></Error><RequestId>moto</RequestId></ErrorResponse>`);
        return;
      }
      response
        .writeHead(200, { 'content-type': 'text/xml' })
        .end(`<${action}Response xmlns="${NAMESPACE}"><${action}Result><TargetGroups/></${action}Result><ResponseMetadata><RequestId>moto</RequestId></ResponseMetadata></${action}Response>`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, actions };
}

async function gatewayFor(twin: EcsTwin, options: Partial<GatewayOptions> = {}): Promise<{ gateway: Gateway; moto: { actions: string[] } }> {
  const moto = await fakeMoto();
  const gateway = await Gateway.start({
    motoEndpoint: moto.url,
    functions: { invoke: () => Promise.reject(new Error('no functions here')) },
    ecs: (target, body) => ecsJsonResponse(twin, target, body),
    elb: (body) => Promise.resolve(answersQuery(twin, body) ? elbQueryResponse(twin, body) : undefined),
    ...options,
  });
  closers.push(() => gateway.close());
  return { gateway, moto };
}

function clients(endpoint: string, accessKeyId = 'test') {
  const config = { endpoint, region: REGION, credentials: { accessKeyId, secretAccessKey: 'test' }, maxAttempts: 1 };
  const elb = new ElasticLoadBalancingV2Client(config);
  const ecs = new ECSClient(config);
  closers.push(async () => {
    elb.destroy();
    ecs.destroy();
  });
  return { elb, ecs };
}

async function serviceBehindTargetGroup() {
  const harness = startTwin();
  await startService(harness, { name: 'chat', desiredCount: 2, loadBalancers: [{ targetGroupArn: TARGET_GROUP, containerName: 'app', containerPort: 8080 }] });
  return harness;
}

async function failure(call: Promise<unknown>): Promise<Error & { $metadata?: { httpStatusCode?: number } }> {
  return call.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (error: unknown) => error as Error & { $metadata?: { httpStatusCode?: number } },
  );
}

describe('DescribeTargetHealth through the gateway (real SDK)', () => {
  it('answers a twin target group with its targets: each task\'s private address from DescribeTasks and the container port, healthy', async () => {
    // prepare
    const harness = await serviceBehindTargetGroup();
    const { gateway, moto } = await gatewayFor(harness.twin);
    const { elb, ecs } = clients(gateway.url);
    const taskArns = runningOf(harness.twin, 'chat').map((task) => task.taskArn);

    // act
    const health = await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: TARGET_GROUP }));
    const described = await ecs.send(new DescribeTasksCommand({ cluster: CLUSTER, tasks: taskArns }));

    // assert
    const addresses = (described.tasks ?? []).map((task) => task.attachments?.[0]?.details?.find((detail) => detail.name === 'privateIPv4Address')?.value);
    expect(health.TargetHealthDescriptions?.map((description) => description.Target?.Id).sort()).toEqual([...addresses].sort());
    expect(health.TargetHealthDescriptions).toEqual(
      addresses.map((address) => ({ Target: { Id: address, Port: 8080 }, HealthCheckPort: '8080', TargetHealth: { State: 'healthy' } })),
    );
    expect(described.tasks?.[0]?.attachments?.[0]).toMatchObject({ type: 'ElasticNetworkInterface', status: 'ATTACHED' });
    expect(gateway.counts().elb).toEqual({ DescribeTargetHealth: 1 });
    expect(moto.actions).toEqual([]);
  });

  it('describes only the targets the request names (Targets.member.N), an unregistered one as unused with its reason', async () => {
    // prepare
    const harness = await serviceBehindTargetGroup();
    const { gateway } = await gatewayFor(harness.twin);
    const { elb } = clients(gateway.url);
    const [first] = runningOf(harness.twin, 'chat');
    const address = first?.networkInterface?.privateIPv4Address ?? '';

    // act
    const health = await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: TARGET_GROUP, Targets: [{ Id: address, Port: 8080 }, { Id: '10.0.250.9', Port: 8080 }] }));

    // assert
    expect(health.TargetHealthDescriptions).toEqual([
      { Target: { Id: address, Port: 8080 }, HealthCheckPort: '8080', TargetHealth: { State: 'healthy' } },
      { Target: { Id: '10.0.250.9', Port: 8080 }, HealthCheckPort: '8080', TargetHealth: { State: 'unused', Reason: 'Target.NotRegistered', Description: 'Target is not registered to the target group' } },
    ]);
  });

  it('leaves a target group the twin does not know, and every other load balancing call, to moto', async () => {
    // prepare
    const harness = await serviceBehindTargetGroup();
    const { gateway, moto } = await gatewayFor(harness.twin);
    const { elb } = clients(gateway.url);

    // act
    const unknown = await failure(elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: UNKNOWN_GROUP })));
    await elb.send(new DescribeTargetGroupsCommand({}));

    // assert
    expect(unknown.name).toBe('TargetGroupNotFoundException');
    expect(moto.actions).toEqual(['DescribeTargetHealth', 'DescribeTargetGroups']);
    expect(gateway.counts().elb).toEqual({});
  });

  it('answers TargetGroupNotFound in the ELBv2 error shape where the twin is asked about a group it does not know (HTTP 400)', async () => {
    // prepare
    const harness = await serviceBehindTargetGroup();
    const { gateway } = await gatewayFor(harness.twin, { elb: (body) => Promise.resolve(elbQueryResponse(harness.twin, body)) });
    const { elb } = clients(gateway.url);

    // act
    const unknown = await failure(elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: UNKNOWN_GROUP })));

    // assert
    expect(unknown).toMatchObject({ name: 'TargetGroupNotFoundException', message: 'One or more target groups not found' });
    expect(unknown.$metadata?.httpStatusCode).toBe(400);
  });

  it('under IAM enforcement, authorises elasticloadbalancing:DescribeTargetHealth on resource *: refused (AccessDenied) without it, answered with it', async () => {
    // prepare
    const harness = await serviceBehindTargetGroup();
    const authorizer = new IamAuthorizer({ partition: 'aws', region: REGION, accountId: '123456789012' });
    let statements: PolicyStatement[] = [{ Effect: 'Allow', Action: 'ecs:DescribeServices', Resource: '*' }];
    authorizer.register('ASIAPACER', {
      arn: 'arn:aws:sts::123456789012:assumed-role/PaceDeploymentRole/worker',
      userId: 'AROAPACER:worker',
      roleArn: 'arn:aws:iam::123456789012:role/PaceDeploymentRole',
      accountId: '123456789012',
      statements: () => statements,
    });
    const { gateway } = await gatewayFor(harness.twin, { authorizer });
    const { elb } = clients(gateway.url, 'ASIAPACER');

    // act
    const refused = await failure(elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: TARGET_GROUP })));
    statements = [{ Effect: 'Allow', Action: 'elasticloadbalancing:DescribeTargetHealth', Resource: '*' }];
    const allowed = await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: TARGET_GROUP }));

    // assert
    expect(refused.name).toBe('AccessDenied');
    expect(refused.$metadata?.httpStatusCode).toBe(403);
    expect(refused.message).toMatch(/is not authorized to perform: elasticloadbalancing:DescribeTargetHealth on resource: \*/);
    expect(authorizer.denials()).toMatchObject([{ action: 'elasticloadbalancing:DescribeTargetHealth', resource: '*', route: 'elb' }]);
    expect(allowed.TargetHealthDescriptions).toHaveLength(2);
  });
});
