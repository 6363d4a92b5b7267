import { DescribeServicesCommand, DescribeTasksCommand, ListTasksCommand, type Task } from '@aws-sdk/client-ecs';
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { type DynamoDBDocumentClient, GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import { claimPacedDrains, readPaceVersion } from '../../functions/core/deployments/pace-claims.js';
import { paceKey } from '../../functions/registry/pace/items.js';
import { paceService, type PaceSummary } from '../../functions/core/deployments/pace-service.js';
import { startDrain } from '../../functions/core/drain/start.js';
import { type TaskItem, taskKey } from '../../functions/registry/model.js';
import { openSession, registerTask, type RegistryWriter } from '@ecs-session-drain/agent/registry';
import type { Ignored } from '../../functions/shared/handler-kit.js';
import type { Deps } from '../../functions/shared/deps.js';
import { uniqueName } from '../support/aws.js';
import { CLUSTER_ARN, makeTestDeps, NOW, STATE_MACHINE_ARN, taskArn } from '../support/deps.js';
import { createRegistryTable } from '../support/registry-table.js';

/*
 * The deployment pacer against real DynamoDB conditions, transactions and the ByCluster index
 * (moto); ECS and Step Functions are mocked. Pacers run concurrently on the same state, as the
 * RUNNING events of several new tasks, their registrations and the reconciler do.
 */

const SERVICE = 'chat';
const OLD_DEPLOYMENT = 'ecs-svc/1111111111111111111';
const NEW_DEPLOYMENT = 'ecs-svc/2222222222222222222';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const jitter = () => sleep(Math.random() * 15);

describe('deployment pacing on moto DynamoDB', () => {
  let deps: Deps;
  let mocks: ReturnType<typeof makeTestDeps>['mocks'];
  let writer: RegistryWriter;
  let tableName: string;
  let ddb: DynamoDBDocumentClient;

  beforeEach(async () => {
    const table = await createRegistryTable('pacing');
    tableName = table.tableName;
    ddb = table.ddb;
    const made = makeTestDeps({ config: { tableName } });
    deps = { ...made.deps, ddb };
    mocks = made.mocks;
    writer = { ddb, tableName, now: () => NOW };
    mocks.sfn.on(StartExecutionCommand).callsFake(async (input: { name: string }) => {
      await jitter();
      return { executionArn: `${STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:')}:${input.name}`, startDate: NOW };
    });
  });

  async function registered(prefix: string, sessions: number): Promise<string> {
    const arn = taskArn(uniqueName(prefix).replace(/[^A-Za-z0-9-]/g, ''));
    await registerTask(writer, { taskArn: arn, clusterArn: CLUSTER_ARN, serviceName: SERVICE });
    for (let index = 0; index < sessions; index += 1) await openSession(writer, arn, `s${index}`);
    return arn;
  }

  /** ECS as the pacer reads it, answering each call after a random delay so that concurrent pacers overtake one another. */
  function ecsRuns(desiredCount: number, tasks: Task[]) {
    mocks.ecs.on(DescribeServicesCommand).callsFake(async () => {
      await jitter();
      return {
        services: [
          {
            serviceArn: `arn:aws:ecs:us-east-1:111122223333:service/sessions/${SERVICE}`,
            serviceName: SERVICE,
            status: 'ACTIVE',
            desiredCount,
            deploymentController: { type: 'ECS' },
            deploymentConfiguration: { minimumHealthyPercent: 100, maximumPercent: 200 },
            deployments: [
              { id: NEW_DEPLOYMENT, status: 'PRIMARY', rolloutState: 'IN_PROGRESS' },
              { id: OLD_DEPLOYMENT, status: 'ACTIVE', rolloutState: 'COMPLETED' },
            ],
          },
        ],
        failures: [],
      };
    });
    mocks.ecs.on(ListTasksCommand).callsFake(async () => {
      await jitter();
      return { taskArns: tasks.map((task) => task.taskArn) };
    });
    mocks.ecs.on(DescribeTasksCommand).callsFake(async (input: { tasks: string[] }) => {
      await jitter();
      return { tasks: tasks.filter((task) => input.tasks.includes(task.taskArn as string)), failures: [] };
    });
  }

  const running = (arn: string, startedBy: string): Task => ({ taskArn: arn, startedBy, lastStatus: 'RUNNING', desiredStatus: 'RUNNING', healthStatus: 'HEALTHY' });

  async function item(arn: string): Promise<TaskItem | undefined> {
    return (await ddb.send(new GetCommand({ TableName: tableName, Key: taskKey(arn), ConsistentRead: true }))).Item as TaskItem | undefined;
  }

  async function paceItem(): Promise<Record<string, unknown> | undefined> {
    return (await ddb.send(new GetCommand({ TableName: tableName, Key: paceKey(CLUSTER_ARN, SERVICE), ConsistentRead: true }))).Item;
  }

  function summaries(results: (PaceSummary | Ignored)[]): PaceSummary[] {
    expect(results.every((result) => !('ignored' in result))).toBe(true);
    return results as PaceSummary[];
  }

  it('starts exactly one drain when five pacers are triggered at once on a state where one old task may be spared', async () => {
    // prepare: desiredCount 3 at minimumHealthyPercent 100, four tasks serving: one is spare
    const busy = await registered('old-busy', 3);
    const idle = await registered('old-idle', 1);
    const middle = await registered('old-middle', 2);
    const fresh = await registered('new', 0);
    ecsRuns(3, [running(busy, OLD_DEPLOYMENT), running(idle, OLD_DEPLOYMENT), running(middle, OLD_DEPLOYMENT), running(fresh, NEW_DEPLOYMENT)]);

    // act
    const results = summaries(await Promise.all(Array.from({ length: 5 }, () => paceService(deps, { clusterArn: CLUSTER_ARN, service: SERVICE }))));

    // assert
    const starts = mocks.sfn.commandCalls(StartExecutionCommand).map((call) => call.args[0].input);
    expect(starts).toHaveLength(1);
    expect(starts[0]).toMatchObject({ name: `drain-${idle.slice(idle.lastIndexOf('/') + 1)}-1` });
    expect(JSON.parse(starts[0]?.input ?? '{}')).toMatchObject({ taskArn: idle, reason: 'DEPLOYMENT', service: SERVICE });
    expect(results.flatMap((result) => result.drainsStarted)).toEqual([idle]);
    expect(await item(idle)).toMatchObject({ status: 'ACTIVE', drainAttempt: 1, drainReason: 'DEPLOYMENT', executionArn: expect.stringContaining(':drain-') });
    for (const other of [busy, middle, fresh]) expect((await item(other))?.drainAttempt).toBeUndefined();
    // One batch of claims moved the version once, and the last pacer gave the service's lease back.
    const pace = await paceItem();
    expect(pace).toMatchObject({ version: 1 });
    expect(pace?.leaseHolder).toBeUndefined();
  });

  it('lets one of five claims made on the same pace version through when each claims a different task', async () => {
    // prepare: five pacers read the version, then decided on different tasks (sessions moved between
    // their reads); the lease is an economy, so the version alone must keep them from releasing five
    const old: string[] = [];
    for (let index = 0; index < 5; index += 1) old.push(await registered(`old-${index}`, 2));
    const version = await readPaceVersion(deps, CLUSTER_ARN, SERVICE);
    const items = await Promise.all(old.map(async (arn) => (await item(arn)) as TaskItem));

    // act
    const results = await Promise.all(items.map((task) => claimPacedDrains(deps, { clusterArn: CLUSTER_ARN, serviceName: SERVICE }, version, [task])));

    // assert
    expect(version).toBeUndefined();
    const won = results.filter((result) => !result.moved);
    expect(won).toHaveLength(1);
    expect(results.filter((result) => result.moved).every((result) => result.claimed.length === 0)).toBe(true);
    const winner = won[0]?.claimed[0]?.item.taskArn;
    const claims = (await Promise.all(old.map((arn) => item(arn)))).filter((entry) => entry?.drainAttempt !== undefined);
    expect(claims.map((entry) => entry?.taskArn)).toEqual([winner]);
    expect(claims[0]).toMatchObject({ drainAttempt: 1, drainReason: 'DEPLOYMENT', status: 'ACTIVE' });
    expect(await paceItem()).toMatchObject({ version: 1 });
  });

  it('refuses a claim made on a version another claim has moved on from', async () => {
    const first = await registered('old-first', 1);
    const second = await registered('old-second', 1);
    const stale = await readPaceVersion(deps, CLUSTER_ARN, SERVICE);

    const winner = await claimPacedDrains(deps, { clusterArn: CLUSTER_ARN, serviceName: SERVICE }, stale, [(await item(first)) as TaskItem]);
    const loser = await claimPacedDrains(deps, { clusterArn: CLUSTER_ARN, serviceName: SERVICE }, stale, [(await item(second)) as TaskItem]);
    const current = await readPaceVersion(deps, CLUSTER_ARN, SERVICE);
    const next = await claimPacedDrains(deps, { clusterArn: CLUSTER_ARN, serviceName: SERVICE }, current, [(await item(second)) as TaskItem]);

    expect(winner).toMatchObject({ moved: false, claimed: [{ attempt: 1 }] });
    expect(loser).toEqual({ moved: true, claimed: [] });
    expect(current).toBe(1);
    expect(next).toMatchObject({ moved: false, claimed: [{ attempt: 1 }] });
    expect(await paceItem()).toMatchObject({ version: 2 });
  });

  it('decides again, and drains nothing more, when its claim loses to a concurrent claim of the same task', async () => {
    // prepare: an operator's drain claims the idlest task between the pacer's decision and its transaction
    const busy = await registered('old-busy', 3);
    const idle = await registered('old-idle', 1);
    const fresh = await registered('new', 0);
    ecsRuns(2, [running(busy, OLD_DEPLOYMENT), running(idle, OLD_DEPLOYMENT), running(fresh, NEW_DEPLOYMENT)]);
    let interfered = false;
    // The real client underneath (the registry's paged Query accepts only a DynamoDBDocumentClient), its send wrapped.
    const racing: Deps = {
      ...deps,
      ddb: Object.assign(Object.create(ddb) as DynamoDBDocumentClient, {
        send: async (command: unknown) => {
          if (command instanceof TransactWriteCommand && !interfered) {
            interfered = true;
            const manual = await startDrain(deps, { clusterArn: CLUSTER_ARN, taskArn: idle, serviceName: SERVICE, reason: 'MANUAL' });
            expect(manual).toMatchObject({ status: 'started', attempt: 1 });
          }
          return ddb.send(command as never);
        },
      }),
    };

    // act
    const result = await paceService(racing, { clusterArn: CLUSTER_ARN, service: SERVICE });

    // assert: the transaction was refused as a whole, so the pace version did not move either
    expect(interfered).toBe(true);
    expect(result).toMatchObject({ drainsStarted: [], serving: 2, minServing: 2, held: [busy] });
    const starts = mocks.sfn.commandCalls(StartExecutionCommand).map((call) => JSON.parse(call.args[0].input.input ?? '{}') as { taskArn: string; reason: string });
    expect(starts).toEqual([expect.objectContaining({ taskArn: idle, reason: 'MANUAL' })]);
    expect(await item(idle)).toMatchObject({ drainAttempt: 1, drainReason: 'MANUAL' });
    expect((await item(busy))?.drainAttempt).toBeUndefined();
    const pace = await paceItem();
    expect(pace?.version).toBeUndefined();
    expect(pace?.leaseHolder).toBeUndefined();
  });
});
