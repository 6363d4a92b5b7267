import { DescribeServicesCommand, ECSClient, UpdateServiceCommand, UpdateTaskProtectionCommand } from '@aws-sdk/client-ecs';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { launchReplacement, releaseReplacement } from '../../functions/core/workflow/replacement-capacity.js';
import { capacityKey } from '../../functions/registry/capacity/items.js';
import { taskKey } from '../../functions/registry/model.js';
import type { Deps } from '../../functions/shared/deps.js';
import { createRegistryTable } from '../support/registry-table.js';
import { CLUSTER_ARN, taskArn, testConfig, testLogger } from '../support/deps.js';

const SERVICE = 'chat';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const jitter = () => sleep(Math.random() * 20);

/**
 * ECS's desired count as a service would keep it, with random latency on both calls so that
 * concurrent callers overtake one another the way they do against the real API.
 */
function fakeEcs(initialDesired: number) {
  const ecs = new ECSClient({ region: 'us-east-1' });
  const state = { desired: initialDesired, peak: initialDesired, updates: 0, calls: [] as string[] };
  const mock = mockClient(ecs);
  mock.on(DescribeServicesCommand).callsFake(async () => {
    await jitter();
    const desiredCount = state.desired;
    await jitter();
    return { services: [{ serviceName: SERVICE, status: 'ACTIVE', desiredCount }], failures: [] };
  });
  mock.on(UpdateServiceCommand).callsFake(async (input: { desiredCount?: number }) => {
    await jitter();
    state.calls.push(`desired ${input.desiredCount ?? '-'}`);
    state.desired = input.desiredCount ?? state.desired;
    state.peak = Math.max(state.peak, state.desired);
    state.updates += 1;
    await jitter();
    return { service: { serviceName: SERVICE, desiredCount: state.desired } };
  });
  // Granted as asked, 48 h ahead (ECS's default expiry).
  mock.on(UpdateTaskProtectionCommand).callsFake(async (input: { tasks: string[]; protectionEnabled: boolean }) => {
    await jitter();
    state.calls.push(`protect ${input.tasks.join(',')}`);
    const expirationDate = new Date(Date.now() + 48 * 3600 * 1000);
    return { protectedTasks: input.tasks.map((taskArn) => ({ taskArn, protectionEnabled: input.protectionEnabled, expirationDate })), failures: [] };
  });
  return { ecs, state, mock };
}

/** A draining task with its last sessions, protected as the stream handler left it. */
function drainingItem(task: string): Record<string, unknown> {
  return {
    ...taskKey(task),
    taskArn: task,
    clusterArn: CLUSTER_ARN,
    serviceName: SERVICE,
    serviceTask: `${SERVICE}#${task}`,
    sessionCount: 1,
    status: 'DRAINING',
    protectionState: 'PROTECTED',
    protectedUntil: Math.floor(Date.now() / 1000) + 48 * 3600,
  };
}

describe('replacement capacity against DynamoDB (moto)', () => {
  let deps: Pick<Deps, 'ecs' | 'ddb' | 'config' | 'logger' | 'metrics' | 'now'>;
  let ecsState: { desired: number; peak: number; updates: number; calls: string[] };
  let ecsMock: ReturnType<typeof fakeEcs>['mock'];
  const tasks = Array.from({ length: 20 }, (_, index) => taskArn(`task${String(index).padStart(2, '0')}`));
  const step = (task: string) => ({ cluster: CLUSTER_ARN, service: SERVICE, taskArn: task });

  beforeEach(async () => {
    const { tableName, ddb } = await createRegistryTable('capacity');
    const fake = fakeEcs(3);
    ecsState = fake.state;
    ecsMock = fake.mock;
    deps = { ecs: fake.ecs, ddb, config: testConfig({ tableName }), logger: testLogger(), metrics: new Metrics({ namespace: 'Test', serviceName: 'test' }), now: () => new Date() };
    await Promise.all(
      tasks.map((task) =>
        ddb.send(new PutCommand({ TableName: tableName, Item: drainingItem(task) })),
      ),
    );
  });

  it('loses no update when 20 drains surge and then release one service at the same time', async () => {
    await Promise.all(tasks.map((task) => launchReplacement(deps, step(task))));

    expect(ecsState.desired).toBe(23);
    expect(ecsState.peak).toBe(23);

    await Promise.all(tasks.map((task) => releaseReplacement(deps, step(task))));

    expect(ecsState.desired).toBe(3);
    expect(ecsState.peak).toBe(23);
    const item = await deps.ddb.send(new GetCommand({ TableName: deps.config.tableName, Key: capacityKey(CLUSTER_ARN, SERVICE) }));
    expect(item.Item?.surge).toBeUndefined();
    expect(item.Item?.lockOwner).toBeUndefined();
    expect(item.Item?.baseCount).toBeUndefined();
    const flagged = await deps.ddb.send(new GetCommand({ TableName: deps.config.tableName, Key: taskKey(tasks[0] as string) }));
    expect(flagged.Item?.replacementRequested).toBe(false);
  });

  it('counts each task once however often its launch and release are retried, interleaved', async () => {
    const firstHalf = tasks.slice(0, 10);
    const secondHalf = tasks.slice(10);
    await Promise.all(firstHalf.map((task) => launchReplacement(deps, step(task))));

    await Promise.all([
      ...firstHalf.map((task) => releaseReplacement(deps, step(task))),
      ...firstHalf.map((task) => releaseReplacement(deps, step(task))),
      ...secondHalf.map((task) => launchReplacement(deps, step(task))),
      ...secondHalf.map((task) => launchReplacement(deps, step(task))),
    ]);

    expect(ecsState.desired).toBe(13);
    await Promise.all(secondHalf.map((task) => releaseReplacement(deps, step(task))));
    expect(ecsState.desired).toBe(3);
  });

  it('keeps a scale-out someone else made while replacements were surged', async () => {
    await Promise.all(tasks.slice(0, 2).map((task) => launchReplacement(deps, step(task))));
    expect(ecsState.desired).toBe(5);

    ecsState.desired = 9; // an operator or autoscaling adds 4 tasks during the drain
    await Promise.all(tasks.slice(0, 2).map((task) => releaseReplacement(deps, step(task))));

    expect(ecsState.desired).toBe(7);
  });

  it('protects a task whose first users the stream has not protected yet before it lowers the desired count', async () => {
    // prepare: the drain's replacement, and a task whose item counts its first session, unprotected
    const fresh = taskArn('fresh');
    const idle = taskArn('idle');
    await deps.ddb.send(new PutCommand({ TableName: deps.config.tableName, Item: { ...taskKey(fresh), taskArn: fresh, clusterArn: CLUSTER_ARN, serviceName: SERVICE, serviceTask: `${SERVICE}#${fresh}`, sessionCount: 1, status: 'ACTIVE' } }));
    await deps.ddb.send(new PutCommand({ TableName: deps.config.tableName, Item: { ...taskKey(idle), taskArn: idle, clusterArn: CLUSTER_ARN, serviceName: SERVICE, serviceTask: `${SERVICE}#${idle}`, sessionCount: 0, status: 'ACTIVE' } }));
    await launchReplacement(deps, step(tasks[0] as string));
    ecsState.calls.length = 0;

    // act
    await releaseReplacement(deps, step(tasks[0] as string));

    // assert: protected first, recorded, and only the busy one
    expect(ecsState.calls).toEqual([`protect ${fresh}`, 'desired 3']);
    const item = await deps.ddb.send(new GetCommand({ TableName: deps.config.tableName, Key: taskKey(fresh), ConsistentRead: true }));
    expect(item.Item).toMatchObject({ protectionState: 'PROTECTED', protectedUntil: expect.any(Number) });
  });

  it('keeps a scale-out someone else made while it protected the busy tasks', async () => {
    // prepare: a busy task to protect, and an operator who scales out 3 -> 5 (4 with the surge -> 6) meanwhile
    const fresh = taskArn('fresh');
    await deps.ddb.send(new PutCommand({ TableName: deps.config.tableName, Item: { ...taskKey(fresh), taskArn: fresh, clusterArn: CLUSTER_ARN, serviceName: SERVICE, serviceTask: `${SERVICE}#${fresh}`, sessionCount: 1, status: 'ACTIVE' } }));
    await launchReplacement(deps, step(tasks[0] as string));
    ecsMock.on(UpdateTaskProtectionCommand).callsFake(async (input: { tasks: string[] }) => {
      ecsState.desired = 6;
      return { protectedTasks: input.tasks.map((arn) => ({ taskArn: arn, protectionEnabled: true, expirationDate: new Date(Date.now() + 3600_000) })), failures: [] };
    });

    // act
    await releaseReplacement(deps, step(tasks[0] as string));

    // assert: the operator's 2 more tasks stay; only the replacement goes
    expect(ecsState.desired).toBe(5);
  });

  it('protects nothing when it raises the desired count', async () => {
    const fresh = taskArn('fresh');
    await deps.ddb.send(new PutCommand({ TableName: deps.config.tableName, Item: { ...taskKey(fresh), taskArn: fresh, clusterArn: CLUSTER_ARN, serviceName: SERVICE, serviceTask: `${SERVICE}#${fresh}`, sessionCount: 1, status: 'ACTIVE' } }));

    await launchReplacement(deps, step(tasks[0] as string));

    expect(ecsState.calls).toEqual(['desired 4']);
  });
});
