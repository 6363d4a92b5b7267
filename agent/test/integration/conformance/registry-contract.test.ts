import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeEach, describe, expect, inject, it, vi } from 'vitest';
import { readTask } from '../../../src/registry.js';
import { createRegistryTable, type RegistryTable } from '../../../../test/support/registry-table.js';
import { CLUSTER_ARN, startFakeEcsEndpoints, TASK_ARN, type FakeEcsEndpoints } from '../../unit/support/fake-ecs-endpoints.js';
import { libraryClient, sidecarClient, type ClientSetup, type ContractClient, type NoticeType } from './clients.js';
import { startRegistryLink, type RegistryLink } from './registry-link.js';
import { markDraining } from '../support/orchestrator-writes.js';

/*
 * The registry contract's task side, end to end against moto's DynamoDB (the table of
 * template.yaml): one suite, run against the Node library and against the sidecar's HTTP API
 * (its `bin` as a real process). README "How a task integrates" points here: a client in another
 * language conforms when it passes this suite through a ContractClient of its own (clients.ts).
 */
const REGISTRY_TIMEOUT_MS = 1500;
const CLIENTS: Array<[string, (setup: ClientSetup) => Promise<ContractClient>]> = [
  ['the Node library', libraryClient],
  ['the sidecar HTTP API', sidecarClient],
];

describe.each(CLIENTS)('Registry contract conformance: %s', (_name, startClient) => {
  let registry: RegistryTable;
  let endpoints: FakeEcsEndpoints;
  let link: RegistryLink;
  let client: ContractClient | undefined;

  beforeEach(async () => {
    registry = await createRegistryTable('conformance');
    endpoints = await startFakeEcsEndpoints();
    link = await startRegistryLink(inject('motoEndpoint'));
  });

  afterEach(async () => {
    await client?.stop();
    client = undefined;
    await link.close();
    await endpoints.close();
  });

  const start = async (): Promise<ContractClient> =>
    (client = await startClient({
      tableName: registry.tableName,
      metadataUri: endpoints.metadataUri,
      registryEndpoint: link.endpoint,
      serviceName: 'chat',
      heartbeatSeconds: 1,
      drainPollSeconds: 0.2,
      registryTimeoutMs: REGISTRY_TIMEOUT_MS,
    }));
  const task = () => readTask(registry, TASK_ARN);
  const sessionItem = async (sessionId: string) =>
    (await registry.ddb.send(new GetCommand({ TableName: registry.tableName, Key: { pk: TASK_ARN, sk: `SESSION#${sessionId}` }, ConsistentRead: true }))).Item;
  const registryCount = async () => (await task())?.sessionCount;
  const notice = (type: NoticeType) => client?.notices.find((candidate) => candidate.type === type);
  const waitForNotice = (type: NoticeType) => vi.waitFor(() => expect(notice(type), `a '${type}' notice`).toBeDefined(), { timeout: 10_000, interval: 50 });

  it('registers the task under its ECS task metadata v4 identity and heartbeats while it holds no session', async () => {
    await start();
    const first = await task();
    await vi.waitFor(async () => expect((await task())?.heartbeatAt).toBeGreaterThan(first?.heartbeatAt ?? 0), { timeout: 10_000, interval: 200 });

    expect(first).toMatchObject({
      taskArn: TASK_ARN,
      clusterArn: CLUSTER_ARN,
      serviceName: 'chat',
      serviceTask: `chat#${TASK_ARN}`,
      taskDefinitionArn: 'arn:aws:ecs:us-east-1:111122223333:task-definition/chat:7',
      status: 'ACTIVE',
      sessionCount: 0,
    });
    expect(await client!.status()).toEqual({ state: 'active', accepting: true, sessions: 0, healthy: true });
  });

  it('counts a session once however often it is opened, and out once however often it is closed', async () => {
    const agent = await start();

    const outcomes = [await agent.open('user-1'), await agent.open('user-1'), await agent.open('user-2')];
    const afterOpens = { count: await registryCount(), local: (await agent.status()).sessions, item: await sessionItem('user-1') };
    await agent.close('user-1');
    await agent.close('user-1');
    await agent.close('never-opened');

    expect(outcomes).toEqual(['opened', 'opened', 'opened']);
    expect(afterOpens).toMatchObject({ count: 2, local: 2, item: { pk: TASK_ARN, sk: 'SESSION#user-1' } });
    expect(await registryCount()).toBe(1);
    expect(await sessionItem('user-1')).toBeUndefined();
    expect((await agent.status()).sessions).toBe(1);
  });

  it('turns new sessions away once the task is DRAINING, tells why and by when, and lets the open ones run and close', async () => {
    const agent = await start();
    await agent.open('open-before');
    const deadline = new Date(Date.now() + 600_000).toISOString();

    await markDraining(registry, TASK_ARN, { reason: 'DEPLOYMENT', deadline });
    await waitForNotice('deadline');
    const late = await agent.open('late');
    const again = await agent.open('open-before');
    const status = await agent.status();

    expect(notice('draining')?.detail).toMatchObject({ source: 'registry', status: 'DRAINING', reason: 'DEPLOYMENT', deadline });
    expect(notice('deadline')?.detail).toMatchObject({ source: 'drain', reason: 'DEPLOYMENT', deadline });
    expect(late).toBe('refused');
    expect(again).toBe('opened');
    expect(status).toEqual({ state: 'draining', accepting: false, sessions: 1, healthy: false });
    expect(await sessionItem('late')).toBeUndefined();
    expect(await registryCount()).toBe(1);

    await agent.close('open-before');
    expect(await registryCount()).toBe(0);
    expect(await task()).toMatchObject({ status: 'DRAINING', sessionCount: 0 });
  });

  it('on SIGTERM refuses new sessions, serves the open ones, and is done only once the last one closed', async () => {
    const agent = await start();
    await agent.open('a');
    await agent.open('b');

    agent.sigterm();
    await waitForNotice('terminating');
    const refused = await agent.open('c');
    const during = await agent.status();
    await agent.close('a');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const finishedWithOneOpen = agent.isFinished;
    await agent.close('b');
    const ending = await agent.finished();

    expect(notice('terminating')?.detail).toMatchObject({ orchestrated: false });
    expect(refused).toBe('refused');
    expect(during).toMatchObject({ state: 'terminating', accepting: false, sessions: 2, healthy: false });
    expect(finishedWithOneOpen).toBe(false);
    expect(ending).toBe('idle');
    expect(await registryCount()).toBe(0);
  });

  it('never keeps a user waiting longer than one call budget while the registry is unreachable, and writes the sessions once it is back', async () => {
    const agent = await start();

    link.cut();
    const openedAt = Date.now();
    const outcome = await agent.open('during-outage');
    const openMs = Date.now() - openedAt;
    const status = await agent.status();
    link.restore();
    await vi.waitFor(async () => expect(await registryCount()).toBe(1), { timeout: 20_000, interval: 200 });
    link.cut();
    const closedAt = Date.now();
    await agent.close('during-outage');
    const closeMs = Date.now() - closedAt;
    link.restore();

    expect(outcome).toBe('opened-unregistered');
    expect(openMs).toBeLessThan(REGISTRY_TIMEOUT_MS + 1000);
    expect(status).toEqual({ state: 'active', accepting: true, sessions: 1, healthy: true });
    expect(closeMs).toBeLessThan(REGISTRY_TIMEOUT_MS + 1000);
    await vi.waitFor(async () => expect(await registryCount()).toBe(0), { timeout: 20_000, interval: 200 });
    expect(await sessionItem('during-outage')).toBeUndefined();
  });
});
