import { afterEach, describe, expect, it, vi } from 'vitest';
import { ProtectionKeeper } from '../../src/protection.js';
import { agentWorld, agentWorldPerTest, recordingLogger, type AgentWorld } from './support/harness.js';

describe('scale-in protection in agent mode', () => {
  const newAgentWorld = agentWorldPerTest();

  it('protects the task with its first session and releases it when the last one closes', async () => {
    const world = await newAgentWorld();
    const agent = await world.start({ protection: 'agent', agentUri: world.endpoints.agentUri, protectionMinutes: 90 });

    await agent.sessionOpened('s-1');
    await agent.sessionOpened('s-2');
    await vi.waitFor(() => expect(world?.endpoints.protectionRequests()).toHaveLength(1), { timeout: 2_000 });
    await agent.sessionClosed('s-1');
    await agent.sessionClosed('s-2');
    await vi.waitFor(() => expect(world?.endpoints.protectionRequests()).toHaveLength(2), { timeout: 2_000 });

    expect(world.endpoints.protectionRequests()).toEqual([{ ProtectionEnabled: true, ExpiresInMinutes: 90 }, { ProtectionEnabled: false }]);
    const put = world.endpoints.requests.find((request) => request.path === '/agent/task-protection/v1/state');
    expect(put?.method).toBe('PUT');
  });

  it('retries a failing endpoint with backoff, never throwing into session handling', async () => {
    const world = await newAgentWorld();
    let calls = 0;
    world.endpoints.respondToProtection(() => {
      calls += 1;
      return calls <= 2 ? { status: 500, body: { error: { Code: 'ServerException', Message: 'agent busy' } } } : { status: 200, body: { protection: { ProtectionEnabled: true } } };
    });
    const agent = await world.start({ protection: 'agent', agentUri: world.endpoints.agentUri });
    const errors: unknown[] = [];
    agent.on('protection-error', (error) => errors.push(error));

    const outcome = await agent.sessionOpened('s-1');
    await vi.waitFor(() => expect(calls).toBe(3), { timeout: 5_000 });

    expect(outcome).toBe('opened');
    expect(errors).toHaveLength(2);
    expect(errors[0]).toMatchObject({ name: 'ProtectionCallError', message: expect.stringContaining('500') });
    expect(world.endpoints.protectionRequests().every((body) => body.ProtectionEnabled === true)).toBe(true);
  });

  it('treats an ECS failure in a 200 answer as a failure', async () => {
    const world = await newAgentWorld();
    world.endpoints.respondToProtection(() => ({ status: 200, body: { failure: { Arn: 'arn:t', Reason: 'DEPLOYMENT_BLOCKED', Detail: null } } }));
    const agent = await world.start({ protection: 'agent', agentUri: world.endpoints.agentUri });
    const errors: unknown[] = [];
    agent.on('protection-error', (error) => errors.push(error));

    await agent.sessionOpened('s-1');

    await vi.waitFor(() => expect(errors.length).toBeGreaterThanOrEqual(1), { timeout: 2_000 });
    expect(errors[0]).toMatchObject({ name: 'ProtectionCallError', reason: 'DEPLOYMENT_BLOCKED' });
  });

  it('never calls the ECS agent endpoint in orchestrator mode (the default)', async () => {
    const world = await newAgentWorld();
    const agent = await world.start({ agentUri: world.endpoints.agentUri });

    await agent.sessionOpened('s-1');
    await agent.sessionClosed('s-1');
    await agent.sessionOpened('s-2');

    expect(world.endpoints.requests.filter((request) => request.path.startsWith('/agent'))).toEqual([]);
  });
});

describe('ProtectionKeeper', () => {
  let world: AgentWorld | undefined;
  const keepers: ProtectionKeeper[] = [];
  afterEach(async () => {
    for (const keeper of keepers.splice(0)) keeper.stop();
    await world?.cleanup();
    world = undefined;
  });

  function keeper(options: Partial<ConstructorParameters<typeof ProtectionKeeper>[0]> = {}): ProtectionKeeper {
    const created = new ProtectionKeeper({
      agentUri: world?.endpoints.agentUri as string,
      fetch,
      minutes: 1,
      timeoutMs: 500,
      backoff: { initialMs: 10, maxMs: 40 },
      logger: recordingLogger().logger,
      ...options,
    });
    keepers.push(created);
    return created;
  }

  it('renews protection before it lapses while sessions are held', async () => {
    world = await agentWorld();
    const protection = keeper({ renewAfterMs: 60 });

    protection.update(1);
    await vi.waitFor(() => expect(world?.endpoints.protectionRequests().length).toBeGreaterThanOrEqual(3), { timeout: 5_000 });
    protection.update(0);
    await vi.waitFor(() => expect(world?.endpoints.protectionRequests().at(-1)).toEqual({ ProtectionEnabled: false }), { timeout: 2_000 });

    const requests = world.endpoints.protectionRequests();
    expect(requests.slice(0, -1).every((body) => body.ProtectionEnabled === true && body.ExpiresInMinutes === 1)).toBe(true);
    expect(protection.protected).toBe(false);
  }, 15_000);

  it('ends up in the wanted state when the count flips while a call is in flight', async () => {
    world = await agentWorld();
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    world.endpoints.respondToProtection(async (request) => {
      await gate;
      return { status: 200, body: { protection: { ProtectionEnabled: (JSON.parse(request.body) as { ProtectionEnabled: boolean }).ProtectionEnabled } } };
    });
    const protection = keeper();

    protection.update(1);
    await vi.waitFor(() => expect(world?.endpoints.protectionRequests()).toHaveLength(1), { timeout: 2_000 });
    protection.update(0);
    protection.update(2);
    protection.update(0);
    release();

    await vi.waitFor(() => expect(world?.endpoints.protectionRequests()).toEqual([{ ProtectionEnabled: true, ExpiresInMinutes: 1 }, { ProtectionEnabled: false }]), { timeout: 2_000 });
    expect(protection.protected).toBe(false);
  });

  it('gives up on a standalone task, which ECS never protects (TASK_NOT_VALID)', async () => {
    world = await agentWorld();
    world.endpoints.respondToProtection(() => ({ status: 400, body: { failure: { Arn: 'arn:t', Reason: 'TASK_NOT_VALID', Detail: 'not part of a service' } } }));
    const { logger, lines } = recordingLogger();
    const protection = keeper({ logger });

    protection.update(1);
    await vi.waitFor(() => expect(lines.some((line) => line.level === 'error')).toBe(true), { timeout: 2_000 });
    protection.update(0);
    protection.update(1);

    expect(world.endpoints.protectionRequests()).toHaveLength(1);
  });
});
