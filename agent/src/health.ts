import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AgentHealth } from './types.js';

/**
 * A load balancer health check: 200 while the task takes new sessions, 503 from the drain notice
 * or SIGTERM on, so the target group stops sending new users here while existing sessions go on.
 */
export function healthHandler(health: () => AgentHealth): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const status = health();
    res.writeHead(status.healthy ? 200 : 503, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : JSON.stringify(status));
  };
}
