/**
 * The agent logs through this interface; pass your application's logger (pino, powertools and
 * console-like loggers fit) or use the default: one JSON line per event on stderr, so stdout
 * stays the application's.
 */
export interface AgentLogger {
  debug?(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

type Level = 'debug' | 'info' | 'warn' | 'error';

/** Errors lose their fields in JSON.stringify; keep name, message and the cause chain. */
export function describeError(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { message: String(error) };
  const described: Record<string, unknown> = { name: error.name, message: error.message };
  if (error.cause !== undefined) described.cause = describeError(error.cause);
  return described;
}

function serialise(fields: Record<string, unknown> | undefined): Record<string, unknown> {
  if (fields === undefined) return {};
  return Object.fromEntries(Object.entries(fields).map(([key, value]) => [key, value instanceof Error ? describeError(value) : value]));
}

export function jsonLogger(
  options: { write?: (line: string) => void; debug?: boolean; now?: () => Date } = {},
): AgentLogger {
  const write = options.write ?? ((line: string) => process.stderr.write(line));
  const now = options.now ?? (() => new Date());
  const log = (level: Level) => (message: string, fields?: Record<string, unknown>) => {
    write(`${JSON.stringify({ time: now().toISOString(), level, source: 'session-agent', message, ...serialise(fields) })}\n`);
  };
  return {
    ...(options.debug ? { debug: log('debug') } : {}),
    info: log('info'),
    warn: log('warn'),
    error: log('error'),
  };
}
