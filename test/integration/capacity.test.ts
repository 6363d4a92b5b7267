import { DescribeServicesCommand, ECSClient, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
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
  const state = { desired: initialDesired, peak: initialDesired, updates: 0 };
  const mock = mockClient(ecs);
  mock.on(DescribeServicesCommand).callsFake(async () => {
    await jitter();
    const desiredCount = state.desired;
    await jitter();
    return { services: [{ serviceName: SERVICE, status: 'ACTIVE', desiredCount }], failures: [] };
  });
  mock.on(UpdateServiceCommand).callsFake(async (input: { desiredCount?: number }) => {
    await jitter();
    state.desired = input.desiredCount ?? state.desired;
    state.peak = Math.max(state.peak, state.desired);
    state.updates += 1;
    await jitter();
    return { service: { serviceName: SERVICE, desiredCount: state.desired } };
  });
  return { ecs, state };
}

describe('replacement capacity against DynamoDB (moto)', () => {
  let deps: Pick<Deps, 'ecs' | 'ddb' | 'config' | 'logger' | 'now'>;
  let ecsState: { desired: number; peak: number; updates: number };
  const tasks = Array.from({ length: 20 }, (_, index) => taskArn(`task${String(index).padStart(2, '0')}`));
  const step = (task: string) => ({ cluster: CLUSTER_ARN, service: SERVICE, taskArn: task });

  beforeEach(async () => {
    const { tableName, ddb } = await createRegistryTable('capacity');
    const fake = fakeEcs(3);
    ecsState = fake.state;
    deps = { ecs: fake.ecs, ddb, config: testConfig({ tableName }), logger: testLogger(), now: () => new Date() };
    await Promise.all(
      tasks.map((task) =>
        ddb.send(new PutCommand({ TableName: tableName, Item: { ...taskKey(task), taskArn: task, clusterArn: CLUSTER_ARN, serviceName: SERVICE, sessionCount: 1, status: 'DRAINING' } })),
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
});
