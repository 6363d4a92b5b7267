#!/usr/bin/env node
/**
 * `ecs-session-sidecar`: the session agent as a sidecar container (agent/README.md "Sidecar").
 * Reads the agent's settings and its own from the environment, prints one JSON line
 * {"listening":<port>} on stdout once it serves (logs go to stderr), and exits 0 after its own
 * SIGTERM once the application's sessions are all closed; 1 when it cannot start.
 * `ecs-session-sidecar probe` is the container's health check (distroless images have no curl):
 * exits 0 when the sidecar on SESSION_SIDECAR_PORT answers GET /livez with 200, else 1.
 */
import { EventEmitter } from 'node:events';
import { SessionAgent } from '../agent.js';
import { describeError, jsonLogger } from '../logger.js';
import { sidecarSettings } from './settings.js';
import { startSidecar, type RunningSidecar } from './server.js';

const logger = jsonLogger({ debug: process.env.SESSION_AGENT_LOG_LEVEL === 'debug' });
/** The agent hears SIGTERM from here: the sidecar's own, and the application's (POST /terminating). */
const signals = new EventEmitter();
let ownSigterm = false;
let agent: SessionAgent | undefined;
let sidecar: RunningSidecar | undefined;
let exiting = false;
let idle = false;

async function exitWhenIdle(): Promise<void> {
  if (exiting || !ownSigterm || !idle || agent === undefined || sidecar === undefined) return;
  exiting = true;
  logger.info('sidecar exiting: SIGTERM and no session left');
  await sidecar.close();
  await agent.stop();
  process.exit(0);
}

function onOwnSignal(signal: NodeJS.Signals): void {
  if (ownSigterm) return;
  ownSigterm = true;
  logger.info(`sidecar got ${signal}: serving until the application's sessions are closed`, { sessions: agent?.sessionCount });
  // Before the sidecar serves, the agent hears it once the state feed listens (main), so that no notice is missed.
  if (sidecar === undefined) return;
  signals.emit('SIGTERM');
  void exitWhenIdle();
}

async function main(): Promise<void> {
  const settings = sidecarSettings(process.env);
  // Installed before the agent starts: a SIGTERM during start-up is kept for later, not fatal.
  process.on('SIGTERM', onOwnSignal);
  process.on('SIGINT', onOwnSignal);
  agent = await SessionAgent.start({ logger, signalSource: signals });
  sidecar = await startSidecar({
    agent,
    port: settings.port,
    host: settings.host,
    deadlineLeadMs: settings.deadlineLeadMs,
    logger,
    onTerminating: () => {
      logger.info('the application reported SIGTERM');
      signals.emit('SIGTERM');
    },
  });
  // After the state feed's listener: the feed has published 'idle' when the sidecar acts on it.
  agent.on('idle', () => {
    idle = true;
    void exitWhenIdle();
  });
  logger.info('sidecar listening', { host: settings.host, port: sidecar.port });
  process.stdout.write(`${JSON.stringify({ listening: sidecar.port })}\n`);
  // A SIGTERM that came while starting: the agent hears it now.
  if (ownSigterm) signals.emit('SIGTERM');
}

async function probe(): Promise<void> {
  const { port, host } = sidecarSettings(process.env);
  const address = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  try {
    const response = await fetch(`http://${address.includes(':') ? `[${address}]` : address}:${port}/livez`, { signal: AbortSignal.timeout(2000) });
    process.exit(response.status === 200 ? 0 : 1);
  } catch {
    process.exit(1);
  }
}

if (process.argv[2] === 'probe') {
  void probe();
} else {
  main().catch((error: unknown) => {
    logger.error('sidecar could not start', { error: describeError(error) });
    process.exit(1);
  });
}
