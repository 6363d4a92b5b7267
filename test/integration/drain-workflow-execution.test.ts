import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeServicesCommand, DescribeTasksCommand, ECSClient, StopTaskCommand, UpdateServiceCommand, UpdateTaskProtectionCommand } from '@aws-sdk/client-ecs';
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { CreateStateMachineCommand, DescribeExecutionCommand, GetExecutionHistoryCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHandler as armDrainWait } from '../../functions/handlers/arm-drain-wait.js';
import { createHandler as launchReplacement } from '../../functions/handlers/launch-replacement.js';
import { createHandler as recordDrain } from '../../functions/handlers/record-drain.js';
import { createHandler as releaseReplacement } from '../../functions/handlers/release-replacement.js';
import { createHandler as stopTask } from '../../functions/handlers/stop-drained-task.js';
import { taskKey } from '../../functions/registry/model.js';
import type { Deps } from '../../functions/shared/deps.js';
import { CLUSTER_ARN, taskArn, testConfig, testLogger } from '../support/deps.js';
import { DRAIN_FUNCTIONS, drainDefinition, type DrainFunction } from '../support/drain-asl.js';
import { freePort, type MotoServer, startMotoServer } from '../support/moto-server.js';

/**
 * Runs the real definition in moto's Step Functions interpreter. moto sends every service call of
 * the workflow (Lambda Invoke, DynamoDB) to localhost:$MOTO_PORT, so this test starts its own moto
 * with MOTO_PORT pointing at a small router: Lambda invocations run our handlers in-process, and
 * everything else is passed on to moto. ECS is mocked (moto's ECS knows no task protection).
 */
const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };

describe('drain workflow executed by moto', () => {
  let moto: MotoServer;
  let router: Server;
  let deps: Deps;
  let ecsMock: ReturnType<typeof mockClient>;
  const handlers = {} as Record<DrainFunction, (event: unknown) => Promise<unknown>>;

  beforeAll(async () => {
    const routerPort = await freePort();
    moto = await startMotoServer({ env: { MOTO_PORT: String(routerPort) } });
    // moto only interprets definitions (instead of answering with a canned history) when asked to.
    await fetch(`${moto.endpoint}/moto-api/config`, { method: 'POST', body: JSON.stringify({ stepfunctions: { execute_state_machine: true } }) });
    const clientConfig = { endpoint: moto.endpoint, region: 'us-east-1', credentials };
    const ecs = new ECSClient({ region: 'us-east-1', credentials });
    ecsMock = mockClient(ecs);
    deps = {
      ecs,
      ddb: DynamoDBDocumentClient.from(new DynamoDBClient(clientConfig)),
      sfn: new SFNClient(clientConfig),
      eventBridge: new EventBridgeClient(clientConfig),
      elb: new ElasticLoadBalancingV2Client(clientConfig),
      autoScaling: new AutoScalingClient(clientConfig),
      logger: testLogger(),
      metrics: new Metrics({ namespace: 'Test', serviceName: 'test' }),
      config: testConfig({ tableName: 'SessionRegistry' }),
      now: () => new Date(),
    };
    const factories = { RecordDrain: recordDrain, LaunchReplacement: launchReplacement, ArmDrainWait: armDrainWait, StopDrainedTask: stopTask, ReleaseReplacement: releaseReplacement };
    for (const name of DRAIN_FUNCTIONS) handlers[name] = factories[name](() => deps);
    router = createServer((request, response) => void route(request, response));
    await new Promise<void>((resolve) => router.listen(routerPort, resolve));

    const { createRegistryTableAt } = await import('../support/registry-table.js');
    await createRegistryTableAt(clientConfig, 'SessionRegistry');
  });

  afterAll(async () => {
    await new Promise((resolve) => router?.close(resolve));
    await moto?.stop();
  });

  async function route(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const invoke = /^\/2015-03-31\/functions\/([^/]+)\/invocations/.exec(request.url ?? '');
    if (invoke) {
      const name = decodeURIComponent(invoke[1] as string).split(':').pop() as DrainFunction;
      try {
        const result = await handlers[name](JSON.parse(body.toString() || '{}'));
        response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(result ?? null));
      } catch (error) {
        response
          .writeHead(200, { 'content-type': 'application/json', 'x-amz-function-error': 'Unhandled' })
          .end(JSON.stringify({ errorType: (error as Error).name, errorMessage: (error as Error).message }));
      }
      return;
    }
    const upstream = await fetch(`${moto.endpoint}${request.url ?? '/'}`, {
      method: request.method,
      headers: Object.fromEntries(Object.entries(request.headers).filter(([key]) => key !== 'host' && key !== 'content-length')) as Record<string, string>,
      body: request.method === 'GET' || request.method === 'HEAD' ? undefined : body,
    });
    response.writeHead(upstream.status, Object.fromEntries(upstream.headers.entries()));
    response.end(Buffer.from(await upstream.arrayBuffer()));
  }

  async function runDrain(task: string, input: Record<string, unknown>, item: Record<string, unknown> | null = {}) {
    const machine = await deps.sfn.send(
      new CreateStateMachineCommand({ name: `drain-${Date.now()}`, definition: drainDefinition('SessionRegistry'), roleArn: 'arn:aws:iam::123456789012:role/drain' }),
    );
    const name = `drain-${task.split('/').pop()}-1`;
    const executionArn = `${machine.stateMachineArn?.replace(':stateMachine:', ':execution:')}:${name}`;
    if (item !== null) {
      await deps.ddb.send(
        new PutCommand({
          TableName: 'SessionRegistry',
          Item: { ...taskKey(task), taskArn: task, clusterArn: CLUSTER_ARN, serviceTask: `-#${task}`, sessionCount: 0, status: 'ACTIVE', executionArn, ...item },
        }),
      );
    }
    await deps.sfn.send(new StartExecutionCommand({ stateMachineArn: machine.stateMachineArn, name, input: JSON.stringify(input) }));
    for (let i = 0; i < 100; i += 1) {
      const execution = await deps.sfn.send(new DescribeExecutionCommand({ executionArn }));
      if (execution.status !== 'RUNNING') return execution;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const history = await deps.sfn.send(new GetExecutionHistoryCommand({ executionArn }));
    const steps = (history.events ?? []).map((event) => `${event.type} ${JSON.stringify(event.stateEnteredEventDetails?.name ?? event.taskFailedEventDetails ?? event.lambdaFunctionFailedEventDetails ?? '')}`);
    throw new Error(`the execution did not finish within 20 s:\n${steps.join('\n')}`);
  }

  it('stops a task without sessions at once and ends in "Drained" with a summary', async () => {
    const task = taskArn('a1b2c3d4e5f60718293a4b5c6d7e8f90');
    ecsMock.on(UpdateTaskProtectionCommand).resolves({ protectedTasks: [], failures: [] });
    ecsMock.on(StopTaskCommand).resolves({});

    const execution = await runDrain(task, { cluster: CLUSTER_ARN, taskArn: task, reason: 'DEPLOYMENT' });

    expect(execution.status, execution.cause ?? execution.error).toBe('SUCCEEDED');
    expect(JSON.parse(execution.output ?? '{}')).toEqual({ outcome: 'DRAINED', taskArn: task, reason: 'DEPLOYMENT', sessionsAtStart: 0, secondsDrained: expect.any(Number) });
    expect(ecsMock.commandCalls(StopTaskCommand)[0]?.args[0].input).toEqual({ cluster: CLUSTER_ARN, task, reason: 'ecs-session-drain: DRAINED' });
    const item = await deps.ddb.send(new GetCommand({ TableName: 'SessionRegistry', Key: taskKey(task) }));
    expect(item.Item).toMatchObject({ status: 'STOPPING', drainOutcome: 'DRAINED', drainReason: 'DEPLOYMENT' });
  });

  it('stops a task whose sessions outlive the deadline and ends in "Deadline forced"', async () => {
    const task = taskArn('b1b2c3d4e5f60718293a4b5c6d7e8f90');
    ecsMock.on(UpdateTaskProtectionCommand).resolves({ protectedTasks: [], failures: [] });
    ecsMock.on(StopTaskCommand).resolves({});
    const deadline = new Date(Date.now() + 1000).toISOString();

    const execution = await runDrain(task, { cluster: CLUSTER_ARN, taskArn: task, reason: 'SCALE_IN', deadline }, { sessionCount: 2 });

    expect(execution.status, execution.cause ?? execution.error).toBe('SUCCEEDED');
    expect(JSON.parse(execution.output ?? '{}')).toMatchObject({ outcome: 'DEADLINE_FORCED', sessionsAtStart: 2 });
    expect(ecsMock.commandCalls(StopTaskCommand).at(-1)?.args[0].input).toEqual({ cluster: CLUSTER_ARN, task, reason: 'ecs-session-drain: DEADLINE_FORCED' });
    const item = await deps.ddb.send(new GetCommand({ TableName: 'SessionRegistry', Key: taskKey(task) }));
    expect(item.Item).toMatchObject({ status: 'STOPPING', drainOutcome: 'DEADLINE_FORCED' });
    expect(item.Item).not.toHaveProperty('waitArmed');
  });

  it('ends in "Task gone" without touching ECS when the task is not registered', async () => {
    const task = taskArn('c1b2c3d4e5f60718293a4b5c6d7e8f90');
    const stopsBefore = ecsMock.commandCalls(StopTaskCommand).length;

    const execution = await runDrain(task, { cluster: CLUSTER_ARN, taskArn: task, reason: 'SPOT' }, null);

    expect(execution.status, execution.cause ?? execution.error).toBe('SUCCEEDED');
    expect(JSON.parse(execution.output ?? '{}')).toEqual({ outcome: 'TASK_GONE', taskArn: task, reason: 'SPOT', sessionsAtStart: 0, secondsDrained: null });
    expect(ecsMock.commandCalls(StopTaskCommand)).toHaveLength(stopsBefore);
  });

  it('returns a cancelled task to service and gives its replacement capacity back', async () => {
    const task = taskArn('d1b2c3d4e5f60718293a4b5c6d7e8f90');
    let desiredCount = 4;
    ecsMock.on(DescribeServicesCommand).callsFake(() => ({ services: [{ serviceName: 'chat', status: 'ACTIVE', desiredCount }] }));
    ecsMock.on(UpdateServiceCommand).callsFake((input: { desiredCount: number }) => {
      desiredCount = input.desiredCount;
      return {};
    });
    const stopsBefore = ecsMock.commandCalls(StopTaskCommand).length;

    const execution = await runDrain(
      task,
      { cluster: CLUSTER_ARN, taskArn: task, service: 'chat', reason: 'MANUAL' },
      { serviceName: 'chat', serviceTask: `chat#${task}`, sessionCount: 3, drainControl: 'CANCEL' },
    );

    expect(execution.status, execution.cause ?? execution.error).toBe('SUCCEEDED');
    expect(JSON.parse(execution.output ?? '{}')).toEqual({ outcome: 'CANCELLED', taskArn: task, reason: 'MANUAL', sessionsAtStart: 3, secondsDrained: null });
    expect(ecsMock.commandCalls(UpdateServiceCommand).map((call) => call.args[0].input.desiredCount)).toEqual([5, 4]);
    expect(desiredCount).toBe(4);
    expect(ecsMock.commandCalls(StopTaskCommand)).toHaveLength(stopsBefore);
    const item = await deps.ddb.send(new GetCommand({ TableName: 'SessionRegistry', Key: taskKey(task) }));
    expect(item.Item).toMatchObject({ status: 'ACTIVE', drainOutcome: 'CANCELLED', replacementRequested: false });
    for (const attribute of ['drainControl', 'drainReason', 'drainDeadline', 'drainStartedAt', 'waitArmed']) expect(item.Item).not.toHaveProperty(attribute);
  });

  it('returns a drained deployment task that a rollback kept to service instead of stopping it, and ends in "Cancelled"', async () => {
    // prepare: the task was started by the deployment that a rollback made PRIMARY again.
    const task = taskArn('e1b2c3d4e5f60718293a4b5c6d7e8f90');
    const kept = 'ecs-svc/1111111111111111111';
    ecsMock.on(DescribeServicesCommand).resolves({ services: [{ serviceName: 'chat', status: 'ACTIVE', desiredCount: 2, deployments: [{ id: kept, status: 'PRIMARY', rolloutState: 'IN_PROGRESS' }] }], failures: [] });
    ecsMock.on(DescribeTasksCommand).resolves({ tasks: [{ taskArn: task, startedBy: kept, lastStatus: 'RUNNING', desiredStatus: 'RUNNING' }], failures: [] });
    ecsMock.on(UpdateTaskProtectionCommand).resolves({ protectedTasks: [], failures: [] });
    const stopsBefore = ecsMock.commandCalls(StopTaskCommand).length;
    const protectionBefore = ecsMock.commandCalls(UpdateTaskProtectionCommand).length;

    // act
    const execution = await runDrain(task, { cluster: CLUSTER_ARN, taskArn: task, service: 'chat', reason: 'DEPLOYMENT' }, { serviceName: 'chat', serviceTask: `chat#${task}`, sessionCount: 0 });

    // assert
    expect(execution.status, execution.cause ?? execution.error).toBe('SUCCEEDED');
    expect(JSON.parse(execution.output ?? '{}')).toEqual({ outcome: 'CANCELLED', taskArn: task, reason: 'DEPLOYMENT', sessionsAtStart: 0, secondsDrained: null });
    expect(ecsMock.commandCalls(StopTaskCommand)).toHaveLength(stopsBefore);
    // Empty, it needs no protection: ECS may scale it in like any other task.
    expect(ecsMock.commandCalls(UpdateTaskProtectionCommand).slice(protectionBefore).map((call) => call.args[0].input)).toEqual([{ cluster: CLUSTER_ARN, tasks: [task], protectionEnabled: false }]);
    const item = await deps.ddb.send(new GetCommand({ TableName: 'SessionRegistry', Key: taskKey(task) }));
    expect(item.Item).toMatchObject({ status: 'ACTIVE', drainOutcome: 'CANCELLED', cancelledBy: 'DEPLOYMENT' });
    for (const attribute of ['drainControl', 'drainReason', 'drainDeadline', 'drainStartedAt', 'sessionsAtDrainStart', 'waitArmed']) expect(item.Item).not.toHaveProperty(attribute);
  });
});
