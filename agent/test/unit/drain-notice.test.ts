import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it, vi } from 'vitest';
import type { DeadlineNotice, DrainNotice, SessionAgent, TerminationNotice } from '../../src/index.js';
import { TASK_ARN } from './support/fake-ecs-endpoints.js';
import { agentWorldPerTest, nextEvent } from './support/harness.js';

/** What a load balancer's health check sees, through a real HTTP request. */
async function healthOf(handler: ReturnType<SessionAgent['healthHandler']>): Promise<{ status: number; body: unknown }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    const response = await fetch(`http://127.0.0.1:${port}/healthz`);
    return { status: response.status, body: await response.json() };
  } finally {
    server.close();
  }
}

describe('drain notice', () => {
  const newAgentWorld = agentWorldPerTest();

  it('stops accepting within one poll interval of the item leaving ACTIVE; open sessions go on', async () => {
    const world = await newAgentWorld();
    const pollMs = 100;
    const agent = await world.start({ drainPollSeconds: pollMs / 1000 });
    await agent.sessionOpened('s-1');
    const healthyBefore = await healthOf(agent.healthHandler());
    const deadline = '2026-03-01T13:00:00.000Z';
    const draining = nextEvent<[DrainNotice]>(agent, 'draining');
    const flippedAt = Date.now();

    world.registry.setTask(TASK_ARN, { status: 'DRAINING', drainReason: 'DEPLOYMENT', drainDeadline: deadline });
    const [notice] = await draining;
    const noticedAfterMs = Date.now() - flippedAt;

    expect(healthyBefore).toEqual({ status: 200, body: { healthy: true, state: 'active', sessions: 1 } });
    expect(notice).toEqual({ source: 'registry', status: 'DRAINING', reason: 'DEPLOYMENT', deadline: new Date(deadline) });
    // One interval plus one read; generous for a loaded machine, far below the 5 s default.
    expect(noticedAfterMs).toBeLessThan(pollMs + 1_000);
    expect(agent.accepting).toBe(false);
    expect(agent.state).toBe('draining');
    expect(agent.drainSignal.aborted).toBe(true);
    expect(agent.drainSignal.reason).toEqual(notice);
    expect(await healthOf(agent.healthHandler())).toEqual({ status: 503, body: { healthy: false, state: 'draining', sessions: 1 } });
    expect(agent.sessionCount).toBe(1);
    await agent.sessionClosed('s-1');
    expect(world.registry.task(TASK_ARN)?.sessionCount).toBe(0);
  });

  it("emits 'draining' once, and 'deadline' for a known drainDeadline, again only when it moves earlier", async () => {
    const world = await newAgentWorld();
    const agent = await world.start({ drainPollSeconds: 0.02 });
    const drainings: DrainNotice[] = [];
    const deadlines: DeadlineNotice[] = [];
    agent.on('draining', (notice) => drainings.push(notice));
    agent.on('deadline', (notice) => deadlines.push(notice));

    world.registry.setTask(TASK_ARN, { status: 'DRAINING', drainReason: 'INSTANCE', drainDeadline: '2026-03-01T13:00:00Z' });
    await vi.waitFor(() => expect(deadlines).toHaveLength(1), { timeout: 2_000 });
    world.registry.setTask(TASK_ARN, { drainDeadline: '2026-03-01T14:00:00Z' });
    const reads = world.registry.calls('Get').length;
    await vi.waitFor(() => expect(world?.registry.calls('Get').length).toBeGreaterThan(reads + 2), { timeout: 2_000 });
    world.registry.setTask(TASK_ARN, { drainDeadline: '2026-03-01T12:30:00Z' });
    await vi.waitFor(() => expect(deadlines).toHaveLength(2), { timeout: 2_000 });

    expect(drainings).toHaveLength(1);
    expect(deadlines).toEqual([
      { deadline: new Date('2026-03-01T13:00:00Z'), reason: 'INSTANCE', source: 'drain' },
      { deadline: new Date('2026-03-01T12:30:00Z'), reason: 'INSTANCE', source: 'drain' },
    ]);
  });

  it('gives a Spot drain without drainDeadline the two-minute warning as its deadline', async () => {
    const world = await newAgentWorld();
    const agent = await world.start({ drainPollSeconds: 0.02 });
    const before = Date.now();

    const deadline = nextEvent<[DeadlineNotice]>(agent, 'deadline');
    world.registry.setTask(TASK_ARN, { status: 'DRAINING', drainReason: 'SPOT' });
    const [notice] = await deadline;

    expect(notice.source).toBe('spot');
    expect(notice.reason).toBe('SPOT');
    expect(notice.deadline.getTime()).toBeGreaterThanOrEqual(before + 120_000);
    expect(notice.deadline.getTime()).toBeLessThanOrEqual(Date.now() + 120_000);
  });

  it('accepts again, with a fresh drainSignal, when an operator cancels the drain before SIGTERM', async () => {
    const world = await newAgentWorld();
    const agent = await world.start({ drainPollSeconds: 0.02 });
    world.registry.setTask(TASK_ARN, { status: 'DRAINING', drainReason: 'MANUAL' });
    await nextEvent(agent, 'draining');
    const oldSignal = agent.drainSignal;

    const resumed = nextEvent(agent, 'resumed');
    world.registry.setTask(TASK_ARN, { status: 'ACTIVE' });
    await resumed;

    expect(oldSignal.aborted).toBe(true);
    expect(agent.drainSignal.aborted).toBe(false);
    expect(agent.accepting).toBe(true);
    expect(await agent.sessionOpened('after-cancel')).toBe('opened');
  });
});

describe('SIGTERM', () => {
  const newAgentWorld = agentWorldPerTest();

  it('stops accepting at once, keeps serving, and reports an orchestrated stop with the drain deadline', async () => {
    const world = await newAgentWorld();
    const agent = await world.start();
    await agent.sessionOpened('s-1');
    world.registry.setTask(TASK_ARN, { status: 'DRAINING', drainReason: 'SPOT', drainDeadline: '2026-03-01T12:02:00Z' });
    const terminating = nextEvent<[TerminationNotice]>(agent, 'terminating');
    const deadline = nextEvent<[DeadlineNotice]>(agent, 'deadline');

    world.signals.emit('SIGTERM');
    const acceptingRightAfter = agent.accepting;
    const [notice] = await terminating;
    const [hard] = await deadline;

    expect(acceptingRightAfter).toBe(false);
    expect(agent.state).toBe('terminating');
    expect(agent.drainSignal.aborted).toBe(true);
    expect(notice).toEqual({ orchestrated: true, reason: 'SPOT', deadline: new Date('2026-03-01T12:02:00Z') });
    expect(hard).toEqual({ deadline: new Date('2026-03-01T12:02:00Z'), reason: 'SPOT', source: 'drain' });
    expect(await agent.sessionOpened('s-2')).toBe('refused');
    expect(agent.sessionCount).toBe(1);
  });

  it("emits 'idle' when the last session closes after SIGTERM, and not before", async () => {
    const world = await newAgentWorld();
    const agent = await world.start();
    await agent.sessionOpened('s-1');
    await agent.sessionOpened('s-2');
    let idle = 0;
    agent.on('idle', () => (idle += 1));

    world.signals.emit('SIGTERM');
    const [notice] = await nextEvent<[TerminationNotice]>(agent, 'terminating');
    await agent.sessionClosed('s-1');
    const idleAfterFirst = idle;
    await agent.sessionClosed('s-2');

    expect(notice.orchestrated).toBe(false);
    expect(idleAfterFirst).toBe(0);
    expect(idle).toBe(1);
    expect(world.registry.task(TASK_ARN)?.sessionCount).toBe(0);
  });

  it("emits 'idle' right after 'terminating' when SIGTERM finds no session", async () => {
    const world = await newAgentWorld();
    const agent = await world.start();
    const order: string[] = [];
    agent.on('terminating', () => order.push('terminating'));
    agent.on('idle', () => order.push('idle'));

    world.signals.emit('SIGTERM');
    await vi.waitFor(() => expect(order).toEqual(['terminating', 'idle']), { timeout: 2_000 });
  });

  it('keeps polling after SIGTERM, so a Spot drain marked after the signal still raises its deadline', async () => {
    const world = await newAgentWorld();
    const agent = await world.start({ drainPollSeconds: 0.05 });
    await agent.sessionOpened('s-1');
    world.signals.emit('SIGTERM');
    const [notice] = await nextEvent<[TerminationNotice]>(agent, 'terminating');

    const deadline = nextEvent<[DeadlineNotice]>(agent, 'deadline');
    world.registry.setTask(TASK_ARN, { status: 'DRAINING', drainReason: 'SPOT', drainDeadline: '2026-03-01T12:02:00Z' });
    const [hard] = await deadline;

    expect(notice.orchestrated).toBe(false);
    expect(hard.deadline).toEqual(new Date('2026-03-01T12:02:00Z'));
    expect(agent.state).toBe('terminating');
  });

  it('turns a configured stopTimeout into a deadline when no drain gives one', async () => {
    const world = await newAgentWorld();
    const agent = await world.start({ stopTimeoutSeconds: 30 });
    await agent.sessionOpened('s-1');
    const before = Date.now();

    world.signals.emit('SIGTERM');
    const [notice] = await nextEvent<[TerminationNotice]>(agent, 'terminating');

    expect(notice.deadline?.getTime()).toBeGreaterThanOrEqual(before + 30_000);
    expect(notice.deadline?.getTime()).toBeLessThanOrEqual(Date.now() + 30_000);
  });

  it('installs a real process SIGTERM handler only with handleSignals, and removes it on stop', async () => {
    const world = await newAgentWorld();
    const before = process.listeners('SIGTERM');

    const quiet = await world.start({ handleSignals: false, signalSource: undefined });
    const withoutHandler = process.listeners('SIGTERM').length;
    const agent = await world.start({ handleSignals: true, signalSource: undefined });
    const withHandler = process.listeners('SIGTERM').length;
    const terminating = nextEvent<[TerminationNotice]>(agent, 'terminating');
    try {
      process.emit('SIGTERM');
      await terminating;
    } finally {
      await agent.stop();
    }

    expect(withoutHandler).toBe(before.length);
    expect(withHandler).toBe(before.length + 1);
    expect(quiet.state).toBe('active');
    expect(agent.state).toBe('stopped');
    expect(process.listeners('SIGTERM')).toEqual(before);
  });
});
