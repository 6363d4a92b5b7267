import { EventEmitter } from 'node:events';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SessionAgent, type DrainNotice } from '../../src/index.js';
import { readTask } from '../../src/registry.js';
import { CloseCode, startSessionServer, type RunningSessionServer } from '../../../examples/session-server/session-server.js';
import { motoClientConfig } from '../../../test/support/aws.js';
import { createRegistryTable, type RegistryTable } from '../../../test/support/registry-table.js';
import { startFakeEcsEndpoints, TASK_ARN, type FakeEcsEndpoints } from '../unit/support/fake-ecs-endpoints.js';
import { recordingLogger } from '../unit/support/harness.js';
import { markDraining } from './support/orchestrator-writes.js';
import { connect, type Connection } from '../unit/support/ws-client.js';

/**
 * The session agent and the example WebSocket server against real DynamoDB semantics (moto, the
 * table as template.yaml defines it): the contract's conditional writes, not a mock, decide what
 * is counted and what is refused. Only the ECS endpoints are fakes (real HTTP on localhost).
 */
describe('session agent with the example server on moto DynamoDB', () => {
  const POLL_MS = 200;
  let endpoints: FakeEcsEndpoints | undefined;
  let server: RunningSessionServer | undefined;
  let agent: SessionAgent | undefined;
  const connections: Connection[] = [];

  afterEach(async () => {
    for (const connection of connections.splice(0)) connection.ws.terminate();
    await server?.close();
    await agent?.stop();
    await endpoints?.close();
  });

  function open(port: number, sessionId: string): Connection {
    const connection = connect(port, sessionId);
    connections.push(connection);
    return connection;
  }

  async function registryCount(registry: RegistryTable): Promise<number | undefined> {
    return (await readTask(registry, TASK_ARN))?.sessionCount;
  }

  it('refuses new sessions within a poll interval of DRAINING while the open ones run to their end', async () => {
    const registry = await createRegistryTable('agent');
    endpoints = await startFakeEcsEndpoints();
    agent = await SessionAgent.start({
      env: {},
      tableName: registry.tableName,
      metadataUri: endpoints.metadataUri,
      serviceName: 'chat',
      dynamoDb: new DynamoDBClient(motoClientConfig()),
      drainPollSeconds: POLL_MS / 1000,
      heartbeatSeconds: 60,
      signalSource: new EventEmitter(),
      logger: recordingLogger().logger,
    });
    server = await startSessionServer({ agent, port: 0, host: '127.0.0.1', log: () => undefined });
    const port = server.port;

    const users = ['u1', 'u2', 'u3'].map((id) => open(port, id));
    await Promise.all(users.map((user) => user.opened));
    await vi.waitFor(async () => expect(await registryCount(registry)).toBe(3), { timeout: 10_000, interval: 50 });
    expect(await readTask(registry, TASK_ARN)).toMatchObject({ status: 'ACTIVE', serviceName: 'chat', clusterArn: expect.stringContaining(':cluster/sessions') });

    // What the orchestrator's drain does to the item.
    const draining = new Promise<DrainNotice>((resolve) => agent?.once('draining', resolve));
    const flippedAt = Date.now();
    await markDraining(registry, TASK_ARN, { reason: 'DEPLOYMENT', deadline: '2099-01-01T00:00:00.000Z' });
    const notice = await draining;
    const noticedAfterMs = Date.now() - flippedAt;
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);

    expect(notice).toMatchObject({ status: 'DRAINING', reason: 'DEPLOYMENT' });
    expect(noticedAfterMs).toBeLessThan(POLL_MS + 2_000);
    expect(agent.accepting).toBe(false);
    expect(health.status).toBe(503);

    const late = await open(port, 'late').closed;
    expect(late).toEqual({ code: CloseCode.TryAgainLater, reason: 'try another server' });
    expect(await Promise.all(users.map((user, index) => user.echo(`still ${index}`)))).toEqual(['still 0', 'still 1', 'still 2']);
    expect(await registryCount(registry)).toBe(3);

    for (const user of users) user.ws.close(1000);
    await vi.waitFor(() => expect(agent?.sessionCount).toBe(0), { timeout: 10_000 });
    await vi.waitFor(async () => expect(await registryCount(registry)).toBe(0), { timeout: 10_000, interval: 50 });
    expect(await readTask(registry, TASK_ARN)).toMatchObject({ status: 'DRAINING', sessionCount: 0 });
  });
});
