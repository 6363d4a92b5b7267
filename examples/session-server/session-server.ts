import { randomUUID } from 'node:crypto';
import type { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { DeadlineNotice, SessionAgent, SessionAgentEvents } from '@ecs-session-drain/agent';

/**
 * The agent surface the server uses (a SessionAgent; tests may pass a stand-in). The listener
 * methods come from the emitter, not the class, so that the type is structural: the agent's own
 * tests pass an agent built from its sources, whose private fields are another declaration than
 * the published package's.
 */
export type SessionServerAgent = Pick<SessionAgent, 'accepting' | 'sessionCount' | 'sessionOpened' | 'sessionClosed' | 'healthHandler' | 'stop'> &
  Pick<EventEmitter<SessionAgentEvents>, 'on' | 'off'>;

export interface SessionServerOptions {
  agent: SessionServerAgent;
  /** 0 picks a free port. */
  port: number;
  host?: string;
  /** Close sessions gracefully this long before a hard deadline (default 10000). */
  closeLeadMs?: number;
  /** The reconnect hint sent with a graceful close (default 1000). */
  retryAfterMs?: number;
  /** WebSocket ping interval; a peer that misses one is dropped (default 30000). */
  pingIntervalMs?: number;
  log?: (message: string, fields?: Record<string, unknown>) => void;
}

export interface RunningSessionServer {
  readonly port: number;
  /** Open WebSocket sessions. */
  readonly openSessions: number;
  /** Resolves once the server has shut down: after the agent's 'idle', or close(). */
  readonly closed: Promise<void>;
  close(): Promise<void>;
}

/** WebSocket close codes (RFC 6455 and the IANA registry). */
export const CloseCode = {
  /** Service restart: the client should reconnect, to another task. */
  ServiceRestart: 1012,
  /** Try again later: this server takes no new sessions. */
  TryAgainLater: 1013,
  PolicyViolation: 1008,
  InternalError: 1011,
  /** Application code: the same session connected again, this socket is replaced. */
  Replaced: 4000,
} as const;

/** Close reasons are limited to 123 bytes. */
const MAX_CLOSE_REASON_BYTES = 123;

export function reconnectReason(retryAfterMs: number): string {
  const reason = JSON.stringify({ reconnect: true, retryAfterMs });
  if (Buffer.byteLength(reason) > MAX_CLOSE_REASON_BYTES) throw new RangeError('close reason longer than 123 bytes');
  return reason;
}

/** setTimeout fires at once for delays beyond 2^31-1 ms (~24.8 days); far deadlines wait in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

function timerAt(at: number, callback: () => void): { cancel: () => void } {
  let timer: NodeJS.Timeout;
  const arm = () => {
    const delay = at - Date.now();
    timer = setTimeout(delay > MAX_TIMER_MS ? arm : callback, Math.max(0, Math.min(delay, MAX_TIMER_MS)));
    timer.unref();
  };
  arm();
  return { cancel: () => clearTimeout(timer) };
}

function defaultLog(message: string, fields: Record<string, unknown> = {}): void {
  process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), source: 'session-server', message, ...fields })}\n`);
}

/**
 * A WebSocket server where every connection is a session counted through the session agent:
 * new connections are refused (1013) once the task drains, sessions are closed gracefully (1012 +
 * reconnect hint) shortly before a hard deadline, and the server shuts down once the agent reports
 * 'idle' after SIGTERM.
 */
export async function startSessionServer(options: SessionServerOptions): Promise<RunningSessionServer> {
  const { agent } = options;
  const log = options.log ?? defaultLog;
  const closeLeadMs = options.closeLeadMs ?? 10_000;
  const retryAfterMs = options.retryAfterMs ?? 1_000;
  const sockets = new Map<string, WebSocket>();
  const alive = new WeakSet<WebSocket>();
  const health = agent.healthHandler();
  let gracefulClose: { at: number; timer: { cancel: () => void } } | undefined;
  let shuttingDown = false;
  let resolveClosed: () => void = () => undefined;
  const closed = new Promise<void>((resolve) => (resolveClosed = resolve));

  const server: Server = createServer((req, res) => {
    if (req.method === 'GET' || req.method === 'HEAD') {
      const path = new URL(req.url ?? '/', 'http://localhost').pathname;
      // Readiness: 503 once the task drains, so a router stops sending new users here.
      if (path === '/healthz') return health(req, res);
      // Liveness: 200 while the process serves. An ECS service replaces a task its target group
      // reports unhealthy, so the service's health check must not fail just because it drains.
      if (path === '/livez') {
        res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
        return void res.end(req.method === 'HEAD' ? undefined : JSON.stringify({ live: true, sessions: sockets.size }));
      }
    }
    res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"error":"not found"}');
  });
  const wss = new WebSocketServer({ noServer: true });

  server.on('upgrade', (req, socket, head) => {
    if (shuttingDown) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => void connected(ws, req));
  });

  async function connected(ws: WebSocket, req: IncomingMessage): Promise<void> {
    const sessionId = new URL(req.url ?? '/', 'http://localhost').searchParams.get('session') || randomUUID();
    let socketClosed = false;
    ws.on('error', (error) => log('socket error', { sessionId, error: error.message }));
    ws.once('close', () => {
      socketClosed = true;
      if (sockets.get(sessionId) !== ws) return;
      sockets.delete(sessionId);
      void agent.sessionClosed(sessionId);
    });
    // Nothing the user sends is read before the session is admitted (and nothing is lost either).
    ws.pause();
    let outcome: Awaited<ReturnType<SessionServerAgent['sessionOpened']>>;
    try {
      outcome = await agent.sessionOpened(sessionId);
    } catch (error) {
      const invalid = (error as Error).name === 'InvalidSessionIdError';
      ws.resume();
      ws.close(invalid ? CloseCode.PolicyViolation : CloseCode.InternalError, invalid ? 'invalid session id' : 'internal error');
      return;
    }
    if (outcome === 'refused') {
      ws.resume();
      ws.close(CloseCode.TryAgainLater, 'try another server');
      return;
    }
    if (socketClosed) {
      // The user left while the open was being counted; count it out again.
      if (!sockets.has(sessionId)) void agent.sessionClosed(sessionId);
      return;
    }
    const previous = sockets.get(sessionId);
    sockets.set(sessionId, ws);
    // A reconnect of the same session replaces the old socket; the session itself stays counted once.
    if (previous !== undefined && previous !== ws) previous.close(CloseCode.Replaced, 'replaced by a new connection');
    alive.add(ws);
    ws.on('pong', () => alive.add(ws));
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
    ws.resume();
    log('session opened', { sessionId, outcome, sessions: sockets.size });
  }

  const ping = setInterval(() => {
    for (const ws of sockets.values()) {
      if (!alive.has(ws)) {
        ws.terminate();
        continue;
      }
      alive.delete(ws);
      ws.ping();
    }
  }, options.pingIntervalMs ?? 30_000);
  ping.unref();

  function closeAllGracefully(): void {
    gracefulClose = undefined;
    const reason = reconnectReason(retryAfterMs);
    log('closing sessions before the deadline', { sessions: sockets.size });
    for (const ws of sockets.values()) ws.close(CloseCode.ServiceRestart, reason);
  }

  const onDeadline = (notice: DeadlineNotice) => {
    const at = notice.deadline.getTime() - closeLeadMs;
    if (gracefulClose !== undefined && gracefulClose.at <= at) return;
    gracefulClose?.timer.cancel();
    gracefulClose = { at, timer: timerAt(at, closeAllGracefully) };
    log('graceful close scheduled', { at: new Date(at).toISOString(), deadline: notice.deadline.toISOString(), source: notice.source });
  };
  const onResumed = () => {
    gracefulClose?.timer.cancel();
    gracefulClose = undefined;
  };
  const onTerminating = () => {
    if (agent.sessionCount === 0) void shutdown();
  };
  const onIdle = () => void shutdown();
  agent.on('deadline', onDeadline);
  agent.on('resumed', onResumed);
  agent.on('terminating', onTerminating);
  agent.on('idle', onIdle);

  async function shutdown(): Promise<void> {
    if (shuttingDown) return closed;
    shuttingDown = true;
    clearInterval(ping);
    gracefulClose?.timer.cancel();
    agent.off('deadline', onDeadline);
    agent.off('resumed', onResumed);
    agent.off('terminating', onTerminating);
    agent.off('idle', onIdle);
    await agent.stop();
    for (const ws of sockets.values()) ws.terminate();
    wss.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    log('session server stopped');
    resolveClosed();
    return closed;
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  log('listening', { port });

  return {
    port,
    get openSessions() {
      return sockets.size;
    },
    closed,
    close: shutdown,
  };
}
