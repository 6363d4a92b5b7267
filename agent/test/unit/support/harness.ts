import { afterEach } from 'vitest';
import { EventEmitter } from 'node:events';
import { SessionAgent, type AgentLogger, type SessionAgentOptions } from '../../../src/index.js';
import { startFakeEcsEndpoints, type FakeEcsEndpoints } from './fake-ecs-endpoints.js';
import { FakeRegistry, TABLE } from './fake-registry.js';

export interface LogLine {
  level: string;
  message: string;
  fields?: Record<string, unknown>;
}

export function recordingLogger(): { logger: AgentLogger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at = (level: string) => (message: string, fields?: Record<string, unknown>) => void lines.push({ level, message, ...(fields ? { fields } : {}) });
  return { lines, logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') } };
}

/** Everything one agent test needs; `cleanup` stops what was started (agents, endpoints, the mock). */
export interface AgentWorld {
  endpoints: FakeEcsEndpoints;
  registry: FakeRegistry;
  signals: EventEmitter;
  lines: LogLine[];
  start(options?: SessionAgentOptions): Promise<SessionAgent>;
  cleanup(): Promise<void>;
}

export async function agentWorld(): Promise<AgentWorld> {
  const endpoints = await startFakeEcsEndpoints();
  const registry = new FakeRegistry();
  const signals = new EventEmitter();
  const { logger, lines } = recordingLogger();
  const agents: SessionAgent[] = [];
  return {
    endpoints,
    registry,
    signals,
    lines,
    async start(options = {}) {
      const agent = await SessionAgent.start({
        env: {},
        tableName: TABLE,
        metadataUri: endpoints.metadataUri,
        dynamoDb: registry.client,
        logger,
        signalSource: signals,
        // Long defaults keep tests that are not about heartbeats or polling free of their calls.
        heartbeatSeconds: 3600,
        drainPollSeconds: 3600,
        registryTimeoutMs: 300,
        ...options,
      });
      agents.push(agent);
      return agent;
    },
    async cleanup() {
      for (const agent of agents) await agent.stop();
      registry.restore();
      await endpoints.close();
    },
  };
}

/**
 * For a describe block whose tests each build one world: registers the cleanup that ends the
 * world's agents and fakes after every test, and returns what builds it.
 */
export function agentWorldPerTest(): () => Promise<AgentWorld> {
  let world: AgentWorld | undefined;
  afterEach(async () => {
    await world?.cleanup();
    world = undefined;
  });
  return async () => (world = await agentWorld());
}

/** Resolves with the arguments of the next `event`, or rejects after timeoutMs. */
export function nextEvent<T extends unknown[]>(emitter: EventEmitter | SessionAgent, event: string, timeoutMs = 5_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no '${event}' within ${timeoutMs} ms`)), timeoutMs);
    (emitter as EventEmitter).once(event, (...args: unknown[]) => {
      clearTimeout(timer);
      resolve(args as T);
    });
  });
}
