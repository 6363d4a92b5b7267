import { describe, expect, it, vi } from 'vitest';
import { InvalidSessionIdError } from '../../src/index.js';
import { CLUSTER_ARN, TASK_ARN } from './support/fake-ecs-endpoints.js';
import { TABLE } from './support/fake-registry.js';
import { agentWorldPerTest } from './support/harness.js';

const FIXED_NOW = new Date('2026-03-01T12:00:00Z');
const NOW_SECONDS = FIXED_NOW.getTime() / 1000;

describe('registry writes of the session agent', () => {
  const newAgentWorld = agentWorldPerTest();

  it('registers the task on start with the contract\'s UpdateItem', async () => {
    const world = await newAgentWorld();

    await world.start({ serviceName: 'chat', now: () => FIXED_NOW });

    expect(world.registry.calls('Update')).toEqual([
      {
        TableName: TABLE,
        Key: { pk: TASK_ARN, sk: 'TASK' },
        UpdateExpression:
          'SET taskArn = :taskArn, clusterArn = :clusterArn, serviceTask = :serviceTask, heartbeatAt = :now, ' +
          'sessionCount = if_not_exists(sessionCount, :zero), #status = if_not_exists(#status, :active), ' +
          'serviceName = :serviceName, taskDefinitionArn = :taskDefinitionArn',
        ConditionExpression: 'attribute_not_exists(pk) OR #status <> :stopped',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':taskArn': TASK_ARN,
          ':clusterArn': CLUSTER_ARN,
          ':serviceTask': `chat#${TASK_ARN}`,
          ':now': NOW_SECONDS,
          ':zero': 0,
          ':active': 'ACTIVE',
          ':stopped': 'STOPPED',
          ':serviceName': 'chat',
          ':taskDefinitionArn': 'arn:aws:ecs:us-east-1:111122223333:task-definition/chat:7',
        },
      },
    ]);
    expect(world.registry.task(TASK_ARN)).toMatchObject({ status: 'ACTIVE', sessionCount: 0 });
  });

  it('counts a session in and out with one TransactWriteItems each', async () => {
    const world = await newAgentWorld();
    const agent = await world.start({ now: () => FIXED_NOW });

    const opened = await agent.sessionOpened('s-1');
    const countWhileOpen = agent.sessionCount;
    await agent.sessionClosed('s-1');

    expect(opened).toBe('opened');
    expect(countWhileOpen).toBe(1);
    expect(agent.sessionCount).toBe(0);
    expect(world.registry.calls('TransactWrite')).toEqual([
      {
        TransactItems: [
          {
            Put: {
              TableName: TABLE,
              Item: { pk: TASK_ARN, sk: 'SESSION#s-1', sessionId: 's-1', openedAt: NOW_SECONDS, expiresAt: NOW_SECONDS + 30 * 24 * 3600 },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
          {
            Update: {
              TableName: TABLE,
              Key: { pk: TASK_ARN, sk: 'TASK' },
              UpdateExpression: 'ADD sessionCount :one SET heartbeatAt = :now',
              ConditionExpression: 'attribute_exists(pk) AND #status = :active',
              ExpressionAttributeNames: { '#status': 'status' },
              ExpressionAttributeValues: { ':one': 1, ':now': NOW_SECONDS, ':active': 'ACTIVE' },
            },
          },
        ],
      },
      {
        TransactItems: [
          { Delete: { TableName: TABLE, Key: { pk: TASK_ARN, sk: 'SESSION#s-1' }, ConditionExpression: 'attribute_exists(pk)' } },
          {
            Update: {
              TableName: TABLE,
              Key: { pk: TASK_ARN, sk: 'TASK' },
              UpdateExpression: 'ADD sessionCount :minusOne SET heartbeatAt = :now',
              ConditionExpression: 'attribute_exists(pk) AND sessionCount > :zero',
              ExpressionAttributeValues: { ':minusOne': -1, ':zero': 0, ':now': NOW_SECONDS },
            },
          },
        ],
      },
    ]);
    expect(world.registry.task(TASK_ARN)?.sessionCount).toBe(0);
  });

  it('counts a session opened twice once, and a second close writes nothing', async () => {
    const world = await newAgentWorld();
    const agent = await world.start();

    const outcomes = await Promise.all([agent.sessionOpened('s-1'), agent.sessionOpened('s-1')]);
    const again = await agent.sessionOpened('s-1');
    await agent.sessionClosed('s-1');
    await agent.sessionClosed('s-1');
    await agent.sessionClosed('never-opened');

    expect(outcomes).toEqual(['opened', 'opened']);
    expect(again).toBe('opened');
    expect(world.registry.calls('TransactWrite')).toHaveLength(2);
    expect(world.registry.task(TASK_ARN)?.sessionCount).toBe(0);
  });

  it('treats a session the registry already counted (a retry after a lost answer) as opened', async () => {
    const world = await newAgentWorld();
    const agent = await world.start();
    world.registry.items.set(`${TASK_ARN}|SESSION#s-1`, { pk: TASK_ARN, sk: 'SESSION#s-1', sessionId: 's-1' });

    const outcome = await agent.sessionOpened('s-1');

    expect(outcome).toBe('opened');
    expect(agent.sessionCount).toBe(1);
  });

  it('rejects session ids the registry cannot key, with InvalidSessionIdError and no write', async () => {
    const world = await newAgentWorld();
    const agent = await world.start();

    await expect(agent.sessionOpened('')).rejects.toBeInstanceOf(InvalidSessionIdError);
    await expect(agent.sessionOpened('x'.repeat(201))).rejects.toMatchObject({ name: 'InvalidSessionIdError' });
    expect(world.registry.calls('TransactWrite')).toHaveLength(0);
  });

  it('refuses a session once the registry says the task is draining, without counting it', async () => {
    const world = await newAgentWorld();
    const agent = await world.start();
    world.registry.setTask(TASK_ARN, { status: 'DRAINING', drainReason: 'DEPLOYMENT' });

    const outcome = await agent.sessionOpened('late');

    expect(outcome).toBe('refused');
    expect(agent.sessionCount).toBe(0);
    expect(agent.accepting).toBe(false);
    expect(world.registry.sessionIds(TASK_ARN)).toEqual([]);
  });

  it('refuses without a registry call when it already knows the task drains', async () => {
    const world = await newAgentWorld();
    const agent = await world.start({ drainPollSeconds: 0.02 });
    world.registry.setTask(TASK_ARN, { status: 'DRAINING' });
    await vi.waitFor(() => expect(agent.accepting).toBe(false), { timeout: 2_000 });
    const writesBefore = world.registry.calls('TransactWrite').length;

    const outcome = await agent.sessionOpened('late');

    expect(outcome).toBe('refused');
    expect(world.registry.calls('TransactWrite')).toHaveLength(writesBefore);
  });
});

describe('heartbeats', () => {
  const newAgentWorld = agentWorldPerTest();

  it('writes heartbeatAt about once per interval, never more', async () => {
    const world = await newAgentWorld();
    const intervalMs = 100;
    const startedAt = Date.now();
    await world.start({ heartbeatSeconds: intervalMs / 1000 });

    await vi.waitFor(() => expect(world?.registry.heartbeats().length).toBeGreaterThanOrEqual(3), { timeout: 5_000, interval: 10 });
    const elapsed = Date.now() - startedAt;

    expect(world.registry.heartbeats()[0]).toEqual({
      TableName: TABLE,
      Key: { pk: TASK_ARN, sk: 'TASK' },
      UpdateExpression: 'SET heartbeatAt = :now',
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeValues: { ':now': expect.any(Number) },
    });
    // Registration counts as the first beat; n heartbeats need at least n intervals after it.
    expect(elapsed).toBeGreaterThanOrEqual(3 * intervalMs - 5);
    expect(world.registry.heartbeats().length).toBeLessThanOrEqual(Math.floor(elapsed / intervalMs) + 1);
  });

  it('lets session writes stand in for heartbeats on a busy task', async () => {
    const world = await newAgentWorld();
    const intervalMs = 300;
    const agent = await world.start({ heartbeatSeconds: intervalMs / 1000 });
    const startedAt = Date.now();

    // A session write every ~50 ms keeps heartbeatAt fresh for three intervals and more: no
    // separate heartbeat is ever due (a timer alone would have written two or three).
    let index = 0;
    while (Date.now() - startedAt < 3.5 * intervalMs) {
      await agent.sessionOpened(`s-${index}`);
      index += 1;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }

    expect(world.registry.heartbeats()).toHaveLength(0);
    expect(world.registry.calls('TransactWrite')).toHaveLength(index);
  });

  it('registers again when a heartbeat finds its item gone', async () => {
    const world = await newAgentWorld();
    await world.start({ heartbeatSeconds: 0.05 });
    world.registry.items.delete(`${TASK_ARN}|TASK`);

    await vi.waitFor(() => expect(world?.registry.task(TASK_ARN)).toMatchObject({ status: 'ACTIVE' }), { timeout: 5_000 });

    expect(world.registry.calls('Update').filter((input) => String(input.UpdateExpression).startsWith('SET taskArn')).length).toBeGreaterThanOrEqual(2);
  });
});
