import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AgentLogger } from '../logger.js';
import { StateFeed, type SidecarAgent } from './feed.js';
import { sidecarRoutes } from './routes.js';
import { definedOnly } from '../optional.js';
import { unrefTimer } from '../retry.js';

/** How long a closing sidecar lets its last answers reach their clients before it drops the connections. */
const CLOSE_GRACE_MS = 1000;

export interface SidecarOptions {
  agent: SidecarAgent;
  /** 0 picks a free port. */
  port: number;
  /** Default 127.0.0.1: only the task's own containers (awsvpc shares localhost) reach it. */
  host?: string;
  /** 'deadline-near' comes this long before the hard deadline (default 15000). */
  deadlineLeadMs?: number;
  logger: AgentLogger;
  /** The application reported its SIGTERM (POST /terminating). */
  onTerminating: () => void;
  keepAliveMs?: number;
}

export interface RunningSidecar {
  readonly port: number;
  readonly feed: StateFeed;
  /** Answers open long polls, ends event streams and stops listening. */
  close(): Promise<void>;
}

/** The agent library behind a small HTTP API on localhost, for applications in any language. */
export async function startSidecar(options: SidecarOptions): Promise<RunningSidecar> {
  const feed = new StateFeed(options.agent, options.deadlineLeadMs ?? 15_000);
  const routes = sidecarRoutes({ agent: options.agent, feed, logger: options.logger, onTerminating: options.onTerminating, ...definedOnly({ keepAliveMs: options.keepAliveMs }) });
  const server: Server = createServer(routes.handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    feed,
    close: () =>
      new Promise<void>((resolve) => {
        routes.endAll();
        feed.close();
        server.close(() => resolve());
        server.closeIdleConnections();
        // A client that keeps a connection open after its last answer does not hold the exit up.
        unrefTimer(() => server.closeAllConnections(), CLOSE_GRACE_MS);
      }),
  };
}
