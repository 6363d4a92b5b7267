import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { startSidecar, type RunningSidecar, type SidecarState } from '../../src/sidecar/index.js';
import { sidecarSettings } from '../../src/sidecar/settings.js';
import { SessionAgentConfigError } from '../../src/index.js';
import { TASK_ARN } from './support/fake-ecs-endpoints.js';
import { agentWorldPerTest, recordingLogger } from './support/harness.js';

/*
 * The sidecar's HTTP surface, over real HTTP on localhost, with the agent on the fake registry:
 * what the conformance suite (agent/test/integration/conformance) does not check, namely the
 * long poll, the event stream's deadline-near, the application's SIGTERM and malformed requests.
 */
describe('The sidecar HTTP API', () => {
  const newAgentWorld = agentWorldPerTest();

  async function sidecarOnFakeRegistry(options: { deadlineLeadMs?: number } = {}) {
    const world = await newAgentWorld();
    const agent = await world.start({ drainPollSeconds: 0.05 });
    let terminatingCalls = 0;
    const sidecar: RunningSidecar = await startSidecar({
      agent,
      port: 0,
      logger: recordingLogger().logger,
      onTerminating: () => {
        terminatingCalls += 1;
        world.signals.emit('SIGTERM');
      },
      ...options,
    });
    const base = `http://127.0.0.1:${sidecar.port}`;
    const parts = { world, agent, sidecar, base, terminatingCalls: () => terminatingCalls };
    // Closed before the world's cleanup stops the agent.
    const cleanup = world.cleanup;
    world.cleanup = async () => {
      await sidecar.close();
      await cleanup();
    };
    return parts;
  }

  const getState = async (url: string): Promise<SidecarState> => (await fetch(url)).json() as Promise<SidecarState>;

  it('answers a long poll at once when the version moved, and otherwise when the drain starts', async () => {
    const { world, base } = await sidecarOnFakeRegistry();
    const first = await getState(`${base}/state`);
    const stale = await getState(`${base}/state?wait=5&since=${first.version - 1}`);
    const startedAt = Date.now();

    const waiting = getState(`${base}/state?wait=30&since=${first.version}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
    world.registry.setTask(TASK_ARN, { status: 'DRAINING', drainReason: 'SCALE_IN', drainDeadline: '2099-01-01T00:00:00.000Z' });
    const changed = await waiting;

    expect(first).toMatchObject({ version: 0, state: 'active', accepting: true, sessions: 0, deadlineNear: false, idle: false, task: { taskArn: TASK_ARN } });
    expect(stale.version).toBe(first.version);
    expect(changed.version).toBeGreaterThan(first.version);
    expect(changed).toMatchObject({ state: 'draining', accepting: false, drain: { reason: 'SCALE_IN', status: 'DRAINING', deadline: '2099-01-01T00:00:00.000Z' } });
    expect(Date.now() - startedAt).toBeLessThan(5_000);
  });

  it('answers an unchanged long poll after its wait with the same state', async () => {
    const { base } = await sidecarOnFakeRegistry();
    const startedAt = Date.now();

    const answer = await getState(`${base}/state?wait=0.3&since=0`);

    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(250);
    expect(answer).toMatchObject({ version: 0, state: 'active' });
  });

  it("pushes 'deadline-near' on the event stream the lead before the hard deadline", async () => {
    const { world, base } = await sidecarOnFakeRegistry({ deadlineLeadMs: 10_000 });
    const stream = await fetch(`${base}/events`);
    const reader = stream.body!.getReader();
    const events: string[] = [];
    const decoder = new TextDecoder();
    const reading = (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        events.push(...[...decoder.decode(value).matchAll(/^event: (.*)$/gm)].map((match) => match[1]!));
      }
    })();

    world.registry.setTask(TASK_ARN, { status: 'DRAINING', drainReason: 'SPOT', drainDeadline: new Date(Date.now() + 10_500).toISOString() });
    await vi.waitFor(() => expect(events).toContain('deadline-near'), { timeout: 5_000, interval: 20 });
    const state = await getState(`${base}/state`);
    await reader.cancel();
    await reading;

    expect(stream.headers.get('content-type')).toBe('text/event-stream');
    expect(events).toEqual(['state', 'draining', 'deadline', 'deadline-near']);
    expect(state).toMatchObject({ deadlineNear: true, deadline: { source: 'drain', reason: 'SPOT' } });
  });

  it("takes the application's SIGTERM (POST /terminating) as its own: refuses new sessions, 503 on /healthz, 200 on /livez", async () => {
    const { base, terminatingCalls } = await sidecarOnFakeRegistry();
    await fetch(`${base}/sessions/kept`, { method: 'POST' });

    const accepted = await fetch(`${base}/terminating`, { method: 'POST' });
    await vi.waitFor(async () => expect((await getState(`${base}/state`)).terminating).toBeDefined(), { timeout: 5_000, interval: 20 });
    const refused = await fetch(`${base}/sessions/new`, { method: 'POST' });
    const health = await fetch(`${base}/healthz`);
    const live = await fetch(`${base}/livez`);
    const closed = await fetch(`${base}/sessions/kept`, { method: 'DELETE' });
    const after = await getState(`${base}/state`);

    expect(accepted.status).toBe(202);
    expect(terminatingCalls()).toBe(1);
    expect(refused.status).toBe(409);
    expect(await refused.json()).toMatchObject({ sessionId: 'new', outcome: 'refused', state: 'terminating' });
    expect(health.status).toBe(503);
    expect(live.status).toBe(200);
    expect(closed.status).toBe(204);
    expect(after).toMatchObject({ state: 'terminating', sessions: 0, idle: true, terminating: { orchestrated: false } });
  });

  it('answers malformed requests 400, unknown paths 404 and wrong methods 405, and changes nothing', async () => {
    const { world, base } = await sidecarOnFakeRegistry();
    const tooLong = 'x'.repeat(201);

    const answers = await Promise.all([
      fetch(`${base}/sessions/${tooLong}`, { method: 'POST' }),
      fetch(`${base}/sessions/%E0%A4%A`, { method: 'POST' }),
      fetch(`${base}/state?wait=soon`),
      fetch(`${base}/state?wait=1&since=v2`),
      fetch(`${base}/nowhere`),
      fetch(`${base}/state`, { method: 'DELETE' }),
    ]);

    expect(answers.map((answer) => answer.status)).toEqual([400, 400, 400, 400, 404, 405]);
    expect(await answers[0]!.json()).toMatchObject({ error: 'InvalidSessionId' });
    expect(answers[5]!.headers.get('allow')).toBe('GET');
    expect(world.registry.sessionIds(TASK_ARN)).toEqual([]);
    expect((await getState(`${base}/state`)).sessions).toBe(0);
  });

  it('reads its port, host and deadline lead from the environment, and refuses unusable values', () => {
    expect(sidecarSettings({})).toEqual({ port: 8787, host: '127.0.0.1', deadlineLeadMs: 15_000 });
    expect(sidecarSettings({ SESSION_SIDECAR_PORT: '0', SESSION_SIDECAR_HOST: '0.0.0.0', SESSION_SIDECAR_DEADLINE_LEAD_SECONDS: '0.5' })).toEqual({ port: 0, host: '0.0.0.0', deadlineLeadMs: 500 });
    expect(() => sidecarSettings({ SESSION_SIDECAR_PORT: '80a' })).toThrow(SessionAgentConfigError);
    expect(() => sidecarSettings({ SESSION_SIDECAR_DEADLINE_LEAD_SECONDS: '-1' })).toThrow(SessionAgentConfigError);
  });
});

describe("The sidecar's health-check command (ecs-session-sidecar probe)", () => {
  const newAgentWorld = agentWorldPerTest();
  const BIN = join(import.meta.dirname, '../../dist/sidecar/main.js');
  const probe = (port: number) =>
    new Promise<number | null>((resolve) => {
      const child = spawn(process.execPath, [BIN, 'probe'], { env: { PATH: process.env.PATH, SESSION_SIDECAR_PORT: String(port) }, stdio: 'ignore' });
      child.once('exit', (code) => resolve(code));
    });

  it('exits 0 while the sidecar answers /livez, and 1 once nothing listens on its port', async () => {
    const world = await newAgentWorld();
    const agent = await world.start();
    const sidecar = await startSidecar({ agent, port: 0, logger: recordingLogger().logger, onTerminating: () => undefined });

    const whileServing = await probe(sidecar.port);
    await sidecar.close();
    const afterClose = await probe(sidecar.port);

    expect(whileServing).toBe(0);
    expect(afterClose).toBe(1);
  });
});
