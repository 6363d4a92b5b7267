import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it, vi } from 'vitest';
import type { SessionAgent } from '../../src/index.js';
import { startSidecar } from '../../src/sidecar/index.js';
import { TASK_ARN } from './support/fake-ecs-endpoints.js';
import { agentWorldPerTest, recordingLogger, type AgentWorld } from './support/harness.js';
import { connect, type Connection } from './support/ws-client.js';

/*
 * examples/python-session-server, the Python process as it runs in a task, against a real sidecar
 * (in this process, on the fake registry): what the Python app does with each answer of the
 * sidecar's HTTP API. The same pair runs as processes in test/e2e/process-tasks.test.ts.
 */
const SERVER = join(import.meta.dirname, '../../../examples/python-session-server/server.py');
const PYTHON = process.env.PYTHON ?? 'python3';

interface PythonServer {
  child: ChildProcess;
  port: number;
  exited: Promise<number | null>;
  log: string[];
}

async function startPython(sidecarUrl: string): Promise<PythonServer> {
  const child = spawn(PYTHON, ['-u', SERVER], { env: { PATH: process.env.PATH, PORT: '0', HOST: '127.0.0.1', SIDECAR_URL: sidecarUrl }, stdio: ['ignore', 'pipe', 'pipe'] });
  const log: string[] = [];
  createInterface({ input: child.stderr! }).on('line', (line) => log.push(line));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const port = await new Promise<number>((resolve, reject) => {
    child.once('error', (error) => reject(new Error(`cannot run '${PYTHON}' (install Python 3.8+, e.g. apt-get install python3, or set PYTHON): ${error.message}`)));
    createInterface({ input: child.stdout! }).once('line', (line) => resolve((JSON.parse(line) as { listening: number }).listening));
    void exited.then((code) => reject(new Error(`the Python server exited ${code}:\n${log.join('\n')}`)));
  });
  return { child, port, exited, log };
}

describe('The Python example session server with the sidecar', () => {
  const newAgentWorld = agentWorldPerTest();

  async function setUp(options: { deadlineLeadMs?: number; sidecarUrl?: string } = {}) {
    const world: AgentWorld = await newAgentWorld();
    const agent: SessionAgent = await world.start({ drainPollSeconds: 0.05 });
    const sidecar = await startSidecar({ agent, port: 0, logger: recordingLogger().logger, onTerminating: () => world.signals.emit('SIGTERM'), ...options });
    const python = await startPython(options.sidecarUrl ?? `http://127.0.0.1:${sidecar.port}`);
    const connections: Connection[] = [];
    const cleanup = world.cleanup;
    world.cleanup = async () => {
      for (const connection of connections) connection.ws.terminate();
      python.child.kill('SIGKILL');
      await python.exited;
      await sidecar.close();
      await cleanup();
    };
    /** A user whose session is open (the handshake done; admission is the first echo). */
    const user = async (sessionId: string) => {
      const connection = connect(python.port, sessionId);
      connections.push(connection);
      await connection.opened;
      return connection;
    };
    return { world, agent, sidecar, python, user };
  }

  it('admits a session once the sidecar counted it, echoes, and counts it out when the user closes', async () => {
    const { world, user } = await setUp();

    const alice = await user('alice');
    const echoed = await alice.echo('hello');
    const counted = world.registry.sessionIds(TASK_ARN);
    alice.ws.close(1000, 'bye');
    const closed = await alice.closed;

    expect(echoed).toBe('hello');
    expect(counted).toEqual(['alice']);
    expect(closed.code).toBe(1000);
    await vi.waitFor(() => expect(world.registry.sessionIds(TASK_ARN)).toEqual([]), { timeout: 5_000 });
  });

  it('turns users away with 1013 once the task drains, and closes open sessions with 1012 and a reconnect hint as the deadline nears', async () => {
    const { world, python, user } = await setUp({ deadlineLeadMs: 1_000 });
    const bob = await user('bob');
    await bob.echo('hi');

    world.registry.setTask(TASK_ARN, { status: 'DRAINING', drainReason: 'DEPLOYMENT', drainDeadline: new Date(Date.now() + 3_000).toISOString() });
    await vi.waitFor(async () => expect((await fetch(`http://127.0.0.1:${python.port}/healthz`)).status).toBe(503), { timeout: 5_000, interval: 50 });
    const late = await (await user('late')).closed;
    const stillServed = await bob.echo('still here');
    const graceful = await bob.closed;

    expect(late).toEqual({ code: 1013, reason: 'try another server' });
    expect(stillServed).toBe('still here');
    expect(graceful.code).toBe(1012);
    expect(JSON.parse(graceful.reason)).toEqual({ reconnect: true, retryAfterMs: 1000 });
    await vi.waitFor(() => expect(world.registry.task(TASK_ARN)?.sessionCount).toBe(0), { timeout: 5_000 });
  });

  it('on SIGTERM refuses new sessions, serves the open one, tells the sidecar, and exits 0 after the last one closed', async () => {
    const { agent, python, user } = await setUp();
    const carol = await user('carol');
    await carol.echo('hi');

    python.child.kill('SIGTERM');
    await vi.waitFor(() => expect(agent.state).toBe('terminating'), { timeout: 5_000, interval: 20 });
    const late = await (await user('late')).closed;
    const stillServed = await carol.echo('still here');
    const runningWithOneOpen = python.child.exitCode === null;
    carol.ws.close(1000);
    const code = await python.exited;

    expect(late.code).toBe(1013);
    expect(stillServed).toBe('still here');
    expect(runningWithOneOpen).toBe(true);
    expect(code).toBe(0);
    expect(agent.sessionCount).toBe(0);
  });

  it('admits users when the sidecar cannot be reached: a sidecar outage is no user outage', async () => {
    const { user } = await setUp({ sidecarUrl: 'http://127.0.0.1:9' });

    const dave = await user('dave');

    expect(await dave.echo('anyone?')).toBe('anyone?');
  });

  it('announces its open sessions again to a sidecar that restarted', async () => {
    const { world, sidecar, user } = await setUp();
    const erin = await user('erin');
    await erin.echo('hi');
    await sidecar.close();

    const agent = await world.start({ drainPollSeconds: 0.05 });
    const restarted = await startSidecar({ agent, port: sidecar.port, logger: recordingLogger().logger, onTerminating: () => undefined });
    try {
      await vi.waitFor(() => expect(agent.sessionCount).toBe(1), { timeout: 10_000, interval: 50 });
    } finally {
      await restarted.close();
    }
    expect(await erin.echo('still here')).toBe('still here');
  }, 15_000);
});
