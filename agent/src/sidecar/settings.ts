import { SessionAgentConfigError } from '../errors.js';

export interface SidecarSettings {
  port: number;
  host: string;
  deadlineLeadMs: number;
}

export const DEFAULT_SIDECAR_PORT = 8787;

/** The sidecar's own settings (the agent's come from the same environment: SessionAgent.start). */
export function sidecarSettings(env: Record<string, string | undefined>): SidecarSettings {
  const rawPort = env.SESSION_SIDECAR_PORT?.trim() || String(DEFAULT_SIDECAR_PORT);
  const port = Number(rawPort);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new SessionAgentConfigError(`SESSION_SIDECAR_PORT must be a port number, 0..65535 (got ${JSON.stringify(rawPort)})`);
  const rawLead = env.SESSION_SIDECAR_DEADLINE_LEAD_SECONDS?.trim() || '15';
  const lead = Number(rawLead);
  if (!Number.isFinite(lead) || lead < 0) throw new SessionAgentConfigError(`SESSION_SIDECAR_DEADLINE_LEAD_SECONDS must be a non-negative number (got ${JSON.stringify(rawLead)})`);
  return { port, host: env.SESSION_SIDECAR_HOST?.trim() || '127.0.0.1', deadlineLeadMs: lead * 1000 };
}
