import { describe, expect, it, vi } from 'vitest';
import { TASK_ARN } from './support/fake-ecs-endpoints.js';
import { agentWorldPerTest, nextEvent } from './support/harness.js';

/**
 * The orchestrator stopped working (issue 12, "Orchestrator outage"): a DRAINING task whose
 * deadline passed long ago, never stopped, must not refuse users for good.
 */
describe('a drain the orchestrator abandoned', () => {
  const newAgentWorld = agentWorldPerTest();

  it('takes sessions again once the deadline passed more than the grace ago, and says why', async () => {
    // prepare: a drain whose deadline passed an hour ago; the grace is 30 minutes
    const world = await newAgentWorld();
    const agent = await world.start({ drainPollSeconds: 0.02, abandonedDrainGraceSeconds: 1800 });
    await agent.sessionOpened('before');
    const drainDeadline = new Date(Date.now() - 3600_000).toISOString();

    // act
    const resumed = nextEvent<[]>(agent, 'resumed');
    world.registry.setTask(TASK_ARN, { status: 'DRAINING', drainReason: 'DEPLOYMENT', drainDeadline });
    await resumed;
    const outcome = await agent.sessionOpened('after');

    // assert: accepting, the new session held uncounted (the registry refuses a DRAINING task's sessions), the old one still counted
    expect(agent.accepting).toBe(true);
    expect(agent.health()).toEqual({ healthy: true, state: 'active', sessions: 2 });
    expect(outcome).toBe('opened-unregistered');
    expect(world.registry.task(TASK_ARN)?.sessionCount).toBe(1);
    expect(world.lines.filter((line) => line.level === 'warn' && line.message.startsWith('drain abandoned'))).toEqual([
      {
        level: 'warn',
        message: 'drain abandoned: its deadline passed long ago and the task was not stopped, so the orchestrator is not acting; accepting sessions again',
        fields: { drainDeadline, reason: 'DEPLOYMENT', graceSeconds: 1800 },
      },
    ]);
    await agent.sessionClosed('after');
    await agent.sessionClosed('before');
    expect(world.registry.task(TASK_ARN)?.sessionCount).toBe(0);
  });

  it('keeps refusing while the deadline is within the grace: the orchestrator may still be on its way', async () => {
    // prepare: the deadline passed ten minutes ago; the grace is 30 minutes
    const world = await newAgentWorld();
    const agent = await world.start({ drainPollSeconds: 0.02, abandonedDrainGraceSeconds: 1800 });
    const draining = nextEvent(agent, 'draining');

    // act
    world.registry.setTask(TASK_ARN, { status: 'DRAINING', drainReason: 'SCALE_IN', drainDeadline: new Date(Date.now() - 600_000).toISOString() });
    await draining;
    const reads = world.registry.calls('Get').length;
    await vi.waitFor(() => expect(world.registry.calls('Get').length).toBeGreaterThan(reads + 2), { timeout: 2_000 });

    // assert
    expect(agent.accepting).toBe(false);
    expect(await agent.sessionOpened('s-1')).toBe('refused');
  });

  it('drains again when the orchestrator comes back and moves the item on', async () => {
    // prepare: an abandoned drain the agent took sessions again for
    const world = await newAgentWorld();
    const agent = await world.start({ drainPollSeconds: 0.02, abandonedDrainGraceSeconds: 1800 });
    const resumed = nextEvent<[]>(agent, 'resumed');
    world.registry.setTask(TASK_ARN, { status: 'DRAINING', drainReason: 'SPOT', drainDeadline: new Date(Date.now() - 3600_000).toISOString() });
    await resumed;

    // act: the reconciler restarts the drain; its workflow stops the task
    const draining = nextEvent(agent, 'draining');
    world.registry.setTask(TASK_ARN, { status: 'STOPPING' });
    await draining;

    // assert
    expect(agent.accepting).toBe(false);
    expect(agent.state).toBe('draining');
  });
});
