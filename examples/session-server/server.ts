/**
 * Entry point of the example session server (what a container runs). Reads its settings from the
 * environment, prints one JSON line {"listening":<port>} on stdout once it listens (stdout carries
 * nothing else; logs go to stderr), and exits 0 once the session agent reports 'idle' after SIGTERM.
 * A real application imports the agent as '@ecs-session-drain/agent'.
 */
import { SessionAgent } from '@ecs-session-drain/agent';
import { startSessionServer } from './session-server.js';

function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a non-negative number (got ${JSON.stringify(raw)})`);
  return value;
}

async function main(): Promise<void> {
  const agent = await SessionAgent.start();
  const server = await startSessionServer({
    agent,
    port: envNumber('PORT', 8080),
    closeLeadMs: envNumber('SESSION_SERVER_CLOSE_LEAD_MS', 10_000),
    retryAfterMs: envNumber('SESSION_SERVER_RETRY_AFTER_MS', 1_000),
    pingIntervalMs: envNumber('SESSION_SERVER_PING_MS', 30_000),
  });
  process.stdout.write(`${JSON.stringify({ listening: server.port })}\n`);
  await server.closed;
  process.exit(0);
}

main().catch((error: unknown) => {
  const described = error instanceof Error ? { name: error.name, message: error.message } : { message: String(error) };
  process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), source: 'session-server', message: 'could not start', error: described })}\n`);
  process.exit(1);
});
