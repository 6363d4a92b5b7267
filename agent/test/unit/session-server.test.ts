import { afterEach, describe, expect, it, vi } from 'vitest';
import { CloseCode, reconnectReason, startSessionServer, type RunningSessionServer } from '../../../examples/session-server/session-server.js';
import type { SessionAgent } from '../../src/index.js';
import { TASK_ARN } from './support/fake-ecs-endpoints.js';
import { agentWorld, type AgentWorld } from './support/harness.js';
import { connect, type Connection } from './support/ws-client.js';

describe('example session server', () => {
  let world: AgentWorld | undefined;
  let server: RunningSessionServer | undefined;
  const connections: Connection[] = [];
  afterEach(async () => {
    for (const connection of connections.splice(0)) connection.ws.terminate();
    await server?.close();
    server = undefined;
    await world?.cleanup();
    world = undefined;
  });

  async function serve(agentOptions: Parameters<AgentWorld['start']>[0] = {}, closeLeadMs = 10_000): Promise<{ agent: SessionAgent; server: RunningSessionServer }> {
    world = await agentWorld();
    const agent = await world.start(agentOptions);
    server = await startSessionServer({ agent, port: 0, host: '127.0.0.1', closeLeadMs, log: () => undefined });
    return { agent, server };
  }

  function open(port: number, sessionId?: string): Connection {
    const connection = connect(port, sessionId);
    connections.push(connection);
    return connection;
  }

  it('counts every connection as a session and echoes its messages', async () => {
    const { agent, server } = await serve();

    const first = open(server.port, 'alice');
    const second = open(server.port);
    await Promise.all([first.opened, second.opened]);
    await vi.waitFor(() => expect(agent.sessionCount).toBe(2), { timeout: 2_000 });
    const echoed = await first.echo('hello');
    first.ws.close(1000);
    await vi.waitFor(() => expect(world?.registry.task(TASK_ARN)?.sessionCount).toBe(1), { timeout: 2_000 });

    expect(echoed).toBe('hello');
    expect(world?.registry.sessionIds(TASK_ARN)).toHaveLength(1);
    expect(world?.registry.sessionIds(TASK_ARN)).not.toContain('alice');
  });

  it('refuses a new connection with 1013 once the task drains, and reports 503 on /healthz but stays live on /livez', async () => {
    const { agent, server } = await serve({ drainPollSeconds: 0.02 });
    world?.registry.setTask(TASK_ARN, { status: 'DRAINING', drainReason: 'SCALE_IN' });
    await vi.waitFor(() => expect(agent.accepting).toBe(false), { timeout: 2_000 });

    const late = open(server.port, 'late');
    const closed = await late.closed;
    const health = await fetch(`http://127.0.0.1:${server.port}/healthz`);

    const liveness = await fetch(`http://127.0.0.1:${server.port}/livez`);

    expect(closed).toEqual({ code: CloseCode.TryAgainLater, reason: 'try another server' });
    expect(health.status).toBe(503);
    expect(await health.json()).toEqual({ healthy: false, state: 'draining', sessions: 0 });
    expect(liveness.status).toBe(200);
  });

  it('closes every session with 1012 and a reconnect hint, closeLeadMs before a hard deadline', async () => {
    const { server } = await serve({ drainPollSeconds: 0.02 }, 200);
    const sessions = [open(server.port, 'a'), open(server.port, 'b')];
    await Promise.all(sessions.map((session) => session.opened));
    await vi.waitFor(() => expect(world?.registry.task(TASK_ARN)?.sessionCount).toBe(2), { timeout: 2_000 });
    const deadline = new Date(Date.now() + 600);

    world?.registry.setTask(TASK_ARN, { status: 'DRAINING', drainReason: 'SPOT', drainDeadline: deadline.toISOString() });
    const closes = await Promise.all(sessions.map((session) => session.closed));
    const closedAt = Date.now();

    expect(closes).toEqual([
      { code: CloseCode.ServiceRestart, reason: '{"reconnect":true,"retryAfterMs":1000}' },
      { code: CloseCode.ServiceRestart, reason: '{"reconnect":true,"retryAfterMs":1000}' },
    ]);
    expect(closedAt).toBeGreaterThanOrEqual(deadline.getTime() - 200 - 50);
    await vi.waitFor(() => expect(world?.registry.task(TASK_ARN)?.sessionCount).toBe(0), { timeout: 2_000 });
  });

  it('keeps serving after SIGTERM, refuses new connections, and shuts down when the last session ends', async () => {
    const { agent, server } = await serve();
    const user = open(server.port, 'u');
    await user.opened;
    await vi.waitFor(() => expect(agent.sessionCount).toBe(1), { timeout: 2_000 });
    let shutDown = false;
    void server.closed.then(() => (shutDown = true));

    world?.signals.emit('SIGTERM');
    await vi.waitFor(() => expect(agent.state).toBe('terminating'), { timeout: 2_000 });
    const refused = await open(server.port, 'new').closed;
    const stillEchoing = await user.echo('still here');
    const upWhileServing = !shutDown;
    user.ws.close(1000);
    await server.closed;

    expect(refused.code).toBe(CloseCode.TryAgainLater);
    expect(stillEchoing).toBe('still here');
    expect(upWhileServing).toBe(true);
    expect(agent.state).toBe('stopped');
    expect(world?.registry.task(TASK_ARN)?.sessionCount).toBe(0);
  });

  it('shuts down at once on SIGTERM when no session is open', async () => {
    const { agent, server } = await serve();

    world?.signals.emit('SIGTERM');
    await server.closed;

    expect(agent.state).toBe('stopped');
    await expect(fetch(`http://127.0.0.1:${server.port}/healthz`)).rejects.toThrow();
  });

  it('keeps one session counted when the same session reconnects, replacing the old socket', async () => {
    const { agent, server } = await serve();
    const first = open(server.port, 'same');
    await first.opened;
    await vi.waitFor(() => expect(agent.sessionCount).toBe(1), { timeout: 2_000 });

    const second = open(server.port, 'same');
    const replaced = await first.closed;
    const echoed = await second.echo('again');

    expect(replaced.code).toBe(CloseCode.Replaced);
    expect(echoed).toBe('again');
    expect(agent.sessionCount).toBe(1);
    expect(world?.registry.task(TASK_ARN)?.sessionCount).toBe(1);
  });

  it('loses no message a user sends before the session is admitted', async () => {
    const { server } = await serve();
    const registry = (world as AgentWorld).registry;
    registry.mode = 'hang';
    const user = open(server.port, 'eager');
    await user.opened;

    // The registry is slow: the open waits a call budget while the user already talks.
    const echoed = user.echo('first words');
    registry.mode = 'up';

    expect(await echoed).toBe('first words');
  });

  it('does not close sessions early for a deadline beyond the range of one timer', async () => {
    const { agent, server } = await serve({ drainPollSeconds: 0.02 }, 200);
    const user = open(server.port, 'patient');
    await user.opened;
    const deadline = new Promise((resolve) => agent.once('deadline', resolve));

    world?.registry.setTask(TASK_ARN, { status: 'DRAINING', drainReason: 'MANUAL', drainDeadline: '2099-01-01T00:00:00Z' });
    await deadline;
    const reads = world?.registry.calls('Get').length ?? 0;
    await vi.waitFor(() => expect(world?.registry.calls('Get').length).toBeGreaterThan(reads + 3), { timeout: 2_000 });

    expect(await user.echo('still open')).toBe('still open');
  });

  it('fits the reconnect hint in the 123 bytes a close reason allows', () => {
    expect(Buffer.byteLength(reconnectReason(Number.MAX_SAFE_INTEGER))).toBeLessThanOrEqual(123);
  });
});
