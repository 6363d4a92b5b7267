import type { IncomingMessage, ServerResponse } from 'node:http';
import { InvalidSessionIdError } from '../errors.js';
import { describeError, type AgentLogger } from '../logger.js';
import { healthHandler } from '../health.js';
import type { FeedEvent, SidecarAgent, StateFeed } from './feed.js';

export interface RouteDeps {
  agent: SidecarAgent;
  feed: StateFeed;
  logger: AgentLogger;
  /** POST /terminating: the application got SIGTERM; the sidecar acts as on its own SIGTERM. */
  onTerminating: () => void;
  /** Keep-alive comment on event streams, so that idle proxies keep them open. */
  keepAliveMs?: number;
}

/** Longest a long poll waits (GET /state?wait=). */
export const MAX_WAIT_SECONDS = 300;

const SESSION_PATH = /^\/sessions\/([^/]+)$/;

type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => void | Promise<void>;

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
  res.end(JSON.stringify(body));
}

function problem(res: ServerResponse, status: number, error: string, message: string, extra: Record<string, unknown> = {}): void {
  json(res, status, { error, message, ...extra });
}

/** A path segment as the application meant it; undefined when its percent-encoding is broken. */
function decodeSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

/** `?wait=` in seconds (fractions allowed, capped); undefined: no wait; NaN: malformed. */
function waitSeconds(url: URL): number | undefined {
  const raw = url.searchParams.get('wait');
  if (raw === null || raw === '') return undefined;
  const seconds = Number(raw);
  return Number.isFinite(seconds) && seconds >= 0 ? Math.min(seconds, MAX_WAIT_SECONDS) : Number.NaN;
}

/**
 * The sidecar's HTTP API (agent/README.md "Sidecar"): each route is one call of the agent library.
 * A malformed request is answered 400 and changes nothing; unknown paths 404, wrong methods 405.
 */
export interface SidecarRoutes {
  handle(req: IncomingMessage, res: ServerResponse): void;
  /** Answers the open long polls and ends the event streams, so that a closing server sends them their last state. */
  endAll(): void;
}

export function sidecarRoutes(deps: RouteDeps): SidecarRoutes {
  const { agent, feed, logger } = deps;
  const health = healthHandler(() => agent.health());
  const shutdown = new AbortController();
  const streams = new Set<ServerResponse>();

  const openSession: Handler = async (_req, res, url) => {
    const sessionId = decodeSegment(SESSION_PATH.exec(url.pathname)![1]!);
    if (sessionId === undefined) return problem(res, 400, 'InvalidSessionId', 'the session id is not valid percent-encoding');
    const outcome = await agent.sessionOpened(sessionId);
    if (outcome === 'refused') {
      const { state, drain } = feed.snapshot();
      return json(res, 409, { sessionId, outcome, state, ...(drain === undefined ? {} : { drain }) });
    }
    json(res, 201, { sessionId, outcome, sessions: agent.sessionCount });
  };

  const closeSession: Handler = async (_req, res, url) => {
    const sessionId = decodeSegment(SESSION_PATH.exec(url.pathname)![1]!);
    if (sessionId === undefined) return problem(res, 400, 'InvalidSessionId', 'the session id is not valid percent-encoding');
    await agent.sessionClosed(sessionId);
    res.writeHead(204, { 'Cache-Control': 'no-store' }).end();
  };

  const state: Handler = async (_req, res, url) => {
    const wait = waitSeconds(url);
    if (Number.isNaN(wait)) return problem(res, 400, 'InvalidWait', `wait must be a number of seconds, 0..${MAX_WAIT_SECONDS}`);
    const sinceRaw = url.searchParams.get('since');
    const since = sinceRaw === null || sinceRaw === '' ? undefined : Number(sinceRaw);
    if (since !== undefined && !Number.isInteger(since)) return problem(res, 400, 'InvalidSince', 'since must be a version number from an earlier answer');
    if (wait === undefined || wait === 0) return json(res, 200, feed.snapshot());
    const gone = new AbortController();
    res.once('close', () => gone.abort());
    const answer = await feed.waitForChange(since, wait * 1000, AbortSignal.any([gone.signal, shutdown.signal]));
    if (!res.writableEnded && !gone.signal.aborted) json(res, 200, answer);
  };

  const events: Handler = (_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', Connection: 'keep-alive' });
    const send = (event: FeedEvent) => res.write(`id: ${event.state.version}\nevent: ${event.type}\ndata: ${JSON.stringify(event.state)}\n\n`);
    send({ type: 'state', state: feed.snapshot() });
    const unsubscribe = feed.subscribe(send);
    streams.add(res);
    const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), deps.keepAliveMs ?? 15_000);
    keepAlive.unref();
    // The response's 'close', not the request's: that one comes as soon as the (empty) body was read.
    res.once('close', () => {
      streams.delete(res);
      clearInterval(keepAlive);
      unsubscribe();
    });
  };

  const terminating: Handler = (_req, res) => {
    deps.onTerminating();
    json(res, 202, feed.snapshot());
  };

  const routes: Array<{ path: RegExp; methods: Record<string, Handler> }> = [
    { path: SESSION_PATH, methods: { POST: openSession, PUT: openSession, DELETE: closeSession } },
    { path: /^\/state$/, methods: { GET: state } },
    { path: /^\/events$/, methods: { GET: events } },
    { path: /^\/healthz$/, methods: { GET: (req, res) => health(req, res), HEAD: (req, res) => health(req, res) } },
    { path: /^\/livez$/, methods: { GET: (_req, res) => json(res, 200, { live: true, state: agent.state }), HEAD: (_req, res) => res.writeHead(200).end() } },
    { path: /^\/terminating$/, methods: { POST: terminating } },
  ];

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://sidecar');
    const route = routes.find((candidate) => candidate.path.test(url.pathname));
    if (route === undefined) return problem(res, 404, 'NotFound', `no route ${url.pathname}`);
    const handler = route.methods[req.method ?? 'GET'];
    if (handler === undefined) {
      res.setHeader('Allow', Object.keys(route.methods).join(', '));
      return problem(res, 405, 'MethodNotAllowed', `${req.method} is not allowed on ${url.pathname}`);
    }
    // Requests carry no body the sidecar reads; drain it so keep-alive connections stay usable.
    req.resume();
    Promise.resolve(handler(req, res, url)).catch((error: unknown) => {
      if (error instanceof InvalidSessionIdError) return problem(res, 400, 'InvalidSessionId', error.message);
      logger.error('sidecar request failed', { method: req.method, path: url.pathname, error: describeError(error) });
      if (!res.headersSent) problem(res, 500, 'InternalError', 'the sidecar failed this request; see its log');
      else res.destroy();
    });
  };

  return {
    handle,
    endAll: () => {
      shutdown.abort();
      for (const stream of streams) stream.end();
    },
  };
}
