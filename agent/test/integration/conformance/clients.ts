import { type ChildProcess, spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SessionAgent, type AgentState, type OpenOutcome } from '../../../src/index.js';
import { recordingLogger } from '../../unit/support/harness.js';

/** The notices a task side gives its application, in the same JSON shapes for both clients. */
export type NoticeType = 'draining' | 'deadline' | 'terminating' | 'idle';
export interface Notice {
  type: NoticeType;
  detail: Record<string, unknown>;
}

export interface ClientStatus {
  state: AgentState;
  accepting: boolean;
  sessions: number;
  /** The readiness check a load balancer would read: 200 (true) or 503 (false). */
  healthy: boolean;
}

/**
 * One implementation of the registry contract's task side, driven the way an application drives
 * it. The conformance suite runs against each: a third-party client passes by implementing this.
 */
export interface ContractClient {
  open(sessionId: string): Promise<OpenOutcome>;
  close(sessionId: string): Promise<void>;
  status(): Promise<ClientStatus>;
  /** Notices received so far, in order. */
  readonly notices: readonly Notice[];
  /** SIGTERM, as ECS sends it to the container. */
  sigterm(): void;
  /** 'idle' once the task side is done after SIGTERM (the sidecar: idle and its process exited 0); 'exit <code>' otherwise. */
  finished(): Promise<string>;
  readonly isFinished: boolean;
  stop(): Promise<void>;
}

/** What both clients are configured with: the same environment a task definition would give. */
export interface ClientSetup {
  tableName: string;
  metadataUri: string;
  registryEndpoint: string;
  serviceName: string;
  heartbeatSeconds: number;
  drainPollSeconds: number;
  registryTimeoutMs: number;
}

const CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' };

function agentEnvironment(setup: ClientSetup): Record<string, string> {
  return {
    SESSION_REGISTRY_TABLE: setup.tableName,
    ECS_CONTAINER_METADATA_URI_V4: setup.metadataUri,
    SESSION_AGENT_SERVICE_NAME: setup.serviceName,
    SESSION_AGENT_HEARTBEAT_SECONDS: String(setup.heartbeatSeconds),
    SESSION_AGENT_DRAIN_POLL_SECONDS: String(setup.drainPollSeconds),
    SESSION_AGENT_REGISTRY_TIMEOUT_MS: String(setup.registryTimeoutMs),
  };
}

/** The Node library, in this process. */
export async function libraryClient(setup: ClientSetup): Promise<ContractClient> {
  const signals = new EventEmitter();
  const notices: Notice[] = [];
  const agent = await SessionAgent.start({
    env: agentEnvironment(setup),
    dynamoDb: new DynamoDBClient({ endpoint: setup.registryEndpoint, region: 'us-east-1', credentials: CREDENTIALS, maxAttempts: 1 }),
    signalSource: signals,
    logger: recordingLogger().logger,
  });
  agent.on('draining', (notice) => notices.push({ type: 'draining', detail: { ...notice, ...(notice.deadline ? { deadline: notice.deadline.toISOString() } : {}) } }));
  agent.on('deadline', (notice) => notices.push({ type: 'deadline', detail: { ...notice, deadline: notice.deadline.toISOString() } }));
  agent.on('terminating', (notice) => notices.push({ type: 'terminating', detail: { ...notice, ...(notice.deadline ? { deadline: notice.deadline.toISOString() } : {}) } }));
  let markIdle: (ending: string) => void = () => undefined;
  const idle = new Promise<string>((resolve) => (markIdle = resolve));
  let finished = false;
  agent.on('idle', () => {
    notices.push({ type: 'idle', detail: {} });
    finished = true;
    markIdle('idle');
  });
  return {
    notices,
    open: (sessionId) => agent.sessionOpened(sessionId),
    close: (sessionId) => agent.sessionClosed(sessionId),
    status: async () => ({ state: agent.state, accepting: agent.accepting, sessions: agent.sessionCount, healthy: agent.health().healthy }),
    sigterm: () => void signals.emit('SIGTERM'),
    finished: () => idle,
    get isFinished() {
      return finished;
    },
    stop: () => agent.stop(),
  };
}

const SIDECAR_BIN = join(import.meta.dirname, '../../../dist/sidecar/main.js');

/** The sidecar: the package's `bin` as its own process, spoken to over HTTP only. */
export async function sidecarClient(setup: ClientSetup): Promise<ContractClient> {
  const child: ChildProcess = spawn(process.execPath, [SIDECAR_BIN], {
    env: {
      PATH: process.env.PATH,
      ...agentEnvironment(setup),
      SESSION_SIDECAR_PORT: '0',
      AWS_ENDPOINT_URL: setup.registryEndpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
      AWS_MAX_ATTEMPTS: '1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log: string[] = [];
  createInterface({ input: child.stderr! }).on('line', (line) => log.push(line));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const port = await new Promise<number>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', (line) => resolve((JSON.parse(line) as { listening: number }).listening));
    void exited.then((code) => reject(new Error(`the sidecar exited ${code} before listening:\n${log.join('\n')}`)));
  });
  const base = `http://127.0.0.1:${port}`;
  const notices: Notice[] = [];
  const stream = new AbortController();
  void readEvents(`${base}/events`, stream.signal, notices);
  let finished = false;
  const ending = exited.then((code) => {
    finished = true;
    return code === 0 && notices.some((notice) => notice.type === 'idle') ? 'idle' : `exit ${code}`;
  });
  return {
    notices,
    open: async (sessionId) => {
      const response = await fetch(`${base}/sessions/${encodeURIComponent(sessionId)}`, { method: 'POST' });
      const body = (await response.json()) as { outcome: OpenOutcome };
      if (response.status === 409) return 'refused';
      if (response.status !== 201) throw new Error(`POST /sessions answered ${response.status}: ${JSON.stringify(body)}`);
      return body.outcome;
    },
    close: async (sessionId) => {
      const response = await fetch(`${base}/sessions/${encodeURIComponent(sessionId)}`, { method: 'DELETE' });
      if (response.status !== 204) throw new Error(`DELETE /sessions answered ${response.status}`);
    },
    status: async () => {
      const state = (await (await fetch(`${base}/state`)).json()) as { state: AgentState; accepting: boolean; sessions: number };
      const health = await fetch(`${base}/healthz`);
      await health.body?.cancel();
      return { state: state.state, accepting: state.accepting, sessions: state.sessions, healthy: health.status === 200 };
    },
    sigterm: () => void child.kill('SIGTERM'),
    finished: () => ending,
    get isFinished() {
      return finished;
    },
    stop: async () => {
      stream.abort();
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Reads GET /events (server-sent events) into `notices` until the stream ends. */
async function readEvents(url: string, signal: AbortSignal, notices: Notice[]): Promise<void> {
  try {
    const response = await fetch(url, { signal });
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const message = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const type = /^event: (.*)$/m.exec(message)?.[1];
        const data = /^data: (.*)$/m.exec(message)?.[1];
        if (type === undefined || data === undefined) continue;
        const state = JSON.parse(data) as { drain?: Record<string, unknown>; deadline?: { at: string; source: string; reason?: string }; terminating?: Record<string, unknown> };
        if (type === 'draining') notices.push({ type, detail: state.drain ?? {} });
        if (type === 'deadline' && state.deadline) {
          const { at, ...rest } = state.deadline;
          notices.push({ type, detail: { ...rest, deadline: at } });
        }
        if (type === 'terminating') notices.push({ type, detail: state.terminating ?? {} });
        if (type === 'idle') notices.push({ type, detail: {} });
      }
    }
  } catch {
    // The stream ends with the process or the test.
  }
}
