import { describe, expect, it, vi } from 'vitest';
import type { RegistryCallError } from '../../src/index.js';
import { TASK_ARN } from './support/fake-ecs-endpoints.js';
import { agentWorldPerTest } from './support/harness.js';

const BUDGET_MS = 300;

describe('an unreachable registry', () => {
  const newAgentWorld = agentWorldPerTest();

  it('lets start() resolve after one bounded register attempt, then registers in the background', async () => {
    const world = await newAgentWorld();
    world.registry.mode = 'hang';
    const startedAt = Date.now();

    const agent = await world.start({ registryTimeoutMs: BUDGET_MS });
    const tookMs = Date.now() - startedAt;
    world.registry.mode = 'up';

    expect(tookMs).toBeLessThan(BUDGET_MS + 1_500);
    expect(agent.state).toBe('active');
    await vi.waitFor(() => expect(world?.registry.task(TASK_ARN)).toMatchObject({ status: 'ACTIVE' }), { timeout: 5_000 });
  });

  it('allows a session within one call budget when the registry hangs, and counts it once the registry is back', async () => {
    const world = await newAgentWorld();
    const agent = await world.start({ registryTimeoutMs: BUDGET_MS });
    const errors: RegistryCallError[] = [];
    agent.on('registry-error', (error) => errors.push(error));
    world.registry.mode = 'hang';
    const openedAt = Date.now();

    const outcome = await agent.sessionOpened('s-1');
    const tookMs = Date.now() - openedAt;
    world.registry.mode = 'up';

    expect(outcome).toBe('opened-unregistered');
    expect(tookMs).toBeLessThan(BUDGET_MS + 1_000);
    expect(agent.sessionCount).toBe(1);
    expect(errors[0]).toMatchObject({ name: 'RegistryCallError', operation: 'open session s-1', cause: { name: 'CallTimeoutError' } });
    await vi.waitFor(() => expect(world?.registry.task(TASK_ARN)?.sessionCount).toBe(1), { timeout: 5_000 });
    expect(world.registry.sessionIds(TASK_ARN)).toEqual(['s-1']);
  });

  it('never blocks a close on a refusing registry, and writes it once the registry is back', async () => {
    const world = await newAgentWorld();
    const agent = await world.start({ registryTimeoutMs: BUDGET_MS });
    await agent.sessionOpened('s-1');
    world.registry.mode = 'down';
    const closedAt = Date.now();

    await agent.sessionClosed('s-1');
    const tookMs = Date.now() - closedAt;
    const countWhileDown = world.registry.task(TASK_ARN)?.sessionCount;
    world.registry.mode = 'up';

    expect(tookMs).toBeLessThan(BUDGET_MS + 1_000);
    expect(agent.sessionCount).toBe(0);
    expect(countWhileDown).toBe(1);
    await vi.waitFor(() => expect(world?.registry.task(TASK_ARN)?.sessionCount).toBe(0), { timeout: 5_000 });
  });

  it('writes a close even when it cannot know whether the failed open landed', async () => {
    const world = await newAgentWorld();
    const agent = await world.start({ registryTimeoutMs: BUDGET_MS });
    world.registry.mode = 'down';
    await agent.sessionOpened('s-1');

    await agent.sessionClosed('s-1');
    world.registry.mode = 'up';

    // The open may or may not have landed while the registry refused; either way the count ends at zero.
    await vi.waitFor(() => expect(world?.registry.calls('TransactWrite').some((input) => JSON.stringify(input).includes('"Delete"'))).toBe(true), { timeout: 5_000 });
    expect(world.registry.task(TASK_ARN)?.sessionCount).toBe(0);
    expect(world.registry.sessionIds(TASK_ARN)).toEqual([]);
  });

  it('counts a session opened before the task item exists once registration lands', async () => {
    const world = await newAgentWorld();
    world.registry.mode = 'down';
    const agent = await world.start({ registryTimeoutMs: BUDGET_MS });
    world.registry.mode = 'up';

    const outcome = await agent.sessionOpened('early');

    expect(['opened', 'opened-unregistered']).toContain(outcome);
    await vi.waitFor(() => expect(world?.registry.task(TASK_ARN)?.sessionCount).toBe(1), { timeout: 5_000 });
  });

  it('never lets a failed background write surface as an unhandled rejection', async () => {
    const world = await newAgentWorld();
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const agent = await world.start({ registryTimeoutMs: 50, heartbeatSeconds: 0.02, drainPollSeconds: 0.02 });
      world.registry.mode = 'down';
      await agent.sessionOpened('a');
      await agent.sessionClosed('a');
      world.registry.mode = 'hang';
      await agent.sessionOpened('b');
      await vi.waitFor(() => expect(world?.lines.filter((line) => line.level === 'warn').length).toBeGreaterThan(10), { timeout: 5_000 });
      await agent.stop();
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }

    expect(unhandled).toEqual([]);
  });
});
